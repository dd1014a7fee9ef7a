/**
 * An actor's listener pulls ahead of its free slots while its jobs are
 * quick (src/nats/_backlog.ts): at most `maxJobs` messages more than it
 * runs, each kept in progress on the server while it waits, so that none is
 * redelivered though it waits longer than the ack wait.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { delay } from "../../src/_async.ts";
import { Actor, Actors, Event, Events, type JobEvent } from "../../mod.ts";
import { settled, waitUntil } from "../_wait.ts";
import { consumerInfo } from "./_stream.ts";

Deno.test("after a quick job a listener of maxJobs 2 holds 2 messages more than it runs, kept past the ack wait, each handled once as attempt 1", async () => {
  await using server = await startNatsServer();
  const event = new Event("ahead-job", String);
  await using events = await new Events(event).connect({ servers: server.url });
  await events.register();
  let open = () => {};
  const opened = new Promise<void>((resolve) => open = resolve);
  const runs: [string, number][] = [];
  const actor = new Actor("ahead-worker", event, async (text, { attempt }) => {
    runs.push([text, attempt]);
    if (text !== "quick") await opened;
  }, { maxJobs: 2, ackWait: 1 });
  await using actors = await new Actors(actor).connect({ servers: server.url });
  await actors.register();
  const jobEvents: JobEvent[] = [];
  const stop = new AbortController();
  const listening = actors.listen({ signal: stop.signal, onEvent: (e) => jobEvents.push(e) });
  const held = async () => {
    const info = await consumerInfo(server.url, event.stream, actor.name);
    return { held: info.num_ack_pending, left: info.num_pending, redelivered: info.num_redelivered };
  };
  try {
    await events.emit(event, "quick");
    await waitUntil(() => jobEvents.some((e) => e.type === "success"), { what: "the quick job's success" });
    for (let i = 1; i <= 6; i++) await events.emit(event, `slow-${i}`);
    await waitUntil(async () => (await held()).held === 4, {
      what: "2 messages running and 2 waiting",
      details: () => JSON.stringify(runs),
    });
    await delay(1_500); // longer than the ack wait: a waiting message not kept in progress comes again
    assert.deepEqual(await held(), { held: 4, left: 2, redelivered: 0 }, "no more pulled, none redelivered");
    assert.equal(runs.length, 3, "the quick job and 2 slow ones ran");
    open();
    await waitUntil(() => jobEvents.filter((e) => e.type === "success").length === 7, {
      what: "7 jobs done",
      details: () => JSON.stringify(runs),
    });
  } finally {
    open();
    stop.abort();
    await settled(listening, { what: "listen() to end" });
  }
  assert.deepEqual(
    runs.sort(),
    [["quick", 1], ...Array.from({ length: 6 }, (_, i) => [`slow-${i + 1}`, 1])],
    "each message handled once, as attempt 1",
  );
});
