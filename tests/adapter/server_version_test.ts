import assert from "node:assert/strict";
import { ErrorCode, Event, Events, isWalnatsError } from "../../mod.ts";

/**
 * A stand-in NATS server that speaks just enough of the protocol for a
 * client to connect (INFO, then PONG to PING), announcing an old version.
 */
async function withOldServer(version: string, body: (url: string) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const info = { server_id: "old", version, proto: 1, headers: true, max_payload: 1048576 };
      await conn.write(new TextEncoder().encode(`INFO ${JSON.stringify(info)}\r\n`));
      (async () => {
        const buffer = new Uint8Array(4096);
        for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
          if (new TextDecoder().decode(buffer.subarray(0, n)).includes("PING")) {
            await conn.write(new TextEncoder().encode("PONG\r\n"));
          }
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  try {
    await body(`nats://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  } finally {
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed by the client already */ }
    }
    await serving;
  }
}

Deno.test("Events.connect() refuses a server older than 2.9 with SERVER_TOO_OLD", async () => {
  await withOldServer("2.8.4", async (url) => {
    const error = await new Events(new Event("old-server", Date)).connect({ servers: url }).then(
      () => assert.fail("connected to a 2.8 server"),
      (error: unknown) => error,
    );
    assert.ok(isWalnatsError(error, ErrorCode.ServerTooOld), String(error));
    assert.match(error.message, /runs 2\.8\.4; @walnats\/clock needs 2\.9 or newer/);
  });
});
