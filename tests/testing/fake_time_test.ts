import assert from "node:assert/strict";
import { Clock } from "../../src/clock/clock.ts";
import { FakeTime } from "../../testing/fake_time.ts";
import { MemoryPublisher } from "../../testing/memory_publisher.ts";

const T0 = Date.parse("2026-11-26T16:15:00Z");
/** An instant far from the real time, to tell fake Date from the real one. */
const LONG_AGO = Date.parse("2001-02-03T04:05:06Z");

/** Records when (in fake time) a promise settles. */
function track(time: FakeTime, promise: Promise<unknown>) {
  const state: { settledAt?: number; error?: unknown } = {};
  promise.then(
    () => state.settledAt = time.now(),
    (error) => {
      state.settledAt = time.now();
      state.error = error;
    },
  );
  return state;
}

Deno.test("FakeTime starts at the given instant: epoch ms, Date or ISO string", () => {
  using a = new FakeTime(T0);
  using b = new FakeTime(new Date(T0));
  using c = new FakeTime("2026-11-26T16:15:00Z");
  using d = new FakeTime();
  assert.equal(a.now(), T0);
  assert.equal(b.now(), T0);
  assert.equal(c.now(), T0);
  assert.equal(d.now(), 0);
});

Deno.test("FakeTime rejects a start that is not a valid instant with a RangeError", () => {
  for (const start of ["nope", "", NaN, Infinity, -Infinity, new Date("x")]) {
    assert.throws(
      () => new FakeTime(start),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message.startsWith("Cannot create FakeTime: 'start' must be a valid instant"),
      String(start),
    );
  }
});

Deno.test("FakeTime.sleep() resolves once time has moved by its duration, not before", async () => {
  using time = new FakeTime(T0);
  const sleep = track(time, time.sleep(1_000));
  await time.tickAsync(999);
  assert.equal(sleep.settledAt, undefined);
  await time.tickAsync(1);
  assert.equal(sleep.settledAt, T0 + 1_000);
});

Deno.test("FakeTime.sleep() of zero or a negative duration resolves at the next tick without moving time", async () => {
  using time = new FakeTime(T0);
  const zero = track(time, time.sleep(0));
  const negative = track(time, time.sleep(-50));
  await time.tickAsync(0);
  assert.equal(zero.settledAt, T0);
  assert.equal(negative.settledAt, T0);
});

Deno.test("FakeTime.tick() fires due timers synchronously and moves time by exactly its argument", async () => {
  using time = new FakeTime(T0);
  const fired: number[] = [];
  time.sleep(100).then(() => fired.push(100));
  time.sleep(300).then(() => fired.push(300));
  time.tick(250);
  assert.equal(time.now(), T0 + 250);
  await Promise.resolve();
  assert.deepEqual(fired, [100]);
  time.tick(50);
  await Promise.resolve();
  assert.deepEqual(fired, [100, 300]);
});

Deno.test("FakeTime.tickAsync() lets a chain of sleeps run, each started after the previous one settles", async () => {
  using time = new FakeTime(T0);
  const wokeAt: number[] = [];
  const chain = (async () => {
    for (let i = 0; i < 3; i++) {
      await time.sleep(1_000);
      wokeAt.push(time.now());
    }
  })();
  await time.tickAsync(2_500);
  assert.deepEqual(wokeAt, [T0 + 1_000, T0 + 2_000]);
  assert.equal(time.now(), T0 + 2_500);
  await time.tickAsync(500);
  await chain;
  assert.deepEqual(wokeAt, [T0 + 1_000, T0 + 2_000, T0 + 3_000]);
});

Deno.test("FakeTime.tick() does not wait for code that sleeps again after a promise settles", async () => {
  using time = new FakeTime(T0);
  const wokeAt: number[] = [];
  const chain = (async () => {
    await time.sleep(1_000);
    wokeAt.push(time.now());
    await time.sleep(1_000);
    wokeAt.push(time.now());
  })();
  time.tick(2_000);
  await time.tickAsync(0);
  // The first wake-up only ran after tick() returned, so the second sleep started at T0 + 2 s.
  assert.deepEqual(wokeAt, [T0 + 2_000]);
  await time.tickAsync(1_000);
  await chain;
  assert.deepEqual(wokeAt, [T0 + 2_000, T0 + 3_000]);
});

