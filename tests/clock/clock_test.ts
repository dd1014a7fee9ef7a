import assert from "node:assert/strict";
import { Clock, type RunOptions } from "../../src/clock/clock.ts";
import type { TickReport } from "../../src/clock/tick_report.ts";
import { Event } from "../../src/events/event.ts";
import { ErrorCode, WalnatsError } from "../../src/errors.ts";
import type { Publisher, PublishResult, TickMessage } from "../../src/events/publisher.ts";
import type { TimeSource } from "../../src/core/time_source.ts";
import { FakeTime } from "../../testing/fake_time.ts";
import { MemoryPublisher } from "../../testing/memory_publisher.ts";

/** 2026-11-26T16:15:00Z: a multiple of 5 minutes since the epoch. */
const T0 = Date.parse("2026-11-26T16:15:00Z");
/** 2026-11-26T16:00:00Z: a multiple of one hour. */
const HOUR = Date.parse("2026-11-26T16:00:00Z");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

interface Running {
  /** Every report, in order. */
  reports: TickReport[];
  /** The time source's instant at which each report arrived. */
  reportedAt: number[];
  stop: AbortController;
  done: Promise<void>;
  /** Whether `done` has settled. */
  settled(): boolean;
}

/** Runs a clock, collecting its reports. */
function start(
  clock: Clock,
  publisher: Publisher,
  time: TimeSource,
  options: Omit<RunOptions, "time" | "onTick" | "signal"> = {},
): Running {
  const reports: TickReport[] = [];
  const reportedAt: number[] = [];
  const stop = new AbortController();
  let settled = false;
  const done = clock.run(publisher, {
    ...options,
    time,
    signal: stop.signal,
    onTick: (report) => {
      reports.push(report);
      reportedAt.push(time.now());
    },
  });
  done.then(() => settled = true, () => settled = true);
  return { reports, reportedAt, stop, done, settled: () => settled };
}

/** Stops a running clock and waits for it on fake time. */
async function stopAndWait(running: Running, time: FakeTime): Promise<void> {
  running.stop.abort();
  await time.tickAsync(0);
  assert.ok(running.settled(), "run() did not return after the abort");
  await running.done;
}

/** One publish attempt, as a test double saw it. */
interface Attempt {
  tickMs: number;
  at: number;
  timeoutMs: number;
}

/** A publisher that fails (or succeeds through `inner`) as `behave` decides, recording every attempt. */
function scripted(
  time: TimeSource,
  behave: (message: TickMessage, attempt: Attempt, index: number) => Promise<PublishResult> | "pass",
  inner: Publisher = new MemoryPublisher(),
): Publisher & { attempts: Attempt[] } {
  const attempts: Attempt[] = [];
  return {
    attempts,
    publishTick(message, options) {
      const attempt = { tickMs: message.tickMs, at: time.now(), timeoutMs: options.timeoutMs };
      attempts.push(attempt);
      const outcome = behave(message, attempt, attempts.length - 1);
      return outcome === "pass" ? inner.publishTick(message, options) : outcome;
    },
    lastTick: (target) => inner.lastTick(target),
  };
}

/** A time source that counts and checks sleeps, then delegates to `inner`, optionally oversleeping. */
function observed(inner: TimeSource, oversleepMs = 0): TimeSource & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => inner.now(),
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return inner.sleep(ms + oversleepMs, signal);
    },
  };
}

const ticksOf = (stream: MemoryPublisher) => stream.messages.map((message) => message.tickMs);
const range = (from: number, count: number, stepMs: number) =>
  Array.from({ length: count }, (_, i) => from + i * stepMs);

// --- construction -----------------------------------------------------------

Deno.test("new Clock() defaults to the minute-passed Date event and a 60 s period", () => {
  const clock = new Clock();
  assert.equal(clock.event.name, "minute-passed");
  assert.equal(clock.event.schema, Date);
  assert.equal(clock.period, 60);
  assert.deepEqual(clock.meta, {});
});

