import assert from "node:assert/strict";
import {
  BoundedSchedule,
  catchUpTicks,
  dueTicks,
  gainedFrom,
  PeriodSchedule,
  planFrom,
  tickId,
} from "../../src/core/schedule.ts";
import { CronSchedule } from "../../src/core/cron_schedule.ts";

const T0 = Date.parse("2026-11-26T16:15:00Z");
/** Instants that hit, straddle and miss tick boundaries for the periods below. */
const INSTANTS = [0, 1, 6, 7, 8, 999, 1_000, 1_499, 1_500, 1_501, 59_999, 60_000, T0 - 1, T0, T0 + 1, T0 + 4_321];
const PERIODS = [1, 7, 1_500, 60_000, 300_000];

Deno.test("PeriodSchedule.next() returns the first multiple of the period strictly after the instant", () => {
  for (const periodMs of PERIODS) {
    const schedule = new PeriodSchedule(periodMs);
    for (const at of INSTANTS) {
      const next = schedule.next(at);
      assert.ok(next > at, `period ${periodMs}: next(${at}) = ${next} is not after ${at}`);
      assert.ok(next - at <= periodMs, `period ${periodMs}: next(${at}) = ${next} skips a tick`);
      assert.equal(next % periodMs, 0, `period ${periodMs}: next(${at}) = ${next} is off the grid`);
    }
  }
});

Deno.test("PeriodSchedule.next() of a tick instant is the following tick, never the same one", () => {
  const schedule = new PeriodSchedule(60_000);
  assert.equal(schedule.next(T0), T0 + 60_000);
  assert.equal(schedule.next(T0 - 1), T0);
  assert.equal(schedule.next(T0 + 59_999), T0 + 60_000);
});

Deno.test("PeriodSchedule ticks every millisecond with a 1 ms period", () => {
  const schedule = new PeriodSchedule(1);
  assert.equal(schedule.next(T0), T0 + 1);
  assert.equal(schedule.next(0), 1);
});

Deno.test("PeriodSchedule with a 1500 ms period ticks on the half seconds between whole 3-second marks", () => {
  const schedule = new PeriodSchedule(1_500);
  const ticks = [schedule.next(T0)];
  for (let i = 0; i < 3; i++) ticks.push(schedule.next(ticks.at(-1)!));
  assert.deepEqual(ticks, [T0 + 1_500, T0 + 3_000, T0 + 4_500, T0 + 6_000]);
});

Deno.test("PeriodSchedule with a 7 ms period stays on multiples of 7 since the epoch", () => {
  const schedule = new PeriodSchedule(7);
  // T0 is not a multiple of 7: the grid is anchored at the epoch, not at the start.
  assert.notEqual(T0 % 7, 0);
  const next = schedule.next(T0);
  assert.equal(next % 7, 0);
  assert.ok(next > T0 && next <= T0 + 7);
});

Deno.test("PeriodSchedule counts ticks before the epoch on the same grid", () => {
  const schedule = new PeriodSchedule(1_000);
  assert.equal(schedule.next(-1), 0);
  assert.equal(schedule.next(-1_000), 0);
});

Deno.test("PeriodSchedule keeps its period in milliseconds", () => {
  assert.equal(new PeriodSchedule(1_500).periodMs, 1_500);
});

Deno.test("tickId() joins the event name and the tick's epoch milliseconds with a colon", () => {
  assert.equal(tickId("minute-passed", T0), "minute-passed:1795709700000");
  assert.equal(tickId("clock.5m", 0), "clock.5m:0");
});

// --- bounds, due ticks and catch-up ---------------------------------------------

const MINUTE = new BoundedSchedule(new PeriodSchedule(60_000));

Deno.test("BoundedSchedule.next() starts at startAt and ends after stopAt; deadline() ignores stopAt", () => {
  const bounded = new BoundedSchedule(new PeriodSchedule(60_000), T0, T0 + 120_000);
  assert.equal(bounded.next(T0 - 3_600_000), T0, "a tick at startAt itself counts");
  assert.equal(bounded.next(T0), T0 + 60_000);
  assert.equal(bounded.next(T0 + 60_000), T0 + 120_000, "a tick at stopAt itself counts");
  assert.equal(bounded.next(T0 + 120_000), undefined);
  assert.equal(bounded.deadline(T0 + 120_000), T0 + 180_000);
});

Deno.test("BoundedSchedule.ticks() walks the ticks after an instant in order and ends at stopAt", () => {
  const bounded = new BoundedSchedule(new PeriodSchedule(60_000), T0, T0 + 120_000);
  assert.deepEqual([...bounded.ticks(-Infinity)], [T0, T0 + 60_000, T0 + 120_000]);
  assert.deepEqual([...bounded.ticks(T0)], [T0 + 60_000, T0 + 120_000], "strictly after the instant");
  assert.deepEqual([...bounded.ticks(T0 + 120_000)], []);
  // An endless schedule: the walk goes as far as it is taken, and each step is next() of the one before.
  const daily = new BoundedSchedule(new CronSchedule("30 2 * * *", "Europe/Berlin"));
  const taken: number[] = [];
  for (const tick of daily.ticks(Date.parse("2026-03-27T12:00:00Z"))) if (taken.push(tick) === 3) break;
  assert.deepEqual(taken.map((tick) => new Date(tick).toISOString()), [
    "2026-03-28T01:30:00.000Z",
    "2026-03-29T01:00:00.000Z", // 02:30 does not exist on the spring-forward day: just after the gap (03:00 CEST)
    "2026-03-30T00:30:00.000Z",
  ]);
});

