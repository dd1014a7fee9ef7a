import assert from "node:assert/strict";
import { neighbourHeaders, validateMeta } from "../../src/events/_headers.ts";
import { BoundedSchedule, PeriodSchedule } from "../../src/core/schedule.ts";
import { CronSchedule } from "../../src/core/cron_schedule.ts";

const WHERE = "Cannot create Thing";

Deno.test("validateMeta() returns an empty frozen object when there is no meta", () => {
  const meta = validateMeta(undefined, WHERE);
  assert.deepEqual(meta, {});
  assert.ok(Object.isFrozen(meta));
});

Deno.test("validateMeta() returns a frozen copy of valid headers, names and values verbatim", () => {
  const input = { "X-Team": "ops", "region": "eu west", "a.b_c~d": " spaced: value ", "empty": "" };
  const meta = validateMeta(input, WHERE);
  assert.deepEqual(meta, input);
  assert.ok(Object.isFrozen(meta));
  input["X-Team"] = "changed";
  assert.equal(meta["X-Team"], "ops");
});

Deno.test("validateMeta() rejects header names that are not tokens", () => {
  for (const name of ["bad name", "a:b", "", "tab\tname", "é", "a\nb", "(paren)"]) {
    assert.throws(
      () => validateMeta({ [name]: "x" }, WHERE),
      (error: unknown) =>
        error instanceof TypeError && error.message.startsWith(`${WHERE}: 'meta'`) &&
        error.message.includes(`'${name}'`),
      JSON.stringify(name),
    );
  }
});

Deno.test("validateMeta() rejects the reserved Nats- and Walnats- prefixes in any case", () => {
  for (const name of ["Nats-X", "nats-msg-id", "Walnats-X", "WALNATS-TICK", "Walnats-Clock"]) {
    assert.throws(
      () => validateMeta({ [name]: "x" }, WHERE),
      (error: unknown) =>
        error instanceof TypeError && error.message.includes("'meta'") && error.message.includes(name),
      name,
    );
  }
});

Deno.test("validateMeta() accepts names that only contain the reserved words", () => {
  assert.deepEqual(validateMeta({ "X-Nats-Walnats": "ok", "Natsy": "ok" }, WHERE), {
    "X-Nats-Walnats": "ok",
    "Natsy": "ok",
  });
});

Deno.test("validateMeta() rejects values with line breaks or that are not strings", () => {
  for (const value of ["a\nb", "a\rb", "\r\n", 5, null, undefined, ["x"]]) {
    assert.throws(
      () => validateMeta({ team: value as string }, WHERE),
      (error: unknown) => error instanceof TypeError && error.message.includes("'meta' value of 'team'"),
      JSON.stringify(value),
    );
  }
});

Deno.test("validateMeta() rejects meta that is not an object", () => {
  for (const meta of [null, ["a"], "team=ops", 5]) {
    assert.throws(
      () => validateMeta(meta as unknown as Record<string, string>, WHERE),
      (error: unknown) => error instanceof TypeError && error.message.startsWith(`${WHERE}: 'meta' must be an object`),
      JSON.stringify(meta),
    );
  }
});

const iso = (ms: number | undefined) => ms === undefined ? undefined : new Date(ms).toISOString();
/** The neighbour headers of `instant` as ISO text, for reading. */
function neighbours(schedule: BoundedSchedule, instant: string): { previous?: string; next?: string } {
  const headers = neighbourHeaders(schedule, Date.parse(instant));
  const previous = iso(
    headers["Walnats-Previous-Tick"] === undefined ? undefined : Number(headers["Walnats-Previous-Tick"]),
  );
  const next = iso(headers["Walnats-Next-Tick"] === undefined ? undefined : Number(headers["Walnats-Next-Tick"]));
  return { ...(previous ? { previous } : {}), ...(next ? { next } : {}) };
}

Deno.test("neighbourHeaders() gives a periodic tick's neighbours, none before startAt or after stopAt", () => {
  const start = Date.parse("2026-12-07T12:00:00Z");
  const bounded = new BoundedSchedule(new PeriodSchedule(60_000), start, start + 120_000);
  assert.deepEqual(neighbours(bounded, "2026-12-07T12:01:00Z"), {
    previous: "2026-12-07T12:00:00.000Z",
    next: "2026-12-07T12:02:00.000Z",
  });
  assert.deepEqual(neighbours(bounded, "2026-12-07T12:00:00Z"), { next: "2026-12-07T12:01:00.000Z" });
  assert.deepEqual(neighbours(bounded, "2026-12-07T12:02:00Z"), { previous: "2026-12-07T12:01:00.000Z" });
  // Off the grid (a trigger): the ticks around it.
  assert.deepEqual(neighbours(bounded, "2026-12-07T12:01:30.500Z"), {
    previous: "2026-12-07T12:01:00.000Z",
    next: "2026-12-07T12:02:00.000Z",
  });
  assert.deepEqual(neighbours(new BoundedSchedule(new PeriodSchedule(60_000)), "1970-01-01T00:00:00Z"), {
    previous: "1969-12-31T23:59:00.000Z",
    next: "1970-01-01T00:01:00.000Z",
  });
});

Deno.test("neighbourHeaders() of a cron tick across DST in Europe/Berlin are the ticks next() gives", () => {
  const nightly = new BoundedSchedule(new CronSchedule("30 2 * * *", "Europe/Berlin"));
  // 2026-03-29: 02:30 does not exist; the tick is 03:00 CEST (01:00Z).
  assert.deepEqual(neighbours(nightly, "2026-03-29T01:00:00Z"), {
    previous: "2026-03-28T01:30:00.000Z",
    next: "2026-03-30T00:30:00.000Z",
  });
  // 2026-10-25: 02:30 happens twice; the tick is the first (00:30Z).
  assert.deepEqual(neighbours(nightly, "2026-10-26T01:30:00Z"), {
    previous: "2026-10-25T00:30:00.000Z",
    next: "2026-10-27T01:30:00.000Z",
  });
  const quarterly = new BoundedSchedule(new CronSchedule("*/15 * * * *", "Europe/Berlin"));
  // Fall back: 02:45 CEST (00:45Z) is followed by 02:00 CET (01:00Z), both real instants.
  assert.deepEqual(neighbours(quarterly, "2026-10-25T01:00:00Z"), {
    previous: "2026-10-25T00:45:00.000Z",
    next: "2026-10-25T01:15:00.000Z",
  });
});

Deno.test("CronSchedule.previous() is the tick whose next() is the given tick, over a year of DST zones", () => {
  const cases: [string, string][] = [
    ["30 2 * * *", "Europe/Berlin"],
    ["30 1 * * *", "America/New_York"],
    ["0 * * * *", "Australia/Lord_Howe"],
    ["0 0 * * *", "America/Santiago"],
    ["15 9 * * MON-FRI", "UTC"],
  ];
  for (const [expression, zone] of cases) {
    const schedule = new CronSchedule(expression, zone);
    let previous = schedule.next(Date.parse("2026-01-01T00:00:00Z"));
    for (let tick = schedule.next(previous); tick < Date.parse("2027-01-01T00:00:00Z"); tick = schedule.next(tick)) {
      if (schedule.previous(tick) !== previous) {
        assert.fail(
          `${expression} in ${zone}: previous(${iso(tick)}) is ${iso(schedule.previous(tick))}, not ${iso(previous)}`,
        );
      }
      previous = tick;
    }
  }
});