Deno.test("new Clock() rejects a period that is not a positive whole number of milliseconds", () => {
  const cases: [unknown, string][] = [
    [0, "0"],
    [-5, "-5"],
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
    [0.0005, "0.0005"],
    [1.0005, "1.0005"],
    ["60", "'60'"],
    [null, "null"],
  ];
  for (const [period, shown] of cases) {
    assert.throws(
      () => new Clock({ period: period as number }),
      (error: unknown) =>
        error instanceof RangeError && error.message.startsWith("Cannot create Clock: 'period' must be") &&
        error.message.endsWith(`got ${shown}`),
      String(period),
    );
  }
});

Deno.test("new Clock() accepts periods down to one millisecond", () => {
  for (const period of [0.001, 0.007, 1.5, 60, 86_400]) {
    assert.equal(new Clock({ period }).period, period);
  }
});

Deno.test("new Clock() rejects an event that is not a Date event", () => {
  const notDateEvents = [
    new Event("x", String),
    new Event("x", Object),
    { name: "x", schema: Date },
    null,
    "minute-passed",
  ];
  for (const event of notDateEvents) {
    assert.throws(
      () => new Clock({ event: event as unknown as Event<DateConstructor> }),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message.startsWith("Cannot create Clock: 'event' must be an Event with the Date schema"),
      String(event),
    );
  }
});

Deno.test("new Clock() rejects meta headers with a bad name or a value with a line break", () => {
  const bad = [{ "bad name": "x" }, { "a:b": "x" }, { "Nats-X": "x" }, { "Walnats-X": "x" }, { team: "a\nb" }, {
    team: "a\rb",
  }];
  for (const meta of bad) {
    assert.throws(
      () => new Clock({ meta }),
      (error: unknown) => error instanceof TypeError && error.message.startsWith("Cannot create Clock: 'meta'"),
      JSON.stringify(meta),
    );
  }
});

Deno.test("new Clock() keeps a frozen copy of its meta headers", () => {
  const meta = { "X-Team": "ops" };
  const clock = new Clock({ meta });
  meta["X-Team"] = "changed";
  assert.deepEqual(clock.meta, { "X-Team": "ops" });
  assert.ok(Object.isFrozen(clock.meta));
});

Deno.test("new Clock() rejects an event that keeps messages for less than one period", () => {
  const event = new Event("5m-passed", Date, { limits: { age: 299 } });
  assert.throws(
    () => new Clock({ event, period: 300 }),
    (error: unknown) =>
      error instanceof RangeError && error.message.startsWith("Cannot create Clock:") &&
      error.message.includes("'limits.age'") && error.message.includes("299") && error.message.includes("300"),
  );
  assert.equal(new Clock({ event: new Event("5m-passed", Date, { limits: { age: 300 } }), period: 300 }).period, 300);
});

Deno.test("new Clock() gives its event a duplicate window of one period, at least 2 minutes", () => {
  assert.equal(new Clock({ period: 60 }).event.limits.duplicateWindow, 120);
  assert.equal(new Clock({ period: 0.001 }).event.limits.duplicateWindow, 120);
  assert.equal(new Clock({ event: new Event("5m", Date), period: 300 }).event.limits.duplicateWindow, 300);
  assert.equal(new Clock({ event: new Event("d", Date), period: 86_400 }).event.limits.duplicateWindow, 86_400);
});

Deno.test("new Clock() caps the duplicate window it sets at the event's age", () => {
  const event = new Event("m", Date, { limits: { age: 90 } });
  assert.equal(new Clock({ event, period: 60 }).event.limits.duplicateWindow, 90);
});

Deno.test("new Clock() keeps a duplicate window the event sets, and the event's other settings", () => {
  const event = new Event("m.p", Date, {
    description: "Every minute",
    limits: { age: 3_600, replicas: 3, duplicateWindow: 30 },
  });
  const clock = new Clock({ event, period: 60 });
  assert.equal(clock.event.limits.duplicateWindow, 30);

  const derived = new Clock({ event: new Event("m.p", Date, { description: "Every minute", limits: { age: 3_600 } }) });
  assert.equal(derived.event.name, "m.p");
  assert.equal(derived.event.stream, "m-p");
  assert.equal(derived.event.description, "Every minute");
  assert.deepEqual(derived.event.limits, { age: 3_600, duplicateWindow: 120 });
});

// --- the tick on the wire -----------------------------------------------------

