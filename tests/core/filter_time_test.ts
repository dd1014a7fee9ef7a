import assert from "node:assert/strict";
import { filterTime, type TimeFilter } from "../../src/core/filter_time.ts";

// Europe/Berlin in 2026 is CET (UTC+1) in winter and CEST (UTC+2) in summer; the EU switches at
// 01:00 UTC on the last Sunday of March and of October (2026-03-29 and 2026-10-25, checked in the
// first DST test). So local midnight is 23:00Z the day before in winter and 22:00Z in summer:
// - 2026-03-29 starts at 2026-03-28T23:00Z (CET) and 2026-03-30 at 2026-03-29T22:00Z (CEST);
// - 2026-10-25 starts at 2026-10-24T22:00Z (CEST) and 2026-10-26 at 2026-10-25T23:00Z (CET).

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Epoch ms of an ISO instant. */
function at(iso: string): number {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), `bad instant in the test: ${iso}`);
  return ms;
}

/** Whether a filter lets a tick through, judged by whether the handler ran. */
async function matches(filter: TimeFilter, iso: string): Promise<boolean> {
  let called = false;
  const result = await filterTime(filter, () => {
    called = true;
    return "ran";
  })(new Date(at(iso)));
  assert.equal(result, called ? "ran" : undefined);
  return called;
}

/** The instants in [fromMs, toMs), one every `stepMs`, that a filter lets through, as ISO strings. */
async function matching(filter: TimeFilter, fromMs: number, toMs: number, stepMs = MINUTE): Promise<string[]> {
  const wrapped = filterTime(filter, (tick: Date) => tick.toISOString());
  const found: string[] = [];
  for (let t = fromMs; t < toMs; t += stepMs) {
    const iso = await wrapped(new Date(t));
    if (iso !== undefined) found.push(iso);
  }
  return found;
}

function* range(from: number, to: number, step = 1): Generator<number> {
  for (let n = from; n < to; n += step) yield n;
}

const MIDNIGHT_BERLIN: TimeFilter = { hour: 0, minute: 0, timezone: "Europe/Berlin" };

Deno.test("filterTime() matches midnight in Berlin at 23:00 UTC in winter and not at 00:00 UTC", async () => {
  assert.equal(await matches(MIDNIGHT_BERLIN, "2026-11-25T23:00:00Z"), true);
  assert.equal(await matches(MIDNIGHT_BERLIN, "2026-11-26T00:00:00Z"), false);
  // In summer, midnight is 22:00 UTC.
  assert.equal(await matches(MIDNIGHT_BERLIN, "2026-06-30T22:00:00Z"), true);
  assert.equal(await matches(MIDNIGHT_BERLIN, "2026-06-30T23:00:00Z"), false);
});

Deno.test("filterTime() matches midnight once on Berlin's spring-forward day (23 hours)", async () => {
  // 2026-03-29 is the last Sunday of March: a Sunday, and a week later is April.
  assert.equal(new Date(at("2026-03-29T12:00:00Z")).getUTCDay(), 0);
  assert.equal(new Date(at("2026-04-05T12:00:00Z")).getUTCMonth(), 3);
  const start = at("2026-03-28T23:00:00Z"); // 00:00 CET
  const next = at("2026-03-29T22:00:00Z"); // 00:00 CEST on 2026-03-30
  assert.equal(next - start, 23 * HOUR);
  assert.deepEqual(await matching(MIDNIGHT_BERLIN, start, next), ["2026-03-28T23:00:00.000Z"]);
  // Six hours either side: the day's midnight and the next day's, nothing else.
  assert.deepEqual(await matching(MIDNIGHT_BERLIN, start - 6 * HOUR, next + 6 * HOUR), [
    "2026-03-28T23:00:00.000Z",
    "2026-03-29T22:00:00.000Z",
  ]);
});

