/**
 * Actors' acks through a server restart: a handler that finishes while the
 * server is down (or just as it goes down) gets its ack through once the
 * connection is back, so the server does not deliver the message again.
 * nats.js 3.4 throws away what is written while it reconnects: a plain
 * `msg.ack()` sent then was lost, and the handler ran a second time after
 * the ack wait (measured on nats-server 2.9.10: see docs/exactly-once.md, "Through restarts").
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { Actor, Actors, Event, Events, type JobEvent } from "../../mod.ts";
import { settled, waitUntil } from "../_wait.ts";
import { consumerCounts } from "./_stream.ts";

/** Messages in flight across the restart: every one held by a running handler. */
const MESSAGES = 20;
/** How long the server stays down. */
const DOWN_MS = 1_500;

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

Deno.test("handlers finishing during a server restart (half just before it, half while the server is down): each message handled once, its ack confirmed after the reconnect", async () => {
  await using server = await startNatsServer();
  const event = new Event("restart-job", Number);
  await using events = await new Events(event).connect({ servers: server.url });
  await events.register();

  const beforeRestart = gate();
  const whileDown = gate();
  const runs: { payload: number; seq: number; attempt: number }[] = [];
  const actor = new Actor("restart-worker", event, async (payload, { seq, attempt }) => {
    await (payload % 2 === 0 ? beforeRestart.opened : whileDown.opened);
    runs.push({ payload, seq, attempt });
  }, { ackWait: 5, maxJobs: MESSAGES });
  await using actors = await new Actors(actor).connect({ servers: server.url });
  await actors.register();
  const jobEvents: JobEvent[] = [];
  const stop = new AbortController();
  const listening = actors.listen({ signal: stop.signal, onEvent: (e) => jobEvents.push(e) });
  const statuses = actors.status!()[Symbol.asyncIterator]();
  try {
    for (let i = 0; i < MESSAGES; i++) await events.emit(event, i);
    await waitUntil(() => jobEvents.filter((e) => e.type === "start").length === MESSAGES, {
      what: "every handler to start",
    });

    beforeRestart.open(); // their acks go out as the server is stopped
    const restarted = server.restart({ downMs: DOWN_MS });
    assert.equal((await statuses.next()).value?.type, "disconnected");
    whileDown.open(); // these finish while the server is down
    await restarted;
    assert.equal((await statuses.next()).value?.type, "reconnected");

    // Done when the server holds no message of the actor, acked or not; a lost ack is redelivered first.
    await waitUntil(async () => {
      const counts = await consumerCounts(server.url, event.stream, actor.name).catch(() => undefined);
      return counts?.pending === 0 && counts.ackPending === 0;
    }, { what: "every message acknowledged", details: () => JSON.stringify(runs) });
  } finally {
    beforeRestart.open();
    whileDown.open();
    stop.abort();
    await settled(listening, { what: "listen() to stop" });
    await statuses.return?.();
  }

  const twice = runs.filter((run) => run.attempt > 1);
  console.log(
    `actor acks across a restart: ${MESSAGES} messages, ${runs.length} runs, ${twice.length} run twice ` +
      `(${twice.filter((run) => run.payload % 2 === 0).length} finished just before the restart, ` +
      `${twice.filter((run) => run.payload % 2 === 1).length} while the server was down)`,
  );
  assert.deepEqual(
    runs.map((run) => run.payload).sort((a, b) => a - b),
    Array.from({ length: MESSAGES }, (_, i) => i),
    "each message handled once",
  );
  assert.deepEqual(runs.filter((run) => run.attempt !== 1), [], "no run but the first");
  assert.deepEqual(jobEvents.filter((e) => e.type === "unconfirmed"), [], "every ack confirmed");
});
