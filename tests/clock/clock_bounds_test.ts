import assert from "node:assert/strict";
import { Clock } from "../../src/clock/clock.ts";
import type { TickReport } from "../../src/clock/tick_report.ts";
import { Event } from "../../src/events/event.ts";
import { FakeTime } from "../../testing/fake_time.ts";
import { MemoryPublisher } from "../../testing/memory_publisher.ts";

const T0 = Date.parse("2026-11-26T16:15:00Z");
const MINUTE = 60_000;
const iso = (dates: Date[]) => dates.map((date) => date.toISOString());

Deno.test("Clock.nextTicks() previews the next ticks of a periodic clock, strictly after 'from'", () => {
  const clock = new Clock({ period: 300 });
  assert.deepEqual(iso(clock.nextTicks(3, new Date(T0))), [
    "2026-11-26T16:20:00.000Z",
    "2026-11-26T16:25:00.000Z",
    "2026-11-26T16:30:00.000Z",
  ]);
});

Deno.test("Clock.nextTicks() keeps within startAt and stopAt", () => {
  const clock = new Clock({ startAt: new Date(T0 + 10 * MINUTE), stopAt: new Date(T0 + 12 * MINUTE) });
  assert.deepEqual(iso(clock.nextTicks(5, new Date(T0))), [
    "2026-11-26T16:25:00.000Z",
    "2026-11-26T16:26:00.000Z",
    "2026-11-26T16:27:00.000Z",
  ]);
});

Deno.test("Clock.nextTicks() refuses a count that is not a whole number >= 1 and an invalid 'from'", () => {
  const clock = new Clock();
  for (const count of [0, -1, 1.5, NaN]) {
    assert.throws(
      () => clock.nextTicks(count),
      /^RangeError: Cannot preview ticks: 'count' must be a whole number >= 1/,
    );
  }
  assert.throws(
    () => clock.nextTicks(1, new Date(NaN)),
    /^RangeError: Cannot preview ticks: 'from' must be a valid Date/,
  );
});

async function reportsOf(clock: Clock, startMs: number, forMs: number) {
  using time = new FakeTime(startMs);
  const stream = new MemoryPublisher();
  const reports: TickReport[] = [];
  let returned = false;
  const stop = new AbortController();
  const done = clock.run(stream, { time, signal: stop.signal, onTick: (r) => reports.push(r) }).then(() =>
    returned = true
  );
  await time.tickAsync(forMs);
  const returnedByItself = returned;
  stop.abort();
  await time.tickAsync(0);
  await done;
  return { ticks: reports.map((r) => r.tick.getTime() - T0), returnedByItself };
}

Deno.test("Clock.run() emits no tick before startAt", async () => {
  const clock = new Clock({ startAt: new Date(T0 + 3 * MINUTE) });
  const { ticks } = await reportsOf(clock, T0 - 1, 5 * MINUTE);
  assert.deepEqual(ticks, [3 * MINUTE, 4 * MINUTE]);
});

Deno.test("Clock.run() returns by itself after the last tick before stopAt", async () => {
  const clock = new Clock({ stopAt: new Date(T0 + 2 * MINUTE + 30_000) });
  const { ticks, returnedByItself } = await reportsOf(clock, T0 - 1, 5 * MINUTE);
  assert.deepEqual(ticks, [0, MINUTE, 2 * MINUTE]);
  assert.ok(returnedByItself);
});

Deno.test("Clock.run() returns at once when stopAt has passed", async () => {
  const clock = new Clock({ stopAt: new Date(T0) });
  const { ticks, returnedByItself } = await reportsOf(clock, T0 + MINUTE, 0);
  assert.deepEqual(ticks, []);
  assert.ok(returnedByItself);
});

Deno.test("Clock.run() returns by itself after maxTicks ticks", async () => {
  const clock = new Clock({ maxTicks: 2 });
  const { ticks, returnedByItself } = await reportsOf(clock, T0 - 1, 5 * MINUTE);
  assert.deepEqual(ticks, [0, MINUTE]);
  assert.ok(returnedByItself);
});

Deno.test("new Clock() refuses schedule options that do not go together or are out of range", () => {
  const cases: [ConstructorParameters<typeof Clock>[0], RegExp][] = [
    [{ period: 60, cron: "* * * * *" }, /^TypeError: Cannot create Clock: give either 'period' or 'cron', not both$/],
    [{ timezone: "Europe/Berlin" }, /^TypeError: Cannot create Clock: 'timezone' goes with 'cron'/],
    [{ catchUp: -1 }, /^RangeError: Cannot create Clock: 'catchUp' must be a whole number >= 0, got -1$/],
    [{ catchUp: 1.5 }, /^RangeError: Cannot create Clock: 'catchUp' must be a whole number >= 0, got 1\.5$/],
    [{ maxTicks: 0 }, /^RangeError: Cannot create Clock: 'maxTicks' must be a whole number >= 1, got 0$/],
    [{ startAt: new Date(NaN) }, /^RangeError: Cannot create Clock: 'startAt' must be a valid Date/],
    [
      { startAt: new Date(T0), stopAt: new Date(T0 - 1) },
      /^RangeError: Cannot create Clock: 'stopAt' \(2026-11-26T16:14:59\.999Z\) is before 'startAt' \(2026-11-26T16:15:00\.000Z\)$/,
    ],
  ];
  for (const [options, message] of cases) assert.throws(() => new Clock(options), message);
});

Deno.test("A cron clock's event follows the periodic rule with period 0: a copy with the 2-minute window", () => {
  const event = new Event("cron-ticks", Date, { limits: { age: 3_600 } });
  const clock = new Clock({ cron: "*/5 * * * * *", event });
  assert.equal(clock.period, undefined);
  assert.equal(clock.cron, "*/5 * * * * *");
  assert.equal(clock.timezone, "UTC");
  assert.notEqual(clock.event, event);
  assert.deepEqual(clock.event.limits, { age: 3_600, duplicateWindow: 120 });
  const short = new Event("short", Date, { limits: { age: 60 } });
  assert.equal(new Clock({ cron: "* * * * *", event: short }).event.limits.duplicateWindow, 60);
});

Deno.test("A clock of either kind uses an event that sets its own duplicate window as it is", () => {
  const event = new Event("own-window", Date, { limits: { duplicateWindow: 30 } });
  assert.equal(new Clock({ cron: "* * * * *", event }).event, event);
  assert.equal(new Clock({ period: 300, event }).event, event);
});