Deno.test("Clock.run() sends the scheduled instant as ISO text with +00:00, with its id and headers", async () => {
  using time = new FakeTime("2026-11-26T16:14:00Z");
  const stream = new MemoryPublisher();
  const clock = new Clock({ event: new Event("clock.5m", Date), period: 300, meta: { "X-Team": "ops", region: "eu" } });
  const running = start(clock, stream, time, { burst: true });
  await time.tickAsync(60_000);
  await running.done;

  assert.equal(stream.messages.length, 1);
  const [message] = stream.messages;
  assert.ok(message);
  assert.equal(message.subject, "clock.5m");
  assert.equal(message.stream, "clock-5m");
  assert.equal(message.tickMs, T0);
  assert.equal(message.msgId, "clock.5m:1795709700000");
  assert.equal(text(message.payload), "2026-11-26T16:15:00.000+00:00");
  const { "Walnats-Clock": clockId, ...headers } = message.headers;
  assert.deepEqual(headers, {
    "X-Team": "ops",
    region: "eu",
    "Walnats-Tick": "1795709700000",
    "Walnats-Previous-Tick": "1795709400000",
    "Walnats-Next-Tick": "1795710000000",
  });
  assert.match(clockId ?? "", UUID);
});

Deno.test("Clock.run() of the default clock sends minute-passed with the id minute-passed:<epoch ms>", async () => {
  using time = new FakeTime(T0 - 1);
  const stream = new MemoryPublisher();
  const running = start(new Clock(), stream, time, { burst: true });
  await time.tickAsync(1);
  await running.done;
  assert.deepEqual(stream.messages.map((m) => [m.subject, m.msgId, m.headers["Walnats-Tick"]]), [
    ["minute-passed", "minute-passed:1795709700000", "1795709700000"],
  ]);
});

Deno.test("Clock.run() names itself the same in every tick of one run, and differently in another run", async () => {
  using time = new FakeTime(T0 - 1);
  const stream = new MemoryPublisher();
  const clock = new Clock({ period: 1 });
  const first = start(clock, stream, time);
  await time.tickAsync(3_000);
  await stopAndWait(first, time);
  const second = start(clock, stream, time);
  await time.tickAsync(1_000);
  await stopAndWait(second, time);

  const ids = stream.messages.map((message) => message.headers["Walnats-Clock"]);
  assert.equal(ids.length, 4);
  assert.equal(new Set(ids.slice(0, 3)).size, 1);
  assert.notEqual(ids[3], ids[0]);
});

// --- the schedule -------------------------------------------------------------

Deno.test("Clock.run() emits its first tick at the first period instant strictly after the start", async () => {
  using time = new FakeTime(T0 - 34_500);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ period: 60 }), stream, time);
  await time.tickAsync(34_499);
  assert.deepEqual(stream.messages, []);
  await time.tickAsync(1);
  assert.deepEqual(ticksOf(stream), [T0]);
  await stopAndWait(running, time);
});

Deno.test("Clock.run() started exactly on a tick instant waits for the next one", async () => {
  using time = new FakeTime(T0);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ period: 60 }), stream, time, { burst: true });
  await time.tickAsync(59_999);
  assert.deepEqual(stream.messages, []);
  await time.tickAsync(1);
  await running.done;
  assert.deepEqual(ticksOf(stream), [T0 + 60_000]);
});

Deno.test("Clock.run() emits one tick per period over N periods, none doubled or skipped", async () => {
  using time = new FakeTime(T0 - 1);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ period: 60 }), stream, time);
  await time.tickAsync(1 + 9 * 60_000);
  await stopAndWait(running, time);

  assert.deepEqual(ticksOf(stream), range(T0, 10, 60_000));
  assert.deepEqual(
    running.reports.map((r) => [r.tick.getTime(), r.outcome, r.attempts, r.lagMs, r.seq]),
    range(T0, 10, 60_000).map((tick, i) => [tick, "emitted", 1, 0, i + 1]),
  );
});

