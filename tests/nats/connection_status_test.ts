/** `status()` of the NATS connections: disconnects and reconnects while a real nats-server restarts. */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { Actors, type ConnectionStatus, Events } from "../../mod.ts";
import { settled, waitUntil } from "../_wait.ts";

/** Collects what `statuses` yields until it ends. */
function collect(statuses: AsyncIterable<ConnectionStatus>) {
  const seen: ConnectionStatus[] = [];
  const done = (async () => {
    for await (const status of statuses) seen.push(status);
  })();
  return { seen, done };
}

Deno.test("status() of an events connection yields disconnected, then reconnected, across a server restart", async () => {
  await using server = await startNatsServer();
  const conn = await new Events().connect({ servers: server.url });
  const statuses = conn.status?.();
  assert.ok(statuses !== undefined);
  const { seen, done } = collect(statuses);
  try {
    await server.restart();
    await waitUntil(() => seen.length >= 2, {
      what: "a disconnect and a reconnect",
      details: () => JSON.stringify(seen),
    });
  } finally {
    await conn.close();
  }
  await settled(done, { what: "the status iteration to end once the connection is closed" });
  const server127 = server.url.replace("nats://", "");
  assert.deepEqual(seen, [{ type: "disconnected", server: server127 }, { type: "reconnected", server: server127 }]);
});

Deno.test("status() of an actors connection on an adopted connection ends when the walnats connection closes", async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const conn = await new Actors().connect(nc);
    const statuses = conn.status?.();
    assert.ok(statuses !== undefined);
    const { seen, done } = collect(statuses);
    await conn.close();
    await settled(done, { what: "the status iteration to end" });
    assert.deepEqual(seen, []);
    assert.equal(nc.isClosed(), false);
  } finally {
    await nc.close();
  }
});
