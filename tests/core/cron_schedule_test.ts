import assert from "node:assert/strict";
import { CronSchedule } from "../../src/core/cron_schedule.ts";
import type { DstPolicy } from "../../src/core/dst_policy.ts";

// The 2026 transitions these tests are built on (checked against the zone data in the first test):
// - Europe/Berlin: 2026-03-29 01:00Z, 02:00 CET (+1) jumps to 03:00 CEST (+2);
//   2026-10-25 01:00Z, 03:00 CEST falls back to 02:00 CET, so 02:00-02:59 happens twice.
// - America/New_York: 2026-03-08 07:00Z, 02:00 EST (-5) jumps to 03:00 EDT (-4);
//   2026-11-01 06:00Z, 02:00 EDT falls back to 01:00 EST, so 01:00-01:59 happens twice.
// - America/Santiago: 2026-09-06 04:00Z, 00:00 (-4) jumps to 01:00 (-3), so that day has no midnight.

const HOUR = 3_600_000;

/** Epoch ms of an ISO instant. */
function at(iso: string): number {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), `bad instant in the test: ${iso}`);
  return ms;
}

/** ISO strings of instants, for readable failures. */
function isos(instants: number[]): string[] {
  return instants.map((ms) => new Date(ms).toISOString());
}

/** The local wall time of an instant, read from Intl (not from croner): `2026-03-29 03:00:00 GMT+2`. */
function wall(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "shortOffset",
  }).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value;
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")} ${
    part("timeZoneName")
  }`;
}

/** Every tick in [fromMs, toMs), by chaining next(). */
function ticks(schedule: CronSchedule, fromMs: number, toMs: number): number[] {
  const found: number[] = [];
  for (let t = schedule.next(fromMs - 1); t < toMs; t = schedule.next(t)) {
    found.push(t);
    assert.ok(found.length <= 10_000, "runaway schedule");
  }
  return found;
}

/** The first `n` ticks after `afterMs`. */
function firstTicks(schedule: CronSchedule, afterMs: number, n: number): number[] {
  const found: number[] = [];
  for (let t = afterMs; found.length < n;) found.push(t = schedule.next(t));
  return found;
}

/** Asserts that the instants increase by exactly `stepMs`. */
function assertEvenlySpaced(instants: number[], stepMs: number): void {
  for (let i = 1; i < instants.length; i++) {
    const gap = instants[i]! - instants[i - 1]!;
    assert.equal(gap, stepMs, `${new Date(instants[i - 1]!).toISOString()} -> ${new Date(instants[i]!).toISOString()}`);
  }
}

Deno.test("the zone data has the 2026 DST transitions these tests assume", () => {
  assert.equal(wall(at("2026-03-29T00:59:59Z"), "Europe/Berlin"), "2026-03-29 01:59:59 GMT+1");
  assert.equal(wall(at("2026-03-29T01:00:00Z"), "Europe/Berlin"), "2026-03-29 03:00:00 GMT+2");
  assert.equal(wall(at("2026-10-25T00:59:59Z"), "Europe/Berlin"), "2026-10-25 02:59:59 GMT+2");
  assert.equal(wall(at("2026-10-25T01:00:00Z"), "Europe/Berlin"), "2026-10-25 02:00:00 GMT+1");
  assert.equal(wall(at("2026-03-08T06:59:59Z"), "America/New_York"), "2026-03-08 01:59:59 GMT-5");
  assert.equal(wall(at("2026-03-08T07:00:00Z"), "America/New_York"), "2026-03-08 03:00:00 GMT-4");
  assert.equal(wall(at("2026-11-01T05:59:59Z"), "America/New_York"), "2026-11-01 01:59:59 GMT-4");
  assert.equal(wall(at("2026-11-01T06:00:00Z"), "America/New_York"), "2026-11-01 01:00:00 GMT-5");
  assert.equal(wall(at("2026-09-06T03:59:59Z"), "America/Santiago"), "2026-09-05 23:59:59 GMT-4");
  assert.equal(wall(at("2026-09-06T04:00:00Z"), "America/Santiago"), "2026-09-06 01:00:00 GMT-3");
});

// Fixed-time jobs: once per local day.

Deno.test("CronSchedule.next() runs 30 2 * * * once on the Berlin spring-forward day, just after the gap", () => {
  const schedule = new CronSchedule("30 2 * * *", "Europe/Berlin");
  // Local days 2026-03-28 .. 2026-03-30: from 03-28 00:00 CET to 03-31 00:00 CEST.
  const runs = ticks(schedule, at("2026-03-27T23:00:00Z"), at("2026-03-30T22:00:00Z"));
  assert.deepEqual(isos(runs), [
    "2026-03-28T01:30:00.000Z", // 02:30 CET
    "2026-03-29T01:00:00.000Z", // 02:30 does not exist: 03:00 CEST, the first instant after the gap
    "2026-03-30T00:30:00.000Z", // 02:30 CEST
  ]);
  assert.equal(wall(runs[1]!, "Europe/Berlin"), "2026-03-29 03:00:00 GMT+2");
});

Deno.test("CronSchedule.next() runs 30 2 * * * once on the Berlin fall-back day, at the first 02:30 (CEST)", () => {
  const schedule = new CronSchedule("30 2 * * *", "Europe/Berlin");
  // Local days 2026-10-24 .. 2026-10-26: from 10-24 00:00 CEST to 10-27 00:00 CET.
  const runs = ticks(schedule, at("2026-10-23T22:00:00Z"), at("2026-10-26T23:00:00Z"));
  assert.deepEqual(isos(runs), [
    "2026-10-24T00:30:00.000Z", // 02:30 CEST
    "2026-10-25T00:30:00.000Z", // the first 02:30 (CEST); the second one, 01:30Z (CET), is skipped
    "2026-10-26T01:30:00.000Z", // 02:30 CET
  ]);
  assert.equal(wall(runs[1]!, "Europe/Berlin"), "2026-10-25 02:30:00 GMT+2");
});

Deno.test("CronSchedule.next() of a fixed job after the first of a repeated time is the next day, not the repeat", () => {
  const berlin = new CronSchedule("30 2 * * *", "Europe/Berlin");
  for (const after of ["2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z", "2026-10-25T01:29:59.999Z"]) {
    assert.equal(new Date(berlin.next(at(after))).toISOString(), "2026-10-26T01:30:00.000Z", `after ${after}`);
  }
  const newYork = new CronSchedule("30 1 * * *", "America/New_York");
  assert.equal(new Date(newYork.next(at("2026-11-01T05:30:00Z"))).toISOString(), "2026-11-02T06:30:00.000Z");
});

Deno.test("CronSchedule.next() runs 30 2 * * * once on the New York spring-forward day, just after the gap", () => {
  const schedule = new CronSchedule("30 2 * * *", "America/New_York");
  // Local days 2026-03-07 .. 2026-03-09: from 03-07 00:00 EST to 03-10 00:00 EDT.
  const runs = ticks(schedule, at("2026-03-07T05:00:00Z"), at("2026-03-10T04:00:00Z"));
  assert.deepEqual(isos(runs), [
    "2026-03-07T07:30:00.000Z", // 02:30 EST
    "2026-03-08T07:00:00.000Z", // 02:30 does not exist: 03:00 EDT, the first instant after the gap
    "2026-03-09T06:30:00.000Z", // 02:30 EDT
  ]);
  assert.equal(wall(runs[1]!, "America/New_York"), "2026-03-08 03:00:00 GMT-4");
});

Deno.test("CronSchedule.next() runs 30 1 * * * once on the New York fall-back day, at the first 01:30 (EDT)", () => {
  const schedule = new CronSchedule("30 1 * * *", "America/New_York");
  // Local days 2026-10-31 .. 2026-11-02: from 10-31 00:00 EDT to 11-03 00:00 EST.
  const runs = ticks(schedule, at("2026-10-31T04:00:00Z"), at("2026-11-03T05:00:00Z"));
  assert.deepEqual(isos(runs), [
    "2026-10-31T05:30:00.000Z", // 01:30 EDT
    "2026-11-01T05:30:00.000Z", // the first 01:30 (EDT); the second one, 06:30Z (EST), is skipped
    "2026-11-02T06:30:00.000Z", // 01:30 EST
  ]);
});

Deno.test("CronSchedule.next() runs 30 2 * * * once on the New York fall-back day, where 02:30 happens once", () => {
  const schedule = new CronSchedule("30 2 * * *", "America/New_York");
  const runs = ticks(schedule, at("2026-10-31T04:00:00Z"), at("2026-11-03T05:00:00Z"));
  assert.deepEqual(isos(runs), [
    "2026-10-31T06:30:00.000Z", // 02:30 EDT
    "2026-11-01T07:30:00.000Z", // 02:30 EST, an hour after the repeated 01:00-01:59
    "2026-11-02T07:30:00.000Z", // 02:30 EST
  ]);
});

Deno.test("CronSchedule.next() runs a 6-field fixed time in the gap at the first instant after it, not at hh:30:15", () => {
  const schedule = new CronSchedule("15 30 2 * * *", "Europe/Berlin");
  assert.deepEqual(isos(firstTicks(schedule, at("2026-03-28T12:00:00Z"), 2)), [
    "2026-03-29T01:00:00.000Z", // 03:00:00 CEST
    "2026-03-30T00:30:15.000Z", // 02:30:15 CEST
  ]);
});

// Interval jobs: every real matching instant.

Deno.test("CronSchedule.next() runs 30 * * * * at every real hour in Berlin: 24, 23, 25 runs per local day", () => {
  const schedule = new CronSchedule("30 * * * *", "Europe/Berlin");
  const days: [string, string, string, number][] = [
    ["2026-03-28", "2026-03-27T23:00:00Z", "2026-03-28T23:00:00Z", 24],
    ["2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 23],
    ["2026-10-25", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 25],
    ["2026-10-26", "2026-10-25T23:00:00Z", "2026-10-26T23:00:00Z", 24],
  ];
  for (const [day, from, to, count] of days) {
    const runs = ticks(schedule, at(from), at(to));
    assert.equal(runs.length, count, `${day}: ${isos(runs).join(" ")}`);
    assert.equal(new Set(runs).size, runs.length, `${day}: duplicate instants`);
    assertEvenlySpaced(runs, HOUR);
    for (const run of runs) assert.match(wall(run, "Europe/Berlin"), new RegExp(`^${day} \\d\\d:30:00 `));
  }
});

Deno.test("CronSchedule.next() runs 30 * * * * across the Berlin changes: no extra run in spring, both 02:30 in fall", () => {
  const schedule = new CronSchedule("30 * * * *", "Europe/Berlin");
  const spring = firstTicks(schedule, at("2026-03-28T23:00:00Z"), 4);
  assert.deepEqual(spring.map((t) => wall(t, "Europe/Berlin")), [
    "2026-03-29 00:30:00 GMT+1",
    "2026-03-29 01:30:00 GMT+1",
    "2026-03-29 03:30:00 GMT+2",
    "2026-03-29 04:30:00 GMT+2",
  ]);
  assert.deepEqual(isos(spring), [
    "2026-03-28T23:30:00.000Z",
    "2026-03-29T00:30:00.000Z",
    "2026-03-29T01:30:00.000Z",
    "2026-03-29T02:30:00.000Z",
  ]);
  const fall = firstTicks(schedule, at("2026-10-24T23:00:00Z"), 4);
  assert.deepEqual(fall.map((t) => wall(t, "Europe/Berlin")), [
    "2026-10-25 01:30:00 GMT+2",
    "2026-10-25 02:30:00 GMT+2",
    "2026-10-25 02:30:00 GMT+1",
    "2026-10-25 03:30:00 GMT+1",
  ]);
  assert.deepEqual(isos(fall), [
    "2026-10-24T23:30:00.000Z",
    "2026-10-25T00:30:00.000Z",
    "2026-10-25T01:30:00.000Z",
    "2026-10-25T02:30:00.000Z",
  ]);
});

Deno.test("CronSchedule.next() from inside the repeated hour finds the second pass's run", () => {
  const schedule = new CronSchedule("30 * * * *", "Europe/Berlin");
  // 02:40 CEST and 02:10 CET: the next 02:30 is the CET one.
  assert.equal(new Date(schedule.next(at("2026-10-25T00:40:00Z"))).toISOString(), "2026-10-25T01:30:00.000Z");
  assert.equal(new Date(schedule.next(at("2026-10-25T01:10:00Z"))).toISOString(), "2026-10-25T01:30:00.000Z");
  assert.equal(new Date(schedule.next(at("2026-10-25T01:30:00Z"))).toISOString(), "2026-10-25T02:30:00.000Z");
});

Deno.test("CronSchedule.next() runs 30 * * * * at every real hour in New York: 23 and 25 runs on the change days", () => {
  const schedule = new CronSchedule("30 * * * *", "America/New_York");
  const days: [string, string, string, number][] = [
    ["2026-03-08", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 23],
    ["2026-11-01", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", 25],
  ];
  for (const [day, from, to, count] of days) {
    const runs = ticks(schedule, at(from), at(to));
    assert.equal(runs.length, count, `${day}: ${isos(runs).join(" ")}`);
    assertEvenlySpaced(runs, HOUR);
  }
  assert.deepEqual(isos(firstTicks(schedule, at("2026-03-08T06:00:00Z"), 2)), [
    "2026-03-08T06:30:00.000Z", // 01:30 EST
    "2026-03-08T07:30:00.000Z", // 03:30 EDT
  ]);
  assert.deepEqual(isos(firstTicks(schedule, at("2026-11-01T05:00:00Z"), 3)), [
    "2026-11-01T05:30:00.000Z", // 01:30 EDT
    "2026-11-01T06:30:00.000Z", // 01:30 EST
    "2026-11-01T07:30:00.000Z", // 02:30 EST
  ]);
});

Deno.test("CronSchedule.next() runs 0 */2 * * * at the real even hours: skips 02:00 in spring, runs both 02:00 in fall", () => {
  const berlin = new CronSchedule("0 */2 * * *", "Europe/Berlin");
  const spring = ticks(berlin, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"));
  assert.equal(spring.length, 11, isos(spring).join(" ")); // 00, 04, 06, ..., 22
  assert.deepEqual(isos(spring.slice(0, 3)), [
    "2026-03-28T23:00:00.000Z", // 00:00 CET
    "2026-03-29T02:00:00.000Z", // 04:00 CEST
    "2026-03-29T04:00:00.000Z", // 06:00 CEST
  ]);
  const fall = ticks(berlin, at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"));
  assert.equal(fall.length, 13, isos(fall).join(" ")); // 00, 02 CEST, 02 CET, 04, ..., 22
  assert.deepEqual(isos(fall.slice(0, 4)), [
    "2026-10-24T22:00:00.000Z", // 00:00 CEST
    "2026-10-25T00:00:00.000Z", // 02:00 CEST
    "2026-10-25T01:00:00.000Z", // 02:00 CET
    "2026-10-25T03:00:00.000Z", // 04:00 CET
  ]);
  const newYork = new CronSchedule("0 */2 * * *", "America/New_York");
  const nySpring = ticks(newYork, at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z"));
  assert.equal(nySpring.length, 11, isos(nySpring).join(" "));
  assert.deepEqual(isos(nySpring.slice(0, 2)), ["2026-03-08T05:00:00.000Z", "2026-03-08T08:00:00.000Z"]);
  const nyFall = ticks(newYork, at("2026-11-01T04:00:00Z"), at("2026-11-02T05:00:00Z"));
  assert.equal(nyFall.length, 12, isos(nyFall).join(" ")); // 02:00 happens once in New York
  assert.deepEqual(isos(nyFall.slice(0, 2)), ["2026-11-01T04:00:00.000Z", "2026-11-01T07:00:00.000Z"]);
});

Deno.test("CronSchedule.next() runs */15 * * * * * every 15 real seconds across all four changes", () => {
  const windows: [string, string, string][] = [
    ["Europe/Berlin", "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z"],
    ["Europe/Berlin", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"],
    ["America/New_York", "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z"],
    ["America/New_York", "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z"],
  ];
  for (const [zone, from, to] of windows) {
    const runs = ticks(new CronSchedule("*/15 * * * * *", zone), at(from), at(to));
    assert.equal(runs.length, 2 * 240, `${zone} ${from}`);
    assert.equal(runs[0], at(from));
    assert.equal(runs.at(-1), at(to) - 15_000);
    assertEvenlySpaced(runs, 15_000);
  }
});

Deno.test("CronSchedule.next() treats ranges and lists in the hour field as interval jobs", () => {
  const range = new CronSchedule("30 1-3 * * *", "Europe/Berlin");
  assert.deepEqual(isos(ticks(range, at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"))), [
    "2026-10-24T23:30:00.000Z", // 01:30 CEST
    "2026-10-25T00:30:00.000Z", // 02:30 CEST
    "2026-10-25T01:30:00.000Z", // 02:30 CET
    "2026-10-25T02:30:00.000Z", // 03:30 CET
  ]);
  assert.deepEqual(isos(ticks(range, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"))), [
    "2026-03-29T00:30:00.000Z", // 01:30 CET; no 02:30
    "2026-03-29T01:30:00.000Z", // 03:30 CEST
  ]);
  const list = new CronSchedule("30 2,14 * * *", "Europe/Berlin");
  assert.deepEqual(isos(ticks(list, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"))), [
    "2026-03-29T12:30:00.000Z", // 14:30 CEST only
  ]);
});

// Nicknames, L, W, #, names.

Deno.test("CronSchedule.next() runs @daily at local midnight across both Berlin changes", () => {
  const schedule = new CronSchedule("@daily", "Europe/Berlin");
  assert.deepEqual(isos(ticks(schedule, at("2026-03-27T12:00:00Z"), at("2026-03-31T12:00:00Z"))), [
    "2026-03-27T23:00:00.000Z", // 03-28 00:00 CET
    "2026-03-28T23:00:00.000Z", // 03-29 00:00 CET
    "2026-03-29T22:00:00.000Z", // 03-30 00:00 CEST
    "2026-03-30T22:00:00.000Z", // 03-31 00:00 CEST
  ]);
  assert.deepEqual(isos(ticks(schedule, at("2026-10-24T12:00:00Z"), at("2026-10-26T12:00:00Z"))), [
    "2026-10-24T22:00:00.000Z", // 10-25 00:00 CEST
    "2026-10-25T23:00:00.000Z", // 10-26 00:00 CET, 25 hours later
  ]);
});

Deno.test("CronSchedule.next() runs @daily in Santiago at 01:00 on the day that has no midnight", () => {
  const schedule = new CronSchedule("@daily", "America/Santiago");
  assert.deepEqual(isos(ticks(schedule, at("2026-09-05T00:00:00Z"), at("2026-09-08T00:00:00Z"))), [
    "2026-09-05T04:00:00.000Z", // 09-05 00:00 -04
    "2026-09-06T04:00:00.000Z", // 09-06 00:00 does not exist: 01:00 -03
    "2026-09-07T03:00:00.000Z", // 09-07 00:00 -03
  ]);
});

Deno.test("CronSchedule reads every nickname as its classic cron expression", () => {
  const from = at("2026-03-25T12:00:00Z"); // Wednesday, 13:00 CET
  const cases: [string, string[]][] = [
    ["@yearly", ["2026-12-31T23:00:00.000Z", "2027-12-31T23:00:00.000Z"]],
    ["@annually", ["2026-12-31T23:00:00.000Z", "2027-12-31T23:00:00.000Z"]],
    ["@monthly", ["2026-03-31T22:00:00.000Z", "2026-04-30T22:00:00.000Z"]], // 04-01 and 05-01 00:00 CEST
    ["@weekly", ["2026-03-28T23:00:00.000Z", "2026-04-04T22:00:00.000Z"]], // Sunday 00:00
    ["@daily", ["2026-03-25T23:00:00.000Z", "2026-03-26T23:00:00.000Z"]],
    ["@midnight", ["2026-03-25T23:00:00.000Z", "2026-03-26T23:00:00.000Z"]],
    ["@hourly", ["2026-03-25T13:00:00.000Z", "2026-03-25T14:00:00.000Z"]],
  ];
  for (const [nickname, expected] of cases) {
    assert.deepEqual(isos(firstTicks(new CronSchedule(nickname, "Europe/Berlin"), from, 2)), expected, nickname);
  }
  // @hourly across the gap: 01:00 CET, then 03:00 CEST
  const hourly = new CronSchedule("@hourly", "Europe/Berlin");
  assert.deepEqual(isos(firstTicks(hourly, at("2026-03-28T23:30:00Z"), 3)), [
    "2026-03-29T00:00:00.000Z",
    "2026-03-29T01:00:00.000Z",
    "2026-03-29T02:00:00.000Z",
  ]);
});

Deno.test("CronSchedule.next() runs L on the last day of each month, and 5L on the last Friday", () => {
  const lastDay = new CronSchedule("0 9 L * *", "Europe/Berlin");
  assert.deepEqual(isos(firstTicks(lastDay, at("2026-01-15T00:00:00Z"), 4)), [
    "2026-01-31T08:00:00.000Z", // 09:00 CET
    "2026-02-28T08:00:00.000Z",
    "2026-03-31T07:00:00.000Z", // 09:00 CEST
    "2026-04-30T07:00:00.000Z",
  ]);
  const february = new CronSchedule("0 0 L 2 *");
  assert.deepEqual(isos(firstTicks(february, at("2027-01-01T00:00:00Z"), 2)), [
    "2027-02-28T00:00:00.000Z",
    "2028-02-29T00:00:00.000Z", // leap year
  ]);
  const lastFriday = new CronSchedule("0 9 * * 5L");
  assert.deepEqual(isos(firstTicks(lastFriday, at("2026-01-01T00:00:00Z"), 3)), [
    "2026-01-30T09:00:00.000Z",
    "2026-02-27T09:00:00.000Z",
    "2026-03-27T09:00:00.000Z",
  ]);
});

Deno.test("CronSchedule.next() runs W on the weekday nearest the day, within the month", () => {
  const fifteenth = new CronSchedule("0 9 15W * *");
  assert.deepEqual(isos(firstTicks(fifteenth, at("2026-01-01T00:00:00Z"), 4)), [
    "2026-01-15T09:00:00.000Z", // Thursday
    "2026-02-16T09:00:00.000Z", // the 15th is a Sunday: Monday
    "2026-03-16T09:00:00.000Z", // Sunday again: Monday
    "2026-04-15T09:00:00.000Z", // Wednesday
  ]);
  assert.equal(new Date(fifteenth.next(at("2026-08-01T00:00:00Z"))).toISOString(), "2026-08-14T09:00:00.000Z"); // Sat: Fri
  const first = new CronSchedule("0 9 1W * *");
  // 2026-08-01 is a Saturday: the nearest weekday in August is Monday the 3rd, not Friday July 31.
  assert.equal(new Date(first.next(at("2026-07-15T00:00:00Z"))).toISOString(), "2026-08-03T09:00:00.000Z");
});

Deno.test("CronSchedule.next() runs 0 9 * * 1#2 on the second Monday, in New York time across the change", () => {
  const schedule = new CronSchedule("0 9 * * 1#2", "America/New_York");
  assert.deepEqual(isos(firstTicks(schedule, at("2026-01-01T00:00:00Z"), 4)), [
    "2026-01-12T14:00:00.000Z", // 09:00 EST
    "2026-02-09T14:00:00.000Z",
    "2026-03-09T13:00:00.000Z", // 09:00 EDT, the day after the change
    "2026-04-13T13:00:00.000Z",
  ]);
});

Deno.test("CronSchedule.next() runs 0 9 * * MON-FRI at 09:00 New York time on weekdays across both changes", () => {
  const schedule = new CronSchedule("0 9 * * MON-FRI", "America/New_York");
  assert.deepEqual(isos(firstTicks(schedule, at("2026-03-05T00:00:00Z"), 4)), [
    "2026-03-05T14:00:00.000Z", // Thursday, EST
    "2026-03-06T14:00:00.000Z", // Friday, EST
    "2026-03-09T13:00:00.000Z", // Monday, EDT
    "2026-03-10T13:00:00.000Z",
  ]);
  assert.deepEqual(isos(firstTicks(schedule, at("2026-10-29T00:00:00Z"), 4)), [
    "2026-10-29T13:00:00.000Z", // Thursday, EDT
    "2026-10-30T13:00:00.000Z", // Friday, EDT
    "2026-11-02T14:00:00.000Z", // Monday, EST
    "2026-11-03T14:00:00.000Z",
  ]);
});

Deno.test("CronSchedule.next() reads month names and 7 as Sunday", () => {
  const months = new CronSchedule("0 9 1 JAN,jul *");
  assert.deepEqual(isos(firstTicks(months, at("2026-01-01T00:00:00Z"), 3)), [
    "2026-01-01T09:00:00.000Z",
    "2026-07-01T09:00:00.000Z",
    "2027-01-01T09:00:00.000Z",
  ]);
  const sunday = new CronSchedule("0 9 * * 7");
  assert.deepEqual(isos(firstTicks(sunday, at("2026-01-01T00:00:00Z"), 2)), [
    "2026-01-04T09:00:00.000Z",
    "2026-01-11T09:00:00.000Z",
  ]);
});

Deno.test("CronSchedule.next() runs a day that matches either day field when both are restricted, as classic cron does", () => {
  const schedule = new CronSchedule("0 9 13 * 5"); // the 13th, or a Friday
  assert.deepEqual(isos(firstTicks(schedule, at("2026-01-01T00:00:00Z"), 4)), [
    "2026-01-02T09:00:00.000Z", // Friday
    "2026-01-09T09:00:00.000Z", // Friday
    "2026-01-13T09:00:00.000Z", // Tuesday the 13th
    "2026-01-16T09:00:00.000Z", // Friday
  ]);
});

// Defaults, instants, arguments.

Deno.test("CronSchedule reads the expression in UTC by default, so DST days change nothing", () => {
  const schedule = new CronSchedule("30 2 * * *");
  assert.equal(schedule.timezone, "UTC");
  assert.equal(schedule.expression, "30 2 * * *");
  assert.deepEqual(isos(firstTicks(schedule, at("2026-03-28T12:00:00Z"), 2)), [
    "2026-03-29T02:30:00.000Z",
    "2026-03-30T02:30:00.000Z",
  ]);
  assert.deepEqual(isos(firstTicks(schedule, at("2026-10-24T12:00:00Z"), 2)), [
    "2026-10-25T02:30:00.000Z",
    "2026-10-26T02:30:00.000Z",
  ]);
});

Deno.test("CronSchedule keeps its expression and time zone as given", () => {
  const schedule = new CronSchedule("0 9 * * MON-FRI", "America/New_York");
  assert.equal(schedule.expression, "0 9 * * MON-FRI");
  assert.equal(schedule.timezone, "America/New_York");
});

Deno.test("CronSchedule.next() returns the first whole-second tick strictly after the instant", () => {
  const hourly = new CronSchedule("30 * * * *");
  const tick = at("2026-01-01T10:30:00Z");
  assert.equal(hourly.next(tick - 1), tick);
  assert.equal(hourly.next(tick), tick + HOUR);
  assert.equal(hourly.next(tick + 500), tick + HOUR);
  const everySecond = new CronSchedule("* * * * * *");
  assert.equal(everySecond.next(tick), tick + 1_000);
  assert.equal(everySecond.next(tick + 1), tick + 1_000);
  assert.equal(everySecond.next(tick + 999), tick + 1_000);
  assert.equal(everySecond.next(tick - 1), tick);
});

Deno.test("CronSchedule.next() refuses an instant that is not a finite number", () => {
  const schedule = new CronSchedule("* * * * *");
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.throws(() => schedule.next(bad), RangeError);
  }
});

Deno.test("CronSchedule refuses an invalid expression with a TypeError naming 'cron' and croner's reason", () => {
  assert.throws(() => new CronSchedule("61 * * * *"), (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.match(
      error.message,
      /^Cannot create cron schedule: 'cron' is not a valid cron expression, got '61 \* \* \* \*' \(.*minute.*\)$/,
    );
    return true;
  });
  const invalid = [
    "",
    "* * *",
    "* * * *",
    "0 0 0 1 1 * 2030", // 7 fields: years are not supported
    "60 * * * * *",
    "* 24 * * *",
    "* * 32 * *",
    "* * * 13 *",
    "* * * * 8",
    "0 9 * * 1#6",
    "*/0 * * * *",
    "5-1 * * * *",
    "@often",
    "0 9 * * FUNDAY",
  ];
  for (const expression of invalid) {
    assert.throws(
      () => new CronSchedule(expression),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `${expression}: ${error}`);
        assert.ok(
          error.message.startsWith(
            `Cannot create cron schedule: 'cron' is not a valid cron expression, got '${expression}' (`,
          ),
          error.message,
        );
        return true;
      },
    );
  }
  assert.throws(
    () => new CronSchedule(42 as unknown as string),
    /^TypeError: Cannot create cron schedule: 'cron' must be a string, got 42$/,
  );
});

Deno.test("CronSchedule refuses an unknown time zone with a RangeError naming 'timezone'", () => {
  assert.throws(() => new CronSchedule("* * * * *", "Mars/Olympus"), {
    name: "RangeError",
    message: "Cannot create cron schedule: 'timezone' is not a known IANA time zone, got 'Mars/Olympus'",
  });
  assert.throws(() => new CronSchedule("* * * * *", ""), {
    name: "RangeError",
    message: "Cannot create cron schedule: 'timezone' is not a known IANA time zone, got ''",
  });
});

Deno.test("CronSchedule refuses an expression that never fires with a RangeError, and accepts February 29", () => {
  for (const expression of ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 4,6,9,11 *"]) {
    assert.throws(() => new CronSchedule(expression, "Europe/Berlin"), {
      name: "RangeError",
      message: `Cannot create cron schedule: 'cron' never matches a date, got '${expression}'`,
    });
  }
  const leapDay = new CronSchedule("0 0 29 2 *");
  assert.equal(new Date(leapDay.next(at("2026-01-01T00:00:00Z"))).toISOString(), "2028-02-29T00:00:00.000Z");
});

// DST policies: every choice in four zones, against instants worked out by hand from each zone's 2026 rules.
// - Australia/Lord_Howe: 2026-04-04 15:00Z, 02:00 (+11) falls back to 01:30 (+10:30), so 01:30-01:59 happens twice;
//   2026-10-03 15:30Z, 02:00 (+10:30) jumps to 02:30 (+11), so 02:00-02:29 does not happen.
// - America/Santiago: 2026-04-05 03:00Z, 00:00 (-3) falls back to 23:00 (-4) of the day before, so 04-04 23:00-23:59
//   happens twice; 2026-09-06 04:00Z, 00:00 (-4) jumps to 01:00 (-3).

Deno.test("the zone data has the 2026 Lord Howe and Santiago changes the DST policy tests assume", () => {
  assert.equal(wall(at("2026-04-04T14:59:59Z"), "Australia/Lord_Howe"), "2026-04-05 01:59:59 GMT+11");
  assert.equal(wall(at("2026-04-04T15:00:00Z"), "Australia/Lord_Howe"), "2026-04-05 01:30:00 GMT+10:30");
  assert.equal(wall(at("2026-10-03T15:29:59Z"), "Australia/Lord_Howe"), "2026-10-04 01:59:59 GMT+10:30");
  assert.equal(wall(at("2026-10-03T15:30:00Z"), "Australia/Lord_Howe"), "2026-10-04 02:30:00 GMT+11");
  assert.equal(wall(at("2026-04-05T02:59:59Z"), "America/Santiago"), "2026-04-04 23:59:59 GMT-3");
  assert.equal(wall(at("2026-04-05T03:00:00Z"), "America/Santiago"), "2026-04-04 23:00:00 GMT-4");
});

/** One zone's change, a cron whose wall time it hits, the local days around it, and the ticks of each choice. */
interface PolicyCase {
  zone: string;
  cron: string;
  /** The first instant of the first local day and the first instant after the last one. */
  days: [string, string];
  expected: Partial<Record<"shift" | "skip" | "first" | "last" | "both", string[]>>;
}

const POLICY_CASES: PolicyCase[] = [
  {
    zone: "Europe/Berlin",
    cron: "30 2 * * *", // 2026-03-29 02:30 does not exist
    days: ["2026-03-27T23:00:00Z", "2026-03-30T22:00:00Z"],
    expected: {
      shift: ["2026-03-28T01:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"], // 03:00 CEST
      skip: ["2026-03-28T01:30:00.000Z", "2026-03-30T00:30:00.000Z"],
    },
  },
  {
    zone: "Europe/Berlin",
    cron: "30 2 * * *", // 2026-10-25 02:30 happens at 00:30Z (CEST) and 01:30Z (CET)
    days: ["2026-10-23T22:00:00Z", "2026-10-26T23:00:00Z"],
    expected: {
      first: ["2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"],
      last: ["2026-10-24T00:30:00.000Z", "2026-10-25T01:30:00.000Z", "2026-10-26T01:30:00.000Z"],
      both: [
        "2026-10-24T00:30:00.000Z",
        "2026-10-25T00:30:00.000Z",
        "2026-10-25T01:30:00.000Z",
        "2026-10-26T01:30:00.000Z",
      ],
    },
  },
  {
    zone: "America/New_York",
    cron: "30 2 * * *", // 2026-03-08 02:30 does not exist
    days: ["2026-03-07T05:00:00Z", "2026-03-10T04:00:00Z"],
    expected: {
      shift: ["2026-03-07T07:30:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"], // 03:00 EDT
      skip: ["2026-03-07T07:30:00.000Z", "2026-03-09T06:30:00.000Z"],
    },
  },
  {
    zone: "America/New_York",
    cron: "30 1 * * *", // 2026-11-01 01:30 happens at 05:30Z (EDT) and 06:30Z (EST)
    days: ["2026-10-31T04:00:00Z", "2026-11-03T05:00:00Z"],
    expected: {
      first: ["2026-10-31T05:30:00.000Z", "2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"],
      last: ["2026-10-31T05:30:00.000Z", "2026-11-01T06:30:00.000Z", "2026-11-02T06:30:00.000Z"],
      both: [
        "2026-10-31T05:30:00.000Z",
        "2026-11-01T05:30:00.000Z",
        "2026-11-01T06:30:00.000Z",
        "2026-11-02T06:30:00.000Z",
      ],
    },
  },
  {
    zone: "Australia/Lord_Howe",
    cron: "45 1 * * *", // 2026-04-05 01:45 happens at 14:45Z (+11) and 15:15Z (+10:30) of 04-04
    days: ["2026-04-03T13:00:00Z", "2026-04-06T13:30:00Z"],
    expected: {
      first: ["2026-04-03T14:45:00.000Z", "2026-04-04T14:45:00.000Z", "2026-04-05T15:15:00.000Z"],
      last: ["2026-04-03T14:45:00.000Z", "2026-04-04T15:15:00.000Z", "2026-04-05T15:15:00.000Z"],
      both: [
        "2026-04-03T14:45:00.000Z",
        "2026-04-04T14:45:00.000Z",
        "2026-04-04T15:15:00.000Z",
        "2026-04-05T15:15:00.000Z",
      ],
    },
  },
  {
    zone: "Australia/Lord_Howe",
    cron: "15 2 * * *", // 2026-10-04 02:15 does not exist: the clocks jump from 02:00 to 02:30
    days: ["2026-10-02T13:30:00Z", "2026-10-05T13:00:00Z"],
    expected: {
      shift: ["2026-10-02T15:45:00.000Z", "2026-10-03T15:30:00.000Z", "2026-10-04T15:15:00.000Z"], // 02:30 +11
      skip: ["2026-10-02T15:45:00.000Z", "2026-10-04T15:15:00.000Z"],
    },
  },
  {
    zone: "America/Santiago",
    cron: "30 23 * * *", // 2026-04-04 23:30 happens at 02:30Z (-3) and 03:30Z (-4) of 04-05
    days: ["2026-04-03T03:00:00Z", "2026-04-06T04:00:00Z"],
    expected: {
      first: ["2026-04-04T02:30:00.000Z", "2026-04-05T02:30:00.000Z", "2026-04-06T03:30:00.000Z"],
      last: ["2026-04-04T02:30:00.000Z", "2026-04-05T03:30:00.000Z", "2026-04-06T03:30:00.000Z"],
      both: [
        "2026-04-04T02:30:00.000Z",
        "2026-04-05T02:30:00.000Z",
        "2026-04-05T03:30:00.000Z",
        "2026-04-06T03:30:00.000Z",
      ],
    },
  },
  {
    zone: "America/Santiago",
    cron: "30 0 * * *", // 2026-09-06 00:30 does not exist: the day starts at 01:00 (-3)
    days: ["2026-09-05T04:00:00Z", "2026-09-08T03:00:00Z"],
    expected: {
      shift: ["2026-09-05T04:30:00.000Z", "2026-09-06T04:00:00.000Z", "2026-09-07T03:30:00.000Z"], // 01:00 -3
      skip: ["2026-09-05T04:30:00.000Z", "2026-09-07T03:30:00.000Z"],
    },
  },
];

/** Asserts that previous() walks the ticks back, each to the one before it. */
function assertPreviousWalksBack(schedule: CronSchedule, ticks: number[], label: string): void {
  for (let i = 1; i < ticks.length; i++) {
    assert.equal(schedule.previous(ticks[i]!), ticks[i - 1], `${label}: previous(${isos([ticks[i]!])})`);
  }
}

for (const { zone, cron, days, expected } of POLICY_CASES) {
  for (const [choice, instants] of Object.entries(expected)) {
    const dst = (choice === "shift" || choice === "skip" ? { gap: choice } : { repeat: choice }) as DstPolicy;
    Deno.test(`CronSchedule.next() with dst ${JSON.stringify(dst)} runs '${cron}' in ${zone} at the instants worked out by hand`, () => {
      const schedule = new CronSchedule(cron, zone, undefined, dst);
      const runs = ticks(schedule, at(days[0]), at(days[1]));
      assert.deepEqual(isos(runs), instants);
      assertPreviousWalksBack(schedule, runs, `${cron} ${zone} ${choice}`);
    });
  }
}

Deno.test("CronSchedule with dst: several wall times inside one gap fire once when shifted, one repeat per choice", () => {
  const spring: [string, string] = ["2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"]; // Berlin 2026-03-29
  const fall: [string, string] = ["2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"]; // Berlin 2026-10-25
  const run = (cron: string, dst: DstPolicy | undefined, [from, to]: [string, string]) =>
    isos(ticks(new CronSchedule(cron, "Europe/Berlin", undefined, dst), at(from), at(to)));
  // 02:00, 02:20 and 02:40 are all in the gap: one fire at 03:00 CEST, or none.
  assert.deepEqual(run("*/20 2 * * *", { gap: "shift" }, spring), ["2026-03-29T01:00:00.000Z"]);
  assert.deepEqual(run("*/20 2 * * *", { gap: "skip" }, spring), []);
  assert.deepEqual(run("*/20 2 * * *", undefined, spring), []); // not fixed-time: classic cron skips
  // 02:00 and 02:30 shift to 03:00, which the cron names too: one fire there, then 03:30.
  assert.deepEqual(run("0,30 2,3 * * *", { gap: "shift" }, spring), [
    "2026-03-29T01:00:00.000Z",
    "2026-03-29T01:30:00.000Z",
  ]);
  assert.deepEqual(run("*/20 2 * * *", { repeat: "first" }, fall), [
    "2026-10-25T00:00:00.000Z",
    "2026-10-25T00:20:00.000Z",
    "2026-10-25T00:40:00.000Z",
  ]);
  assert.deepEqual(run("*/20 2 * * *", { repeat: "last" }, fall), [
    "2026-10-25T01:00:00.000Z",
    "2026-10-25T01:20:00.000Z",
    "2026-10-25T01:40:00.000Z",
  ]);
  // A field left out keeps classic cron's rule for the cron: both occurrences here (not fixed-time), only the
  // first for a fixed time.
  assert.deepEqual(run("*/20 2 * * *", { gap: "shift" }, fall), [
    "2026-10-25T00:00:00.000Z",
    "2026-10-25T00:20:00.000Z",
    "2026-10-25T00:40:00.000Z",
    "2026-10-25T01:00:00.000Z",
    "2026-10-25T01:20:00.000Z",
    "2026-10-25T01:40:00.000Z",
  ]);
  assert.deepEqual(run("30 2 * * *", { gap: "skip" }, fall), ["2026-10-25T00:30:00.000Z"]);
  // A range names its hours: the policy applies to them.
  assert.deepEqual(run("30 1-3 * * *", { repeat: "first" }, fall), [
    "2026-10-24T23:30:00.000Z", // 01:30 CEST
    "2026-10-25T00:30:00.000Z", // 02:30 CEST; not 02:30 CET
    "2026-10-25T02:30:00.000Z", // 03:30 CET
  ]);
});

Deno.test("CronSchedule with dst on a wildcard or step hour runs at every real matching instant, as without", () => {
  const windows: [string, string][] = [
    ["2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"],
    ["2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"],
  ];
  for (const cron of ["30 * * * *", "0 */2 * * *", "@hourly", "*/20 * * * *"]) {
    for (const dst of [{ gap: "shift", repeat: "first" }, { gap: "skip", repeat: "last" }] as const) {
      const policy = new CronSchedule(cron, "Europe/Berlin", undefined, dst);
      const classic = new CronSchedule(cron, "Europe/Berlin");
      assert.equal(policy.gap, "skip", cron);
      assert.equal(policy.repeat, "both", cron);
      for (const [from, to] of windows) {
        assert.deepEqual(ticks(policy, at(from), at(to)), ticks(classic, at(from), at(to)), `${cron} ${from}`);
      }
    }
  }
  // An hourly cron keeps firing every real hour: 23 fires on the spring day, 25 on the fall day, an hour apart.
  const hourly = new CronSchedule("30 * * * *", "Europe/Berlin", undefined, { gap: "shift", repeat: "first" });
  const fall = ticks(hourly, at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"));
  assert.equal(fall.length, 25);
  assertEvenlySpaced(fall, HOUR);
});

Deno.test("CronSchedule keeps the dst policy as given and says the one in effect", () => {
  const given = new CronSchedule("30 2 * * *", "Europe/Berlin", undefined, { repeat: "last" });
  assert.deepEqual(given.dst, { repeat: "last" });
  assert.deepEqual([given.gap, given.repeat], ["shift", "last"]);
  const classic = new CronSchedule("30 2 * * *", "Europe/Berlin");
  assert.equal(classic.dst, undefined);
  assert.deepEqual([classic.gap, classic.repeat], ["shift", "first"]);
  const interval = new CronSchedule("*/20 2 * * *", "Europe/Berlin");
  assert.deepEqual([interval.gap, interval.repeat], ["skip", "both"]);
  assert.equal(new CronSchedule("30 2 * * *", "Europe/Berlin", undefined, {}).dst, undefined);
});

Deno.test("CronSchedule refuses a dst policy with an unknown choice or field, naming it", () => {
  const where = "Cannot create Clock";
  const cases: [unknown, string, string][] = [
    [{ gap: "later" }, "RangeError", "Cannot create Clock: 'dst.gap' must be 'shift' or 'skip', got 'later'"],
    [
      { repeat: "twice" },
      "RangeError",
      "Cannot create Clock: 'dst.repeat' must be 'first', 'last' or 'both', got 'twice'",
    ],
    [{ gaps: "skip" }, "RangeError", `Cannot create Clock: 'dst' has 'gap' and 'repeat' only, got {"gaps":"skip"}`],
    ["skip", "TypeError", "Cannot create Clock: 'dst' must be an object with 'gap' and/or 'repeat', got 'skip'"],
    [null, "TypeError", "Cannot create Clock: 'dst' must be an object with 'gap' and/or 'repeat', got null"],
  ];
  for (const [dst, name, message] of cases) {
    assert.throws(() => new CronSchedule("30 2 * * *", "Europe/Berlin", where, dst as DstPolicy), { name, message });
  }
});