for (const [period, startOffsetMs, count] of [[1.5, 123, 6], [0.007, 3, 20], [0.001, 0, 25]] as const) {
  Deno.test(`Clock.run() with a ${period * 1000} ms period ticks on its multiples since the epoch`, async () => {
    const periodMs = Math.round(period * 1000);
    const startMs = T0 + startOffsetMs;
    using time = new FakeTime(startMs);
    const stream = new MemoryPublisher();
    const running = start(new Clock({ event: new Event("odd", Date), period }), stream, time);
    const first = (Math.floor(startMs / periodMs) + 1) * periodMs;
    await time.tickAsync(first - startMs + (count - 1) * periodMs);
    await stopAndWait(running, time);

    const ticks = ticksOf(stream);
    assert.deepEqual(ticks, range(first, count, periodMs));
    for (const tick of ticks) assert.equal(tick % periodMs, 0);
    assert.ok(ticks[0]! > startMs);
    assert.ok(running.reports.every((r) => r.outcome === "emitted" && r.lagMs === 0));
  });
}

Deno.test("Clock.run() emits the scheduled instant, not the wake-up time", async () => {
  using fake = new FakeTime(T0 - 10_000);
  const time = observed(fake, 700);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ period: 60 }), stream, time, { burst: true });
  await fake.tickAsync(10_700);
  await running.done;

  assert.deepEqual(ticksOf(stream), [T0]);
  assert.equal(text(stream.messages[0]!.payload), "2026-11-26T16:15:00.000+00:00");
  assert.equal(running.reports[0]?.tick.getTime(), T0);
  assert.equal(running.reportedAt[0], T0 + 700);
});

Deno.test("Clock.run() measures lagMs from the scheduled instant to the acknowledgement", async () => {
  using fake = new FakeTime(T0 - 10_000);
  const time = observed(fake, 700);
  const stream = new MemoryPublisher();
  const slow = scripted(fake, () => "pass", {
    publishTick: async (message) => {
      await fake.sleep(250);
      return stream.publishTick(message);
    },
    lastTick: (target) => stream.lastTick(target),
  });
  const running = start(new Clock({ period: 60 }), slow, time, { burst: true });
  await fake.tickAsync(10_700 + 250);
  await running.done;

  assert.equal(running.reports.length, 1);
  assert.equal(running.reports[0]?.outcome, "emitted");
  assert.equal(running.reports[0]?.lagMs, 950);
  assert.equal(running.reports[0]?.lagMs, running.reportedAt[0]! - T0);
});

// --- burst and stopping -----------------------------------------------------

Deno.test("Clock.run() with burst emits exactly the next tick and returns", async () => {
  using time = new FakeTime(T0 - 20_000);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ period: 60 }), stream, time, { burst: true });
  await time.tickAsync(20_000);
  assert.ok(running.settled());
  await running.done;
  assert.deepEqual(ticksOf(stream), [T0]);
  assert.deepEqual(running.reports.map((r) => r.outcome), ["emitted"]);
  // Nothing is left scheduled: running every fake timer does not move time or emit.
  await time.runAllAsync();
  assert.equal(time.now(), T0);
  assert.deepEqual(ticksOf(stream), [T0]);
});

Deno.test("Clock.run() returns at once when the signal is already aborted", async () => {
  using fake = new FakeTime(T0);
  const time = observed(fake);
  const stream = new MemoryPublisher();
  await new Clock().run(stream, { time, signal: AbortSignal.abort(), onTick: () => assert.fail("no tick expected") });
  assert.deepEqual(time.sleeps, []);
  assert.deepEqual(stream.messages, []);
});

Deno.test("Clock.run() stops promptly when aborted while sleeping and leaves no timer pending", async () => {
  using time = new FakeTime(T0 - 30_000);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ period: 60 }), stream, time);
  await time.tickAsync(10_000);
  running.stop.abort();
  await time.tickAsync(0);
  assert.ok(running.settled());
  await running.done;
  assert.equal(time.now(), T0 - 20_000);
  await time.runAllAsync();
  assert.equal(time.now(), T0 - 20_000);
  assert.deepEqual(running.reports, []);
  assert.deepEqual(stream.messages, []);
});

Deno.test("Clock.run() on the system time stops when aborted and leaves no real timer", async () => {
  const stream = new MemoryPublisher();
  const stop = new AbortController();
  const reports: TickReport[] = [];
  const done = new Clock({ period: 3_600 }).run(stream, { signal: stop.signal, onTick: (r) => reports.push(r) });
  stop.abort();
  await done;
  assert.deepEqual(reports, []);
});

