/** startNatsServer() without a binary to start; tests/nats/nats_server_test.ts starts real ones. */
import assert from "node:assert/strict";
import { NatsServerNotFoundError, startNatsServer } from "../../cli/_nats_server.ts";

Deno.test("missing binary rejects with NatsServerNotFoundError", async () => {
  const error = await startNatsServer({ binary: "nats-server-does-not-exist" })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof NatsServerNotFoundError);
  assert.match(error.message, /apt-get install nats-server/);
  assert.equal(error.binary, "nats-server-does-not-exist");
});