Deno.test("filterTime() matches midnight once on Berlin's fall-back day (25 hours)", async () => {
  // 2026-10-25 is the last Sunday of October: a Sunday, and a week later is November.
  assert.equal(new Date(at("2026-10-25T12:00:00Z")).getUTCDay(), 0);
  assert.equal(new Date(at("2026-11-01T12:00:00Z")).getUTCMonth(), 10);
  const start = at("2026-10-24T22:00:00Z"); // 00:00 CEST
  const next = at("2026-10-25T23:00:00Z"); // 00:00 CET on 2026-10-26
  assert.equal(next - start, 25 * HOUR);
  assert.deepEqual(await matching(MIDNIGHT_BERLIN, start, next), ["2026-10-24T22:00:00.000Z"]);
  assert.deepEqual(await matching(MIDNIGHT_BERLIN, start - 6 * HOUR, next + 6 * HOUR), [
    "2026-10-24T22:00:00.000Z",
    "2026-10-25T23:00:00.000Z",
  ]);
});

Deno.test("filterTime() matches a repeated wall time twice and a skipped one never (Berlin 2026)", async () => {
  const half = { hour: 2, minute: 30, timezone: "Europe/Berlin" };
  // Fall back: 02:30 CEST (00:30Z) and 02:30 CET (01:30Z).
  assert.deepEqual(await matching(half, at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z")), [
    "2026-10-25T00:30:00.000Z",
    "2026-10-25T01:30:00.000Z",
  ]);
  // Spring forward: 02:00-02:59 does not exist; 03:30 CEST is 01:30Z.
  assert.deepEqual(await matching(half, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")), []);
  assert.deepEqual(
    await matching({ ...half, hour: 3 }, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")),
    ["2026-03-29T01:30:00.000Z"],
  );
});

Deno.test("filterTime() reads fields in UTC by default", async () => {
  // 2026-05-31T22:00Z is 00:00 in Berlin but 22:00 in UTC.
  assert.equal(await matches({ hour: 0 }, "2026-06-01T00:00:00Z"), true);
  assert.equal(await matches({ hour: 0 }, "2026-05-31T22:00:00Z"), false);
  assert.equal(await matches({ hour: 0, timezone: "UTC" }, "2026-06-01T00:00:00Z"), true);
  assert.equal(await matches({ hour: 0, timezone: "Europe/Berlin" }, "2026-05-31T22:00:00Z"), true);
});

Deno.test("filterTime() with no fields matches every tick", async () => {
  assert.deepEqual(await matching({}, at("2026-01-01T00:00:00Z"), at("2026-01-01T00:03:00Z")), [
    "2026-01-01T00:00:00.000Z",
    "2026-01-01T00:01:00.000Z",
    "2026-01-01T00:02:00.000Z",
  ]);
});

Deno.test("filterTime() accepts an array of values", async () => {
  const hour = at("2026-01-01T12:00:00Z");
  assert.deepEqual(await matching({ minute: [0, 30, 45] }, hour, hour + HOUR), [
    "2026-01-01T12:00:00.000Z",
    "2026-01-01T12:30:00.000Z",
    "2026-01-01T12:45:00.000Z",
  ]);
});

Deno.test("filterTime() accepts a Set of values", async () => {
  const day = at("2026-01-01T00:00:00Z");
  assert.deepEqual(await matching({ hour: new Set([9, 17]), minute: 0 }, day, day + 24 * HOUR), [
    "2026-01-01T09:00:00.000Z",
    "2026-01-01T17:00:00.000Z",
  ]);
});

Deno.test("filterTime() accepts a generator and reads it once, when wrapping", async () => {
  let reads = 0;
  function* quarters(): Generator<number> {
    reads++;
    yield* range(0, 60, 15);
  }
  const filter = { minute: quarters() };
  const wrapped = filterTime(filter, () => true);
  assert.equal(reads, 1);
  // A generator can be iterated only once: a filter that read it per call would match nothing the second time.
  for (let round = 0; round < 2; round++) {
    const hits: number[] = [];
    for (const minute of range(0, 60)) {
      const tick = new Date(Date.UTC(2026, 0, 1, 12, minute));
      if (await wrapped(tick)) hits.push(minute);
    }
    assert.deepEqual(hits, [0, 15, 30, 45]);
  }
  assert.equal(reads, 1);
});

Deno.test("filterTime() copies an array when wrapping, so later changes to it do not count", async () => {
  const minutes = [0];
  const wrapped = filterTime({ minute: minutes }, () => true);
  minutes.push(5);
  minutes[0] = 10;
  assert.equal(await wrapped(new Date(at("2026-01-01T12:00:00Z"))), true);
  assert.equal(await wrapped(new Date(at("2026-01-01T12:05:00Z"))), undefined);
  assert.equal(await wrapped(new Date(at("2026-01-01T12:10:00Z"))), undefined);
});

Deno.test("filterTime() numbers weekdays from 0 = Sunday, and takes 7 as Sunday too", async () => {
  // 2026-03-01 is a Sunday (checked without the code under test); one tick a day at noon UTC for a week.
  assert.equal(new Date(at("2026-03-01T12:00:00Z")).getUTCDay(), 0);
  const sunday = at("2026-03-01T12:00:00Z");
  const week = (filter: TimeFilter) => matching(filter, sunday, sunday + 7 * 24 * HOUR, 24 * HOUR);
  assert.deepEqual(await week({ weekday: 0 }), ["2026-03-01T12:00:00.000Z"]);
  assert.deepEqual(await week({ weekday: 7 }), ["2026-03-01T12:00:00.000Z"]);
  assert.deepEqual(await week({ weekday: 6 }), ["2026-03-07T12:00:00.000Z"]);
  assert.deepEqual(await week({ weekday: range(1, 6) }), [
    "2026-03-02T12:00:00.000Z",
    "2026-03-03T12:00:00.000Z",
    "2026-03-04T12:00:00.000Z",
    "2026-03-05T12:00:00.000Z",
    "2026-03-06T12:00:00.000Z",
  ]);
  assert.deepEqual(await week({ weekday: [0, 6] }), ["2026-03-01T12:00:00.000Z", "2026-03-07T12:00:00.000Z"]);
});

Deno.test("filterTime() reads the weekday in the filter's time zone", async () => {
  // Sunday 2026-03-01 23:30 UTC is Monday 00:30 CET in Berlin.
  const iso = "2026-03-01T23:30:00Z";
  assert.equal(await matches({ weekday: 0 }, iso), true);
  assert.equal(await matches({ weekday: 1 }, iso), false);
  assert.equal(await matches({ weekday: 1, timezone: "Europe/Berlin" }, iso), true);
  assert.equal(await matches({ weekday: 0, timezone: "Europe/Berlin" }, iso), false);
});

Deno.test("filterTime() matches year, month and day of month", async () => {
  const date = { year: 2026, month: 2, day: 28 };
  assert.equal(await matches(date, "2026-02-28T12:00:00Z"), true);
  assert.equal(await matches(date, "2026-03-01T12:00:00Z"), false);
  assert.equal(await matches(date, "2027-02-28T12:00:00Z"), false);
  assert.equal(await matches(date, "2026-01-28T12:00:00Z"), false);
  // 29 February exists in 2028, a leap year, and not in 2026 (2026-02-29 parses as 1 March).
  assert.equal(await matches({ month: 2, day: 29 }, "2028-02-29T12:00:00Z"), true);
  assert.equal(await matches({ month: 2, day: 29 }, "2026-03-01T12:00:00Z"), false);
  // The last day of each quarter, as month and day lists.
  assert.equal(await matches({ month: [3, 12], day: 31 }, "2026-12-31T12:00:00Z"), true);
  assert.equal(await matches({ month: [3, 12], day: 31 }, "2026-10-31T12:00:00Z"), false);
  assert.equal(await matches({ year: range(2025, 2028) }, "2027-06-01T00:00:00Z"), true);
  assert.equal(await matches({ year: range(2025, 2028) }, "2028-06-01T00:00:00Z"), false);
});

Deno.test("filterTime() reads year, month and day in the filter's time zone", async () => {
  // 2026-12-31T23:30Z is 2027-01-01 00:30 CET in Berlin, and 2026-12-31 13:30 in Honolulu (UTC-10).
  const iso = "2026-12-31T23:30:00Z";
  const newYear = { year: 2027, month: 1, day: 1 };
  assert.equal(await matches({ ...newYear, timezone: "Europe/Berlin" }, iso), true);
  assert.equal(await matches(newYear, iso), false);
  assert.equal(await matches({ year: 2026, month: 12, day: 31, hour: 13, timezone: "Pacific/Honolulu" }, iso), true);
});

Deno.test("filterTime() does not take a year before the common era for the same year after it", async () => {
  // Intl numbers years by era, so 2026 BC has the year number 2026 too.
  const bc = new Date(Date.UTC(2000, 5, 1));
  bc.setUTCFullYear(-2025); // 2026 BC
  assert.equal(await filterTime({ year: 2026 }, () => true)(bc), undefined);
  assert.equal(await filterTime({ month: 6, day: 1 }, () => true)(bc), true);
});

Deno.test("filterTime() matches seconds and ignores milliseconds", async () => {
  const minute = at("2026-01-01T12:00:00Z");
  assert.deepEqual(await matching({ second: [0, 30] }, minute, minute + MINUTE, 1000), [
    "2026-01-01T12:00:00.000Z",
    "2026-01-01T12:00:30.000Z",
  ]);
  assert.equal(await matches({ second: 30 }, "2026-01-01T12:00:30.999Z"), true);
  assert.equal(await matches({ second: 30 }, "2026-01-01T12:00:29.999Z"), false);
  assert.equal(await matches({ second: 30 }, "2026-01-01T12:00:31.000Z"), false);
});

Deno.test("filterTime() passes the tick and the other arguments through and returns the handler's result", async () => {
  const calls: unknown[][] = [];
  const message = { subject: "minute-passed" };
  const wrapped = filterTime({ minute: 0 }, async (tick: Date, name: string, payload: { subject: string }) => {
    calls.push([tick, name, payload]);
    await Promise.resolve();
    return `${name}:${tick.getUTCHours()}`;
  });
  const tick = new Date(at("2026-01-01T12:00:00Z"));
  const result: string | undefined = await wrapped(tick, "hourly", message);
  assert.equal(result, "hourly:12");
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.[0], tick);
  assert.equal(calls[0]?.[1], "hourly");
  assert.equal(calls[0]?.[2], message);
  // Not matching: resolves undefined without calling the handler.
  assert.equal(await wrapped(new Date(at("2026-01-01T12:01:00Z")), "hourly", message), undefined);
  assert.equal(calls.length, 1);
});

Deno.test("filterTime() returns a synchronous handler's result and rejects with its error", async () => {
  assert.equal(await filterTime({}, (_tick: Date, n: number) => n * 2)(new Date(0), 21), 42);
  const boom = new Error("boom");
  await assert.rejects(
    filterTime({}, () => {
      throw boom;
    })(new Date(0)),
    (error) => error === boom,
  );
});

Deno.test("filterTime() rejects a tick that is not a valid Date, without calling the handler", async () => {
  let calls = 0;
  const wrapped = filterTime({}, () => ++calls) as (tick: unknown) => Promise<number | undefined>;
  await assert.rejects(wrapped(new Date(NaN)), {
    name: "TypeError",
    message: "Cannot filter time: the tick must be a valid Date, got an invalid Date",
  });
  await assert.rejects(wrapped(Date.parse("2026-01-01T00:00:00Z")), {
    name: "TypeError",
    message: "Cannot filter time: the tick must be a valid Date, got 1767225600000",
  });
  await assert.rejects(wrapped("2026-01-01T00:00:00Z"), {
    name: "TypeError",
    message: "Cannot filter time: the tick must be a valid Date, got '2026-01-01T00:00:00Z'",
  });
  await assert.rejects(wrapped(undefined), { name: "TypeError" });
  assert.equal(calls, 0);
});

Deno.test("filterTime() throws a RangeError when wrapping with a field value out of range or not an integer", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ hour: 24 }, "'hour' must be integers from 0 to 23, got 24"],
    [{ hour: -1 }, "'hour' must be integers from 0 to 23, got -1"],
    [{ minute: 60 }, "'minute' must be integers from 0 to 59, got 60"],
    [{ second: 60 }, "'second' must be integers from 0 to 59, got 60"],
    [{ minute: 1.5 }, "'minute' must be integers from 0 to 59, got 1.5"],
    [{ hour: NaN }, "'hour' must be integers from 0 to 23, got NaN"],
    [{ hour: Infinity }, "'hour' must be integers from 0 to 23, got Infinity"],
    [{ hour: "9" }, "'hour' must be integers from 0 to 23, got '9'"],
    [{ hour: null }, "'hour' must be integers from 0 to 23, got null"],
    [{ hour: { from: 1 } }, `'hour' must be integers from 0 to 23, got {"from":1}`],
    [{ minute: [0, 60] }, "'minute' must be integers from 0 to 59, got 60"],
    [{ minute: new Set([0, "30"]) }, "'minute' must be integers from 0 to 59, got '30'"],
    [{ day: 0 }, "'day' must be integers from 1 to 31, got 0"],
    [{ day: 32 }, "'day' must be integers from 1 to 31, got 32"],
    [{ month: 0 }, "'month' must be integers from 1 to 12, got 0"],
    [{ month: 13 }, "'month' must be integers from 1 to 12, got 13"],
    [{ weekday: 8 }, "'weekday' must be integers from 0 to 7 (0 and 7 are Sunday), got 8"],
    [{ weekday: -1 }, "'weekday' must be integers from 0 to 7 (0 and 7 are Sunday), got -1"],
    [{ year: 1969 }, "'year' must be integers from 1970 to 9999, got 1969"],
    [{ year: 10000 }, "'year' must be integers from 1970 to 9999, got 10000"],
  ];
  for (const [filter, message] of cases) {
    assert.throws(() => filterTime(filter as TimeFilter, () => {}), {
      name: "RangeError",
      message: `Cannot filter time: ${message}`,
    }, JSON.stringify(filter));
  }
});