Deno.test("Clock.run() stopped during retries reports the tick missed with reason 'stopped'", async () => {
  using time = new FakeTime(T0 - 1_000);
  const failure = new Error("no responders");
  const publisher = scripted(time, () => Promise.reject(failure));
  const running = start(new Clock({ period: 5 }), publisher, time);
  await time.tickAsync(1_020);
  assert.equal(publisher.attempts.length, 1);
  running.stop.abort();
  await time.tickAsync(0);
  assert.ok(running.settled());
  await running.done;

  assert.equal(running.reports.length, 1);
  const [report] = running.reports;
  assert.equal(report?.tick.getTime(), T0);
  assert.equal(report?.outcome, "missed");
  assert.equal(report?.reason, "stopped");
  assert.equal(report?.attempts, 1);
  assert.equal(report?.error, failure);
  assert.equal(report?.lagMs, 20);
  assert.equal(publisher.attempts.length, 1);
});

Deno.test("Clock.run() rejects with the error thrown by onTick", async () => {
  using time = new FakeTime(T0 - 1);
  const boom = new Error("handler failed");
  const done = new Clock({ period: 60 }).run(new MemoryPublisher(), {
    time,
    onTick: () => {
      throw boom;
    },
  });
  const rejected = assert.rejects(done, (error) => error === boom);
  await time.tickAsync(1);
  await rejected;
});

Deno.test("Clock.run() rejects with a time source's failure that is not an abort", async () => {
  const broken = new Error("clock device gone");
  const time: TimeSource = { now: () => T0, sleep: () => Promise.reject(broken) };
  await assert.rejects(new Clock().run(new MemoryPublisher(), { time }), (error) => error === broken);
});

// --- failing publishers -----------------------------------------------------

Deno.test("Clock.run() retries a failed publish: two failures then success report 'emitted' with 3 attempts", async () => {
  using time = new FakeTime(T0 - 1);
  const stream = new MemoryPublisher();
  const publisher = scripted(
    time,
    (_, __, index) => index < 2 ? Promise.reject(new Error(`fail ${index}`)) : "pass",
    stream,
  );
  const running = start(new Clock({ period: 60 }), publisher, time, { burst: true });
  await time.tickAsync(60_000);
  await running.done;

  assert.deepEqual(ticksOf(stream), [T0]);
  assert.equal(running.reports.length, 1);
  const [report] = running.reports;
  assert.equal(report?.outcome, "emitted");
  assert.equal(report?.attempts, 3);
  assert.equal(report?.seq, 1);
  assert.equal(report?.error, undefined);
  assert.equal(report?.lagMs, publisher.attempts[2]!.at - T0);
  assert.ok(publisher.attempts[1]!.at > publisher.attempts[0]!.at);
  assert.ok(publisher.attempts[2]!.at > publisher.attempts[1]!.at);
});

Deno.test("Clock.run() gives up a tick no publish acknowledges by the next tick, reports the error and emits the next tick", async () => {
  using time = new FakeTime(T0 - 1_000);
  const stream = new MemoryPublisher();
  const errors: Error[] = [];
  const publisher = scripted(time, (message, _, index) => {
    if (message.tickMs !== T0) return "pass";
    errors.push(new Error(`attempt ${index} failed`));
    return Promise.reject(errors.at(-1));
  }, stream);
  const running = start(new Clock({ period: 5 }), publisher, time);
  await time.tickAsync(1_000 + 5_000);
  await stopAndWait(running, time);

  assert.equal(running.reports.length, 2);
  const [missed, next] = running.reports;
  assert.equal(missed?.tick.getTime(), T0);
  assert.equal(missed?.outcome, "missed");
  assert.equal(missed?.reason, "unacknowledged");
  assert.equal(missed?.error, errors.at(-1));
  assert.equal(missed?.attempts, errors.length);
  assert.ok(errors.length > 1);
  assert.ok(running.reportedAt[0]! <= T0 + 5_000, `reported at ${running.reportedAt[0]! - T0} ms after the tick`);
  assert.ok(missed!.lagMs <= 5_000);
  assert.equal(next?.tick.getTime(), T0 + 5_000);
  assert.equal(next?.outcome, "emitted");
  assert.deepEqual(ticksOf(stream), [T0 + 5_000]);
});