Deno.test("FakeTime.nextAsync() jumps to the earliest pending timer and fires it", async () => {
  using time = new FakeTime(T0);
  const late = track(time, time.sleep(5_000));
  const early = track(time, time.sleep(2_000));
  await time.nextAsync();
  assert.equal(time.now(), T0 + 2_000);
  assert.equal(early.settledAt, T0 + 2_000);
  assert.equal(late.settledAt, undefined);
  await time.nextAsync();
  assert.equal(late.settledAt, T0 + 5_000);
});

Deno.test("FakeTime.nextAsync() leaves time alone when no timer is pending", async () => {
  using time = new FakeTime(T0);
  await time.nextAsync();
  assert.equal(time.now(), T0);
});

Deno.test("FakeTime.runAllAsync() fires timers until none is left, including ones started meanwhile", async () => {
  using time = new FakeTime(T0);
  const chain = (async () => {
    await time.sleep(60_000);
    await time.sleep(30_000);
    return time.now();
  })();
  await time.runAllAsync();
  assert.equal(await chain, T0 + 90_000);
  assert.equal(time.now(), T0 + 90_000);
});

Deno.test("FakeTime.setTime() steps the instant without firing timers; pending sleeps keep their remaining time", async () => {
  using time = new FakeTime(T0);
  const sleep = track(time, time.sleep(1_000));
  time.setTime(T0 + 3_600_000);
  assert.equal(time.now(), T0 + 3_600_000);
  await time.tickAsync(0);
  assert.equal(sleep.settledAt, undefined);
  await time.tickAsync(1_000);
  assert.equal(sleep.settledAt, T0 + 3_601_000);
});

Deno.test("FakeTime.setTime() can step backwards, and accepts a Date or an ISO string", () => {
  using time = new FakeTime(T0);
  time.setTime(new Date(T0 - 60_000));
  assert.equal(time.now(), T0 - 60_000);
  time.setTime("2026-11-26T16:15:00.500Z");
  assert.equal(time.now(), T0 + 500);
});

Deno.test("FakeTime.setTime() rejects an invalid instant with a RangeError and keeps the time", () => {
  using time = new FakeTime(T0);
  for (const instant of ["later", NaN, Infinity]) {
    assert.throws(
      () => time.setTime(instant),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message.startsWith("Cannot set FakeTime: 'instant' must be a valid instant"),
      String(instant),
    );
  }
  assert.equal(time.now(), T0);
});

Deno.test("FakeTime.sleep() rejects with the signal's reason when it aborts, and cancels its timer", async () => {
  using time = new FakeTime(T0);
  const controller = new AbortController();
  const reason = new Error("stop");
  const sleep = track(time, time.sleep(10_000, controller.signal));
  await time.tickAsync(1_000);
  controller.abort(reason);
  await time.tickAsync(0);
  assert.equal(sleep.settledAt, T0 + 1_000);
  assert.equal(sleep.error, reason);
  // No timer is left: running all timers does not move time.
  await time.runAllAsync();
  assert.equal(time.now(), T0 + 1_000);
});

Deno.test("FakeTime.sleep() rejects at once with an already aborted signal and starts no timer", async () => {
  using time = new FakeTime(T0);
  const reason = new Error("already");
  await assert.rejects(time.sleep(10_000, AbortSignal.abort(reason)), (error) => error === reason);
  await time.runAllAsync();
  assert.equal(time.now(), T0);
});

Deno.test("FakeTime.sleep() resolves normally when its signal aborts only afterwards", async () => {
  using time = new FakeTime(T0);
  const controller = new AbortController();
  const sleep = track(time, time.sleep(100, controller.signal));
  await time.tickAsync(100);
  controller.abort();
  await time.tickAsync(0);
  assert.equal(sleep.settledAt, T0 + 100);
  assert.equal(sleep.error, undefined);
});