Deno.test("planFrom() plans a live upsert from the upsert while its first tick is due and in its window, else from now", () => {
  const upsert = T0 - 10_000;
  assert.equal(planFrom(MINUTE, upsert, T0 + 1_000), upsert, "the first tick (T0) came 1 s before the change arrived");
  assert.equal(planFrom(MINUTE, upsert, T0 - 5_000), T0 - 5_000, "no tick due yet: from now");
  assert.equal(planFrom(MINUTE, upsert, T0 + 60_000), T0 + 60_000, "T0's window closed: from now");
});

Deno.test("gainedFrom() plans a gained schedule so that its next fire is its latest tick since then, or its next tick", () => {
  const firstFire = (schedule: BoundedSchedule, sinceMs: number, nowMs: number) =>
    schedule.next(gainedFrom(schedule, sinceMs, nowMs));
  // The latest tick in (since, now] is T0 + 60 s: it goes out at once, within its window.
  assert.equal(firstFire(MINUTE, T0 - 1, T0 + 90_000), T0 + 60_000);
  // However far back `since` is: the ticks before the latest were the former owner's.
  assert.equal(firstFire(MINUTE, T0 - 3_600_000, T0 + 90_000), T0 + 60_000);
  // No tick in (since, now]: its next tick after now.
  assert.equal(firstFire(MINUTE, T0 + 1, T0 + 30_000), T0 + 60_000);
  // A cron schedule: the same, walking its ticks.
  const hourly = new BoundedSchedule(new CronSchedule("0 * * * *"));
  const hour = Date.parse("2026-11-26T16:00:00Z");
  assert.equal(firstFire(hourly, hour - 7_200_000 - 1, hour + 60_000), hour);
  assert.equal(firstFire(hourly, hour + 1, hour + 60_000), hour + 3_600_000);
});

Deno.test("dueTicks() on time: only the planned tick, given up at the next one", () => {
  assert.deepEqual(dueTicks(MINUTE, T0, T0), { overslept: [], current: T0, deadline: T0 + 60_000 });
  assert.deepEqual(dueTicks(MINUTE, T0, T0 + 59_999), { overslept: [], current: T0, deadline: T0 + 60_000 });
});

Deno.test("dueTicks() after oversleeping: the latest due tick is current, the ones before it overslept", () => {
  assert.deepEqual(dueTicks(MINUTE, T0, T0 + 60_000), {
    overslept: [T0],
    current: T0 + 60_000,
    deadline: T0 + 120_000,
  });
  assert.deepEqual(dueTicks(MINUTE, T0, T0 + 150_000), {
    overslept: [T0, T0 + 60_000],
    current: T0 + 120_000,
    deadline: T0 + 180_000,
  });
});

Deno.test("dueTicks() never makes a tick past stopAt current, but gives up the last tick at the schedule's next", () => {
  const bounded = new BoundedSchedule(new PeriodSchedule(60_000), -Infinity, T0 + 60_000);
  assert.deepEqual(dueTicks(bounded, T0, T0 + 600_000), {
    overslept: [T0],
    current: T0 + 60_000,
    deadline: T0 + 120_000,
  });
});

Deno.test("catchUpTicks() returns the ticks between the ledger's and the current one, at most max, oldest first", () => {
  assert.deepEqual(catchUpTicks(MINUTE, T0, T0 + 240_000, 10), [T0 + 60_000, T0 + 120_000, T0 + 180_000]);
  assert.deepEqual(catchUpTicks(MINUTE, T0, T0 + 240_000, 2), [T0 + 120_000, T0 + 180_000]);
  assert.deepEqual(catchUpTicks(MINUTE, T0, T0 + 60_000, 5), [], "nothing between consecutive ticks");
  assert.deepEqual(catchUpTicks(MINUTE, T0 + 60_000, T0 + 60_000, 5), [], "the ledger has the current tick");
  assert.deepEqual(catchUpTicks(MINUTE, T0 + 120_000, T0 + 60_000, 5), [], "the ledger is past the current tick");
});

Deno.test("catchUpTicks() catches up nothing for an event never emitted, or with max 0", () => {
  assert.deepEqual(catchUpTicks(MINUTE, undefined, T0, 5), []);
  assert.deepEqual(catchUpTicks(MINUTE, T0 - 300_000, T0, 0), []);
});

Deno.test("catchUpTicks() keeps within startAt", () => {
  const bounded = new BoundedSchedule(new PeriodSchedule(60_000), T0 - 120_000);
  assert.deepEqual(catchUpTicks(bounded, T0 - 600_000, T0, 10), [T0 - 120_000, T0 - 60_000]);
});

Deno.test("catchUpTicks() of a 1 ms period idle for 30 days gives the most recent ticks without walking the others", () => {
  const schedule = new BoundedSchedule(new PeriodSchedule(1));
  const current = Date.parse("2026-12-01T00:00:00Z");
  const last = current - 30 * 24 * 3600_000;
  assert.deepEqual(catchUpTicks(schedule, last, current, 3), [current - 3, current - 2, current - 1]);
  assert.deepEqual(catchUpTicks(schedule, -Infinity, current, 2), [current - 2, current - 1]);
  assert.deepEqual(catchUpTicks(schedule, current - 2, current, 5), [current - 1]);
});
