/** The NATS adapter with no server to reach; tests/nats/nats_connection_test.ts runs it against one. */
import assert from "node:assert/strict";
import { ErrorCode, Event, Events, isWalnatsError } from "../../mod.ts";

/** A loopback TCP port that nothing listens on (it was free a moment ago). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("connect() to a port nobody listens on fails with CONNECTION_FAILED naming the URL", async () => {
  const url = `nats://127.0.0.1:${closedPort()}`;
  await assert.rejects(
    new Events(new Event("tick-a", Date)).connect({ servers: url, timeoutMs: 2_000 }),
    (error: unknown) => isWalnatsError(error, ErrorCode.ConnectionFailed) && error.message.includes(url),
  );
});