Deno.test("filterTime() throws a RangeError when wrapping with an empty list of values", () => {
  const cases: Array<[TimeFilter, string]> = [
    [{ hour: [] }, "'hour' must be integers from 0 to 23 or a non-empty list of them, got []"],
    [{ minute: new Set() }, "'minute' must be integers from 0 to 59 or a non-empty list of them, got an empty Set"],
    [{ day: range(1, 1) }, "'day' must be integers from 1 to 31 or a non-empty list of them, got an empty iterable"],
  ];
  for (const [filter, message] of cases) {
    assert.throws(() => filterTime(filter, () => {}), {
      name: "RangeError",
      message: `Cannot filter time: ${message}`,
    });
  }
});

Deno.test("filterTime() throws a RangeError when wrapping with an unknown time zone", () => {
  assert.throws(() => filterTime({ hour: 0, timezone: "Mars/Olympus" }, () => {}), {
    name: "RangeError",
    message: "Cannot filter time: 'timezone' is not a known IANA time zone, got 'Mars/Olympus'",
  });
  assert.throws(() => filterTime({ timezone: "" }, () => {}), {
    name: "RangeError",
    message: "Cannot filter time: 'timezone' is not a known IANA time zone, got ''",
  });
});

Deno.test("filterTime() throws a TypeError when wrapping a non-function, a non-object filter, an unknown key or a non-string time zone", () => {
  assert.throws(() => filterTime({ hour: 0 }, "handler" as unknown as () => void), {
    name: "TypeError",
    message: "Cannot filter time: 'handler' must be a function, got 'handler'",
  });
  assert.throws(() => filterTime({ hour: 0 }, undefined as unknown as () => void), {
    name: "TypeError",
    message: "Cannot filter time: 'handler' must be a function, got undefined",
  });
  assert.throws(() => filterTime(null as unknown as TimeFilter, () => {}), {
    name: "TypeError",
    message: "Cannot filter time: 'filter' must be an object, got null",
  });
  // A misspelt field would otherwise match every tick.
  assert.throws(() => filterTime({ hours: 0 } as TimeFilter, () => {}), {
    name: "TypeError",
    message:
      "Cannot filter time: 'filter' has an unknown field 'hours' (the fields are year, month, day, weekday, hour, minute, second, timezone)",
  });
  assert.throws(() => filterTime({ timezone: 1 } as unknown as TimeFilter, () => {}), {
    name: "TypeError",
    message: "Cannot filter time: 'timezone' must be a string, got 1",
  });
});