Deno.test("FakeTime disposal with a pending sleep throws, and rejects the sleep with the same error", async () => {
  const time = new FakeTime(T0);
  const sleep = track(time, time.sleep(1_000));
  assert.throws(
    () => time[Symbol.dispose](),
    (error: unknown) =>
      error instanceof Error && error.message.startsWith("FakeTime was disposed while 1 sleep(s) on it were pending"),
  );
  await Promise.resolve();
  assert.match(String(sleep.error), /a clock or an actor still runs/);
});

Deno.test("FakeTime disposal after every sleep settled or was aborted throws nothing", async () => {
  const time = new FakeTime(T0);
  const controller = new AbortController();
  const fired = time.sleep(10);
  const aborted = time.sleep(1_000, controller.signal).catch((error) => error);
  await time.tickAsync(10);
  await fired;
  controller.abort();
  assert.equal(await aborted, controller.signal.reason);
  time[Symbol.dispose]();
});

Deno.test("A clock left running when its FakeTime is disposed makes run() reject instead of hanging", async () => {
  const time = new FakeTime(T0);
  const running = new Clock().run(new MemoryPublisher(), { time });
  await time.tickAsync(60_000);
  assert.throws(() => time[Symbol.dispose](), /a clock or an actor still runs/);
  await assert.rejects(running, /FakeTime was disposed while 1 sleep\(s\) on it were pending/);
});

Deno.test("FakeTime.tick() and tickAsync() refuse to move time backwards, or by a non-finite amount", async () => {
  using time = new FakeTime(T0);
  for (const ms of [-1, NaN, Infinity]) {
    assert.throws(() => time.tick(ms), (error: unknown) =>
      error instanceof RangeError &&
      error.message.startsWith(`Cannot tick FakeTime: 'ms' must be a number of milliseconds >= 0, got ${ms}`));
    await assert.rejects(
      time.tickAsync(ms),
      (error: unknown) =>
        error instanceof RangeError && error.message.startsWith("Cannot tickAsync FakeTime: 'ms' must be"),
    );
  }
  assert.equal(time.now(), T0);
});

Deno.test("FakeTime.setTime() may step the wall clock backwards", () => {
  using time = new FakeTime(T0);
  time.setTime(T0 - 3_600_000);
  assert.equal(time.now(), T0 - 3_600_000);
});

Deno.test("FakeTime with install fakes the global Date and timers until disposed", async () => {
  {
    using time = new FakeTime(LONG_AGO, { install: true });
    assert.equal(Date.now(), LONG_AGO);
    assert.equal(new Date().getTime(), LONG_AGO);
    let fired = false;
    setTimeout(() => fired = true, 1_000);
    await time.tickAsync(1_000);
    assert.ok(fired);
    assert.equal(Date.now(), LONG_AGO + 1_000);
  }
  assert.ok(Date.now() > LONG_AGO + 365 * 24 * 3_600_000, "the real Date is back");
});

Deno.test("A second FakeTime with install, while one is installed, is refused; once disposed it works", () => {
  {
    using _first = new FakeTime(LONG_AGO, { install: true });
    assert.throws(() => new FakeTime(LONG_AGO, { install: true }), (error: unknown) =>
      error instanceof Error &&
      error.message.startsWith(
        "Cannot create FakeTime with install: fake timers are installed on the globals already",
      ));
  }
  using again = new FakeTime(LONG_AGO + 1, { install: true });
  assert.equal(Date.now(), LONG_AGO + 1);
  assert.equal(again.now(), LONG_AGO + 1);
});

Deno.test("FakeTime can stand in for a TimeSource", async () => {
  using time = new FakeTime(LONG_AGO);
  const source: import("../../src/core/time_source.ts").TimeSource = time;
  const sleeping = source.sleep(10);
  await time.tickAsync(10);
  await sleeping;
  assert.equal(source.now(), LONG_AGO + 10);
});

Deno.test("FakeTime.next() and runAll() stay as deprecated aliases of nextAsync() and runAllAsync()", async () => {
  using time = new FakeTime(T0);
  const early = track(time, time.sleep(2_000));
  const late = track(time, time.sleep(5_000));
  await time.next();
  assert.deepEqual([early.settledAt, late.settledAt], [T0 + 2_000, undefined]);
  await time.runAll();
  assert.equal(late.settledAt, T0 + 5_000);
});