Deno.test("Clock.run() gives each publish attempt at most 1 s and never past the next tick", async () => {
  using time = new FakeTime(T0 - 1);
  const publisher = scripted(time, () => Promise.reject(new Error("down")));
  const running = start(new Clock({ period: 1.5 }), publisher, time);
  await time.tickAsync(1 + 3_000);
  await stopAndWait(running, time);

  assert.ok(publisher.attempts.length > 2);
  for (const attempt of publisher.attempts) {
    const deadline = attempt.tickMs + 1_500;
    assert.ok(attempt.at < deadline, `attempt at ${attempt.at - attempt.tickMs} ms into the tick`);
    assert.ok(attempt.timeoutMs >= 1 && attempt.timeoutMs <= 1_000, `timeout ${attempt.timeoutMs}`);
    assert.ok(attempt.at + attempt.timeoutMs <= deadline, `attempt may run past the next tick`);
  }
});

Deno.test("Clock.run() gives a short period's publish attempt the whole window to its next tick (the adapter's share: tests/nats/slow_answer_test.ts)", async () => {
  for (const [periodMs, windowMs] of [[10, 10], [50, 50], [1_000, 1_000], [1_500, 1_000]] as const) {
    const first = Math.ceil(T0 / periodMs) * periodMs;
    using time = new FakeTime(first - 1);
    const publisher = scripted(time, () => "pass");
    const running = start(new Clock({ period: periodMs / 1_000 }), publisher, time);
    await time.tickAsync(1 + 2 * periodMs);
    await stopAndWait(running, time);

    // On fake time the clock wakes at its tick exactly: the attempt's window is the period, at most 1 s.
    assert.deepEqual(
      publisher.attempts.slice(0, 2).map(({ tickMs, at, timeoutMs }) => [tickMs - first, at - tickMs, timeoutMs]),
      [[0, 0, windowMs], [periodMs, 0, windowMs]],
      `period ${periodMs} ms`,
    );
  }
});

Deno.test("Clock.run() gives up on a publisher that times out every attempt, and emits the next tick", async () => {
  using time = new FakeTime(T0 - 1_000);
  const stream = new MemoryPublisher();
  const publisher = scripted(time, async (message, attempt) => {
    if (message.tickMs !== T0) return stream.publishTick(message);
    await time.sleep(attempt.timeoutMs);
    throw new Error(`timeout after ${attempt.timeoutMs} ms`);
  });
  const running = start(new Clock({ period: 5 }), publisher, time);
  await time.tickAsync(1_000 + 5_000);
  await stopAndWait(running, time);

  assert.deepEqual(running.reports.map((r) => [r.tick.getTime(), r.outcome, r.reason]), [
    [T0, "missed", "unacknowledged"],
    [T0 + 5_000, "emitted", undefined],
  ]);
  assert.match(String(running.reports[0]?.error), /timeout after \d+ ms/);
  assert.ok(running.reportedAt[0]! <= T0 + 5_000);
  assert.deepEqual(ticksOf(stream), [T0 + 5_000]);
});

Deno.test("Clock.run() gives up on a publish that never answers by the next tick, and emits the next tick", async () => {
  using time = new FakeTime(T0 - 1_000);
  const stream = new MemoryPublisher();
  const publisher = scripted(time, (message) => message.tickMs === T0 ? new Promise<never>(() => {}) : "pass", stream);
  const running = start(new Clock({ period: 5 }), publisher, time);
  await time.tickAsync(1_000 + 5_000);

  assert.deepEqual(running.reports.map((r) => [r.tick.getTime(), r.outcome, r.reason]), [
    [T0, "missed", "unacknowledged"],
    [T0 + 5_000, "emitted", undefined],
  ]);
  assert.ok(running.reports[0]?.error instanceof Error);
  assert.ok(running.reports[0]!.attempts >= 1);
  assert.ok(running.reportedAt[0]! <= T0 + 5_000);
  assert.deepEqual(ticksOf(stream), [T0 + 5_000]);
  await stopAndWait(running, time);
});

