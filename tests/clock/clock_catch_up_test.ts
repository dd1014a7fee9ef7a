import assert from "node:assert/strict";
import { Clock } from "../../src/clock/clock.ts";
import type { TickReport } from "../../src/clock/tick_report.ts";
import type { Publisher, TickMessage } from "../../src/events/publisher.ts";
import { tickMessage } from "../../src/events/tick.ts";
import { FakeTime } from "../../testing/fake_time.ts";
import { MemoryPublisher } from "../../testing/memory_publisher.ts";

/** 2026-11-26T16:15:00Z: a multiple of one minute. */
const T0 = Date.parse("2026-11-26T16:15:00Z");
const MINUTE = 60_000;

/** A stream whose last stored tick is `tickMs`, emitted by an earlier clock. */
async function streamEndingAt(clock: Clock, tickMs: number): Promise<MemoryPublisher> {
  const stream = new MemoryPublisher();
  await stream.publishTick(tickMessage(clock.event, tickMs, "earlier-clock", {}));
  return stream;
}

/** Runs `clock` on fake time from `startMs` for `forMs`, then stops it; returns its reports. */
async function runFor(clock: Clock, publisher: Publisher, time: FakeTime, forMs: number): Promise<TickReport[]> {
  const reports: TickReport[] = [];
  const stop = new AbortController();
  const done = clock.run(publisher, { time, signal: stop.signal, onTick: (report) => reports.push(report) });
  await time.tickAsync(forMs);
  stop.abort();
  await time.tickAsync(0);
  await done;
  return reports;
}

const summary = (reports: TickReport[]) =>
  reports.map((r) => [new Date(r.tick).getTime() - T0, r.outcome, r.late === true]);
const ticksOf = (stream: MemoryPublisher) => stream.messages.map((m: TickMessage) => m.tickMs - T0);

Deno.test("Clock.run() with catchUp emits the most recent missed ticks late, oldest first, then the current one", async () => {
  const clock = new Clock({ catchUp: 3 });
  const stream = await streamEndingAt(clock, T0);
  using time = new FakeTime(T0 + 5 * MINUTE + 30_000); // ticks 1..5 were missed by every clock
  const reports = await runFor(clock, stream, time, MINUTE);

  assert.deepEqual(summary(reports), [
    [3 * MINUTE, "emitted", true],
    [4 * MINUTE, "emitted", true],
    [5 * MINUTE, "emitted", true],
    [6 * MINUTE, "emitted", false],
  ]);
  assert.deepEqual(ticksOf(stream), [0, 3 * MINUTE, 4 * MINUTE, 5 * MINUTE, 6 * MINUTE]);
  assert.deepEqual(stream.messages.map((m) => m.headers["Walnats-Late"]), [
    undefined,
    "true",
    "true",
    "true",
    undefined,
  ]);
  assert.deepEqual(stream.messages.map((m) => m.msgId).slice(1, 2), [`minute-passed:${T0 + 3 * MINUTE}`]);
});

Deno.test("Clock.run() without catchUp skips the ticks missed before it started", async () => {
  const clock = new Clock();
  const stream = await streamEndingAt(clock, T0);
  using time = new FakeTime(T0 + 5 * MINUTE + 30_000);
  const reports = await runFor(clock, stream, time, MINUTE);

  assert.deepEqual(summary(reports), [[6 * MINUTE, "emitted", false]]);
  assert.deepEqual(ticksOf(stream), [0, 6 * MINUTE]);
});

Deno.test("Clock.run() with catchUp catches up nothing for an event that was never emitted", async () => {
  const clock = new Clock({ catchUp: 5 });
  const stream = new MemoryPublisher();
  using time = new FakeTime(T0 + 30_000);
  const reports = await runFor(clock, stream, time, MINUTE);

  assert.deepEqual(summary(reports), [[MINUTE, "emitted", false]]);
});

Deno.test("Clock.run() with catchUp catches up fewer ticks when fewer were missed", async () => {
  const clock = new Clock({ catchUp: 10 });
  const stream = await streamEndingAt(clock, T0 + 3 * MINUTE);
  using time = new FakeTime(T0 + 5 * MINUTE + 30_000);
  const reports = await runFor(clock, stream, time, MINUTE);

  assert.deepEqual(summary(reports), [
    [4 * MINUTE, "emitted", true],
    [5 * MINUTE, "emitted", true],
    [6 * MINUTE, "emitted", false],
  ]);
});

Deno.test("Two clocks catching up at once store each missed tick once", async () => {
  const first = new Clock({ catchUp: 3 });
  const second = new Clock({ catchUp: 3 });
  const stream = await streamEndingAt(first, T0);
  using time = new FakeTime(T0 + 5 * MINUTE + 30_000);
  const [a, b] = await Promise.all([runFor(first, stream, time, MINUTE), runFor(second, stream, time, 0)]);

  assert.deepEqual(ticksOf(stream), [0, 3 * MINUTE, 4 * MINUTE, 5 * MINUTE, 6 * MINUTE]);
  const emitted = [...a, ...b].filter((r) => r.outcome === "emitted").map((r) => r.tick.getTime() - T0).sort();
  assert.deepEqual(emitted, [3 * MINUTE, 4 * MINUTE, 5 * MINUTE, 6 * MINUTE].sort());
});

Deno.test("Clock.run() with catchUp emits a tick it missed during an outage at the next tick, late", async () => {
  const clock = new Clock({ catchUp: 1 });
  const stream = await streamEndingAt(clock, T0);
  using time = new FakeTime(T0 + 1_000);
  // The server is down from before tick 1 until 500 ms after tick 2.
  const down = () => time.now() < T0 + 2 * MINUTE + 500;
  const flaky: Publisher = {
    publishTick: (message) => down() ? Promise.reject(new Error("server down")) : stream.publishTick(message),
    lastTick: (target) => down() ? Promise.reject(new Error("server down")) : stream.lastTick(target),
  };
  const reports = await runFor(clock, flaky, time, 2 * MINUTE + 10_000);

  assert.deepEqual(summary(reports), [
    [MINUTE, "missed", false],
    [MINUTE, "emitted", true],
    [2 * MINUTE, "emitted", false],
  ]);
  assert.deepEqual(ticksOf(stream), [0, MINUTE, 2 * MINUTE]);
});

Deno.test("Clock.run() with catchUp emits overslept ticks late instead of reporting them missed", async () => {
  const clock = new Clock({ catchUp: 2 });
  const stream = new MemoryPublisher();
  using time = new FakeTime(T0 - 1_000);
  const reports: TickReport[] = [];
  const stop = new AbortController();
  const done = clock.run(stream, { time, signal: stop.signal, onTick: (report) => reports.push(report) });
  await time.tickAsync(1_000); // tick 0
  time.setTime(T0 + 4 * MINUTE + 500); // suspended: ticks 1..3 overslept, tick 4 due
  await time.tickAsync(MINUTE - 1_000);
  stop.abort();
  await time.tickAsync(0);
  await done;

  assert.deepEqual(summary(reports), [
    [0, "emitted", false],
    [2 * MINUTE, "emitted", true],
    [3 * MINUTE, "emitted", true],
    [4 * MINUTE, "emitted", false],
  ]);
});
