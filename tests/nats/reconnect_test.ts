/**
 * Reliability through server restarts: a nats-server stopped and started
 * again on the same port and store just before a tick costs no tick.
 */
import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { tickMessage } from "../../src/events/tick.ts";
import { delay } from "../../src/_async.ts";
import { Clock, ErrorCode, Event, Events, isWalnatsError, type TickReport } from "../../mod.ts";
import { settled, waitUntil } from "../_wait.ts";
import { isoTick, readStream } from "./_stream.ts";

/** How many restarts, each ~150 ms before a tick, every other tick. */
const RESTARTS = 5;
/** How long before a tick each restart starts. */
const BEFORE_TICK_MS = 150;

Deno.test("two 1 s clocks miss no tick across 5 quick server restarts, each 150 ms before a tick", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("second-passed", Date), period: 1 });
  await using a = await new Events(clock.event).connect({ servers: server.url });
  await using b = await new Events(clock.event).connect({ servers: server.url });
  await a.register();

  const stop = new AbortController();
  const reports: TickReport[] = [];
  const onTick = (report: TickReport) => reports.push(report);
  const runs = Promise.all([
    clock.run(a, { signal: stop.signal, onTick }),
    clock.run(b, { signal: stop.signal, onTick }),
  ]);
  /** When the server was not serving: from the restart's start to its end, epoch ms. */
  const downtimes: [number, number][] = [];
  try {
    await waitUntil(() => reports.length >= 2, { what: "both clocks' first tick" });
    for (let i = 0; i < RESTARTS; i++) {
      // Every other tick: the tick after a restart's tick has no restart near it.
      const tick = Math.floor(Date.now() / 1_000) * 1_000 + 2_000;
      await delay(tick - BEFORE_TICK_MS - Date.now());
      const down = Date.now();
      await server.restart();
      downtimes.push([down, Date.now()]);
      await waitUntil(() => reports.some((r) => r.tick.getTime() === tick + 1_000), {
        what: `the tick after restart ${i + 1}`,
        details: () => JSON.stringify(reports),
      });
    }
    await waitUntil(() => new Set(reports.map((r) => r.tick.getTime())).size === reports.length / 2, {
      what: "both clocks' report of every tick",
    });
  } finally {
    stop.abort();
    await settled(runs, { what: "both clocks to stop" });
  }

  const inDowntime = (tick: number) => downtimes.some(([from, to]) => from <= tick && tick <= to);
  const ticks = [...new Set(reports.map((r) => r.tick.getTime()))].sort((x, y) => x - y);
  const counted = ticks.filter((tick) => !inDowntime(tick));
  const missed = reports.filter((r) => r.outcome === "missed" && !inDowntime(r.tick.getTime()));
  const summary = `${missed.length} missed reports over ${counted.length} ticks and ${RESTARTS} restarts ` +
    `(downtimes ${downtimes.map(([from, to]) => to - from).join(", ")} ms): ` +
    JSON.stringify(
      missed.map((r) => ({ tick: isoTick(r.tick.getTime()), attempts: r.attempts, error: String(r.error) })),
    );
  assert.ok(counted.length >= 2 * RESTARTS, summary);
  assert.deepEqual(missed, [], summary);
  for (const tick of counted) {
    const outcomes = reports.filter((r) => r.tick.getTime() === tick).map((r) => r.outcome).sort();
    assert.deepEqual(outcomes, ["duplicate", "emitted"], `tick ${isoTick(tick)}: ${summary}`);
  }

  const stored = await readStream(server.url, "second-passed");
  const storedTicks = stored.map((m) => Number(m.headers["Walnats-Tick"]));
  assert.equal(new Set(storedTicks).size, storedTicks.length, "no tick stored twice");
  for (const tick of counted) assert.ok(storedTicks.includes(tick), `tick ${isoTick(tick)} stored`);
  const emitted = reports.filter((r) => r.outcome === "emitted");
  assert.deepEqual(
    emitted.map((r) => r.seq).sort((x, y) => x! - y!),
    stored.map((m) => m.seq),
    "each stored tick was reported emitted by one clock, with its sequence",
  );
});

Deno.test("emit() across a quick server restart: with a uid each message is stored once; none waits past its bound", async () => {
  await using server = await startNatsServer();
  const event = new Event("order.placed", Object);
  await using conn = await new Events(event).connect({ servers: server.url });
  await conn.register();

  const withUid: Promise<unknown>[] = [];
  const withoutUid: Promise<unknown>[] = [];
  const restarted = server.restart();
  // Emits before, during and after the restart: some in flight when the connection drops, some in the gap.
  for (let i = 0; i < 20; i++) {
    withUid.push(conn.emit(event, { i, uid: true }, { uid: `order-${i}` }));
    withoutUid.push(conn.emit(event, { i, uid: false }));
    // Handled now: a rejection may come before Promise.allSettled() below looks at them.
    for (const emitted of [withUid.at(-1), withoutUid.at(-1)]) emitted?.catch(() => {});
    await delay(5);
  }
  await restarted;
  const [uidResults, plainResults] = await settled(
    Promise.all([Promise.allSettled(withUid), Promise.allSettled(withoutUid)]),
    { what: "every emit to settle", timeoutMs: 10_000 },
  );

  const stored = (await readStream(server.url, "order-placed")).map((m) => JSON.parse(m.payload));
  assert.deepEqual(uidResults.filter((r) => r.status === "rejected"), [], "every emit with a uid is stored");
  assert.deepEqual(
    stored.filter((m) => m.uid).map((m) => m.i).sort((x, y) => x - y),
    Array.from({ length: 20 }, (_, i) => i),
    "each message with a uid stored once",
  );
  for (const result of plainResults) {
    if (result.status === "fulfilled") continue;
    assert.ok(isWalnatsError(result.reason, ErrorCode.ConnectionInterrupted), String(result.reason));
  }
  const plainStored = stored.filter((m) => !m.uid).map((m) => m.i);
  assert.equal(new Set(plainStored).size, plainStored.length, "no message without a uid stored twice");
  plainResults.forEach((result, i) => {
    if (result.status === "fulfilled") assert.ok(plainStored.includes(i), `emit ${i} resolved but is not stored`);
  });
});

Deno.test("publishTick() just after a restart waits for the reconnect and finds its own tick, stored before the answer was lost: emitted, once", async () => {
  await using server = await startNatsServer();
  const event = new Event("tick-a", Date);
  await using conn = await new Events(event).connect({ servers: server.url });
  await conn.register();
  const T0 = 1_795_709_700_000;
  const T1 = T0 + 1_000;
  assert.deepEqual(await conn.publishTick(tickMessage(event, T0, "a", {}), { timeoutMs: 1_000 }), {
    seq: 1,
    duplicate: false,
  });
  // The attempt at T1 reached the server, and then the connection dropped with its answer.
  const given = tickMessage(event, T1, "a", {});
  const nc = await connect({ servers: server.url });
  try {
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(given.headers)) headers.set(name, value);
    await jetstream(nc).publish(given.subject, given.payload, { msgID: given.msgId, headers });
  } finally {
    await nc.close();
  }
  await server.restart();
  // Not waiting for the client to reconnect: the retry is held back until it has.
  const retried = await settled(conn.publishTick(given, { timeoutMs: 1_000 }), {
    what: "the retry",
    timeoutMs: 10_000,
  });

  assert.deepEqual(retried, { seq: 2, duplicate: false });
  const stored = await readStream(server.url, "tick-a");
  assert.deepEqual(stored.map((m) => [m.seq, m.headers["Walnats-Tick"]]), [[1, String(T0)], [2, String(T1)]]);
});