Deno.test("Clock.run() stopped while a publish hangs returns once that attempt times out", async () => {
  using time = new FakeTime(T0 - 1);
  const publisher = scripted(time, () => new Promise<never>(() => {}));
  const running = start(new Clock({ period: 60 }), publisher, time);
  await time.tickAsync(1 + 100);
  running.stop.abort();
  await time.tickAsync(900);
  assert.ok(running.settled());
  await running.done;
  assert.deepEqual(running.reports.map((r) => [r.outcome, r.reason, r.attempts]), [["missed", "stopped", 1]]);
});

Deno.test("Clock.run() delivers a tick once through a 1.5 s outage across it with a 5 s period", async () => {
  using time = new FakeTime(T0 - 2_000);
  const stream = new MemoryPublisher();
  const outage = { from: T0 - 500, until: T0 + 1_000 };
  const publisher = scripted(
    time,
    (_, attempt) => attempt.at >= outage.from && attempt.at < outage.until ? Promise.reject(new Error("down")) : "pass",
    stream,
  );
  const running = start(new Clock({ period: 5 }), publisher, time);
  await time.tickAsync(2_000 + 5_000);
  await stopAndWait(running, time);

  assert.deepEqual(ticksOf(stream), [T0, T0 + 5_000]);
  const [report] = running.reports;
  assert.equal(report?.tick.getTime(), T0);
  assert.equal(report?.outcome, "emitted");
  assert.ok(report!.attempts > 1);
  assert.ok(report!.lagMs >= 1_000 && report!.lagMs < 5_000, `lag ${report?.lagMs}`);
  assert.equal(running.reports[1]?.outcome, "emitted");
  assert.equal(running.reports[1]?.attempts, 1);
});

Deno.test("Clock.run() reports a tick it stored itself as emitted when the first answer was lost", async () => {
  using time = new FakeTime(T0 - 1);
  const stream = new MemoryPublisher();
  const publisher = scripted(time, (message, _, index) => {
    if (index > 0) return "pass";
    return stream.publishTick(message).then(() => Promise.reject(new Error("answer lost")));
  }, stream);
  const running = start(new Clock({ period: 60 }), publisher, time, { burst: true });
  await time.tickAsync(60_000);
  await running.done;

  assert.deepEqual(ticksOf(stream), [T0]);
  assert.deepEqual(running.reports.map((r) => [r.outcome, r.attempts, r.seq]), [["emitted", 2, 1]]);
});

// --- stepped time and long sleeps ---------------------------------------------

Deno.test("Clock.run() reports ticks overslept after a forward time step as late, and emits the current one", async () => {
  using time = new FakeTime(T0 - 10_000);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ period: 60 }), stream, time);
  await time.tickAsync(10_000);
  time.setTime(T0 + 5 * 60_000 + 20_000);
  await time.tickAsync(30_000);
  await stopAndWait(running, time);

  const wokeAt = T0 + 5 * 60_000 + 50_000;
  assert.deepEqual(ticksOf(stream), [T0, T0 + 5 * 60_000]);
  assert.deepEqual(
    running.reports.map((r) => [r.tick.getTime(), r.outcome, r.reason, r.attempts, r.lagMs]),
    [
      [T0, "emitted", undefined, 1, 0],
      ...range(T0 + 60_000, 4, 60_000).map((tick) => [tick, "missed", "late", 0, wokeAt - tick]),
      [T0 + 5 * 60_000, "emitted", undefined, 1, 50_000],
    ],
  );
});

Deno.test("Clock.run() emits no tick twice when time steps backwards", async () => {
  using time = new FakeTime(T0 - 10_000);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ period: 60 }), stream, time);
  await time.tickAsync(10_000 + 60_000);
  assert.deepEqual(ticksOf(stream), [T0, T0 + 60_000]);
  time.setTime(T0 - 30_000);
  // Time must pass T0 and T0 + 60 s again before the next tick is due.
  await time.tickAsync(149_999);
  assert.deepEqual(ticksOf(stream), [T0, T0 + 60_000]);
  await time.tickAsync(1);
  assert.deepEqual(ticksOf(stream), [T0, T0 + 60_000, T0 + 120_000]);
  await stopAndWait(running, time);
  assert.deepEqual(running.reports.map((r) => [r.tick.getTime(), r.outcome]), [
    [T0, "emitted"],
    [T0 + 60_000, "emitted"],
    [T0 + 120_000, "emitted"],
  ]);
});

