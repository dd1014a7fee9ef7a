/**
 * JETSTREAM_UNAVAILABLE on a real 3-node cluster: with two of its three
 * servers stopped, JetStream has no meta leader and answers nothing;
 * `connect()` says so instead of rejecting with a bare nats.js timeout.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Actor, Actors, ErrorCode, Event, Events, isWalnatsError } from "../../mod.ts";
import { waitUntil } from "../_wait.ts";
import { startCluster } from "./_cluster.ts";

/** Whether JetStream at `url` answers an account info request within 1 s (nats.js's own check). */
async function jetStreamAnswers(url: string): Promise<boolean> {
  const nc = await connect({ servers: url });
  try {
    await jetstreamManager(nc, { timeout: 1_000 });
    return true;
  } catch {
    return false;
  } finally {
    await nc.close();
  }
}

Deno.test("Events.connect() and Actors.connect() to a cluster without a JetStream meta leader reject with JETSTREAM_UNAVAILABLE", async () => {
  await using cluster = await startCluster();
  const [left, ...stopped] = [...cluster.servers.values()];
  for (const server of stopped) await server.stop();
  // The server left may answer for a moment, until it finds that it has lost its peers.
  await waitUntil(async () => !await jetStreamAnswers(left!.url), { what: "JetStream to lose its meta leader" });
  const event = new Event("no-meta-leader", Number);

  for (
    const connecting of [
      () => new Events(event).connect({ servers: left!.url }),
      () => new Actors(new Actor("worker", event, () => {})).connect({ servers: left!.url }),
    ]
  ) {
    await assert.rejects(connecting(), (error) => {
      assert.ok(isWalnatsError(error, ErrorCode.JetStreamUnavailable), String(error));
      assert.match(error.message, /no meta leader/);
      return true;
    });
  }
});