Deno.test("Clock.run() sleeps at most 30 s at a time, even with a 1-hour period", async () => {
  using fake = new FakeTime(HOUR + 1_000);
  const calls: { at: number; ms: number }[] = [];
  const time: TimeSource = {
    now: () => fake.now(),
    sleep: (ms, signal) => {
      calls.push({ at: fake.now(), ms });
      return fake.sleep(ms, signal);
    },
  };
  const stream = new MemoryPublisher();
  const running = start(new Clock({ event: new Event("hourly", Date), period: 3_600 }), stream, time, { burst: true });
  await fake.tickAsync(3_599_000);
  await running.done;

  assert.deepEqual(ticksOf(stream), [HOUR + 3_600_000]);
  assert.ok(calls.every(({ ms }) => ms > 0 && ms <= 30_000), `sleeps: ${calls.map(({ ms }) => ms).join(", ")}`);
  // The clock woke (and slept again) at least every 30 s, from the start to the tick.
  const wakeUps = [...calls.map(({ at }) => at), HOUR + 3_600_000];
  assert.equal(wakeUps[0], HOUR + 1_000);
  for (let i = 1; i < wakeUps.length; i++) {
    assert.ok(wakeUps[i]! - wakeUps[i - 1]! <= 30_000, `no wake-up between ${wakeUps[i - 1]} and ${wakeUps[i]}`);
  }
  assert.ok(calls.length >= Math.ceil(3_599_000 / 30_000));
});

Deno.test("Clock.run() notices a forward time step within 30 s, even with a 1-hour period", async () => {
  using time = new FakeTime(HOUR + 1_000);
  const stream = new MemoryPublisher();
  const running = start(new Clock({ event: new Event("hourly", Date), period: 3_600 }), stream, time, { burst: true });
  await time.tickAsync(1_000);
  time.setTime(HOUR + 3_600_000 + 5_000);
  await time.tickAsync(30_000);
  assert.ok(running.settled());
  await running.done;
  assert.deepEqual(ticksOf(stream), [HOUR + 3_600_000]);
  assert.ok(running.reports[0]!.lagMs <= 5_000 + 30_000);
});

// --- several clocks -----------------------------------------------------------

Deno.test("Two clocks of the same event store each tick once: one reports emitted, the other duplicate", async () => {
  using time = new FakeTime(T0 - 1);
  const stream = new MemoryPublisher();
  const event = new Event("minute-passed", Date);
  const a = start(new Clock({ event, period: 60 }), stream, time);
  const b = start(new Clock({ event, period: 60 }), stream, time);
  await time.tickAsync(1 + 2 * 60_000);
  await stopAndWait(a, time);
  await stopAndWait(b, time);

  const ticks = range(T0, 3, 60_000);
  assert.deepEqual(ticksOf(stream), ticks);
  for (const [i, tick] of ticks.entries()) {
    const outcomes = [a.reports[i], b.reports[i]].map((r) => {
      assert.equal(r?.tick.getTime(), tick);
      return r?.outcome;
    });
    assert.deepEqual(outcomes.sort(), ["duplicate", "emitted"], `tick ${i}`);
  }
  assert.equal(a.reports.length, 3);
  assert.equal(b.reports.length, 3);
});

Deno.test("Clock.run() retries a publish the connection cut off at once, but pauses between two such retries", async () => {
  using time = new FakeTime(T0 - 1);
  const stream = new MemoryPublisher();
  const cut = () => Promise.reject(new WalnatsError(ErrorCode.ConnectionInterrupted, "cut off"));
  const publisher = scripted(time, (_, __, index) => index < 3 ? cut() : "pass", stream);
  const running = start(new Clock({ period: 60 }), publisher, time, { burst: true });
  await time.tickAsync(60_000);
  await running.done;

  assert.deepEqual(ticksOf(stream), [T0]);
  assert.equal(running.reports[0]?.outcome, "emitted");
  assert.equal(running.reports[0]?.attempts, 4);
  // At once after a cut, but never twice in a row: after the second attempt, the usual pause (100 ms).
  assert.deepEqual(publisher.attempts.map((attempt) => attempt.at - T0), [0, 0, 100, 100]);
});
