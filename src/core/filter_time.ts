/**
 * Time filters: run a tick handler only at the ticks whose local wall time matches.
 *
 * A filter compares the fields of the tick's wall clock in one IANA time zone, read with
 * `Intl.DateTimeFormat`, with the values it was given. It does not schedule anything, so its DST
 * rule is the plain one: an instant matches when its local fields match. On a fall-back day a
 * repeated wall time (02:30 in Europe/Berlin on 2026-10-25) matches twice, once in summer time
 * and once in standard time; on a spring-forward day a skipped wall time (02:30 on 2026-03-29)
 * never matches. Local midnight exists on both of Berlin's DST days, so a midnight filter
 * matches once each day there. For "once per local day at a time that may be skipped", use a
 * cron clock (`new Clock({ cron, timezone })`) with that time instead: it follows classic cron's
 * rule for the gap.
 *
 * @module
 */

import { describe } from "../_describe.ts";

/**
 * The wall-clock fields a tick must have, in {@link TimeFilter.timezone}. Each field is a
 * number, or a finite iterable of numbers (an array, a `Set`, a generator) that is read once,
 * when the filter is made; the tick matches the field when its value is one of them. A tick
 * matches the filter when it matches every field that is set; unset fields match anything, so
 * `{}` matches every tick.
 *
 * A filter whose fields never meet (`{ month: 2, day: 30 }`) is accepted and never matches.
 */
export interface TimeFilter {
  /** The year, 1970 to 9999. */
  year?: number | Iterable<number>;
  /** The month, 1 (January) to 12 (December). */
  month?: number | Iterable<number>;
  /** The day of the month, 1 to 31. */
  day?: number | Iterable<number>;
  /** The day of the week, 0 (Sunday) to 6 (Saturday); 7 is Sunday too, as in cron. */
  weekday?: number | Iterable<number>;
  /** The hour, 0 to 23. */
  hour?: number | Iterable<number>;
  /** The minute, 0 to 59. */
  minute?: number | Iterable<number>;
  /** The second, 0 to 59. */
  second?: number | Iterable<number>;
  /** The IANA time zone whose wall clock the fields are read on, such as `Europe/Berlin`. Default `UTC`. */
  timezone?: string;
}

type Field = "year" | "month" | "day" | "weekday" | "hour" | "minute" | "second";

/** The fields in the order they are checked and listed in errors, with their ranges. */
const RANGES: ReadonlyArray<readonly [Field, number, number]> = [
  ["year", 1970, 9999],
  ["month", 1, 12],
  ["day", 1, 31],
  ["weekday", 0, 7],
  ["hour", 0, 23],
  ["minute", 0, 59],
  ["second", 0, 59],
];

const KNOWN_KEYS: ReadonlySet<string> = new Set([...RANGES.map(([field]) => field), "timezone"]);

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/**
 * Wraps a tick handler so that it runs only at the ticks whose wall-clock fields, in the
 * filter's time zone, match every field of the filter (see {@link TimeFilter}). At the other
 * ticks the wrapper resolves to `undefined` without calling the handler.
 *
 * The tick is the wrapper's first argument: the instant a clock was scheduled to emit, not the
 * time the handler runs, so a late or redelivered message is judged by its tick. The arguments
 * after it are passed to the handler unchanged, and the handler's result (or rejection) is the
 * wrapper's. Fields are compared as wall time, so around a DST change an instant can match twice
 * or never (see the module doc). Milliseconds are ignored: 00:00:00.500 has second 0.
 *
 * @param filter the wall-clock fields to match and the time zone to read them in
 * @param handler the function to call at matching ticks, with the tick and the other arguments
 * @returns a function with the handler's arguments that calls it only at matching ticks and
 *   resolves to its result, or to `undefined` at other ticks; it rejects with a `TypeError` if
 *   its first argument is not a valid `Date`
 * @throws {TypeError} if `filter` is not an object or has a key that is not a field, if
 *   `timezone` is not a string, or if `handler` is not a function
 * @throws {RangeError} if a field is not an integer in its range or a non-empty iterable of them,
 *   or if `timezone` is not a known IANA time zone
 *
 * @example Run a job at midnight in Berlin, and on weekdays only
 * ```ts
 * import assert from "node:assert/strict";
 * import { filterTime } from "@walnats/clock";
 *
 * const runs: string[] = [];
 * const nightly = filterTime(
 *   { hour: 0, minute: 0, weekday: [1, 2, 3, 4, 5], timezone: "Europe/Berlin" },
 *   (tick: Date, job: string) => {
 *     runs.push(`${job} at ${tick.toISOString()}`);
 *     return runs.length;
 *   },
 * );
 * // Thursday 2026-11-26 00:00 CET is 2026-11-25 23:00 UTC.
 * assert.equal(await nightly(new Date("2026-11-25T23:00:00Z"), "backup"), 1);
 * // 01:00 CET: the hour does not match.
 * assert.equal(await nightly(new Date("2026-11-26T00:00:00Z"), "backup"), undefined);
 * // Sunday 2026-11-29 00:00 CET: the weekday does not match.
 * assert.equal(await nightly(new Date("2026-11-28T23:00:00Z"), "backup"), undefined);
 * assert.deepEqual(runs, ["backup at 2026-11-25T23:00:00.000Z"]);
 * ```
 */
export function filterTime<A extends unknown[], R>(
  filter: TimeFilter,
  handler: (tick: Date, ...rest: A) => R,
): (tick: Date, ...rest: A) => Promise<Awaited<R> | undefined> {
  if (typeof filter !== "object" || filter === null) {
    throw new TypeError(`Cannot filter time: 'filter' must be an object, got ${describe(filter)}`);
  }
  for (const key of Object.keys(filter)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new TypeError(
        `Cannot filter time: 'filter' has an unknown field '${key}' (the fields are ${[...KNOWN_KEYS].join(", ")})`,
      );
    }
  }
  if (typeof handler !== "function") {
    throw new TypeError(`Cannot filter time: 'handler' must be a function, got ${describe(handler)}`);
  }
  const timezone = filter.timezone ?? "UTC";
  if (typeof timezone !== "string") {
    throw new TypeError(`Cannot filter time: 'timezone' must be a string, got ${describe(timezone)}`);
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      weekday: "short",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch (cause) {
    throw new RangeError(
      `Cannot filter time: 'timezone' is not a known IANA time zone, got ${describe(timezone)}`,
      { cause },
    );
  }
  const checks: Array<readonly [Field, ReadonlySet<number>]> = [];
  for (const [field, min, max] of RANGES) {
    const allowed = allowedValues(field, filter[field], min, max);
    if (allowed !== undefined) checks.push([field, allowed]);
  }

  return async (tick: Date, ...rest: A): Promise<Awaited<R> | undefined> => {
    if (!(tick instanceof Date) || Number.isNaN(tick.getTime())) {
      throw new TypeError(`Cannot filter time: the tick must be a valid Date, got ${describeTick(tick)}`);
    }
    const wall = wallClock(format, tick);
    for (const [field, allowed] of checks) {
      if (!allowed.has(wall[field])) return undefined;
    }
    return await handler(tick, ...rest);
  };
}

/** The values a field allows, or `undefined` when the field is not set. Weekday 7 becomes 0. */
function allowedValues(field: Field, value: unknown, min: number, max: number): Set<number> | undefined {
  if (value === undefined) return undefined;
  const range = field === "weekday" ? "integers from 0 to 7 (0 and 7 are Sunday)" : `integers from ${min} to ${max}`;
  const check = (n: unknown): number => {
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      throw new RangeError(`Cannot filter time: '${field}' must be ${range}, got ${describe(n)}`);
    }
    return field === "weekday" && n === 7 ? 0 : n;
  };
  if (typeof value === "string" || typeof value !== "object" || value === null || !(Symbol.iterator in value)) {
    return new Set([check(value)]);
  }
  const allowed = new Set<number>();
  for (const n of value as Iterable<unknown>) allowed.add(check(n));
  if (allowed.size === 0) {
    const empty = Array.isArray(value) ? "[]" : value instanceof Set ? "an empty Set" : "an empty iterable";
    throw new RangeError(`Cannot filter time: '${field}' must be ${range} or a non-empty list of them, got ${empty}`);
  }
  return allowed;
}

/** The wall-clock fields of an instant, from one `formatToParts` call. Years before 1 AD are 0 and below. */
function wallClock(format: Intl.DateTimeFormat, tick: Date): Record<Field, number> {
  const wall: Record<Field, number> = {
    year: NaN,
    month: NaN,
    day: NaN,
    weekday: NaN,
    hour: NaN,
    minute: NaN,
    second: NaN,
  };
  let bc = false;
  for (const { type, value } of format.formatToParts(tick)) {
    switch (type) {
      case "year":
      case "month":
      case "day":
      case "hour":
      case "minute":
      case "second":
        wall[type] = Number(value);
        break;
      case "weekday":
        wall.weekday = WEEKDAYS[value] ?? NaN;
        break;
      case "era":
        bc = value === "BC";
        break;
    }
  }
  // Intl counts years by era: 2026 BC would read as year 2026.
  if (bc) wall.year = 1 - wall.year;
  return wall;
}

function describeTick(tick: unknown): string {
  return tick instanceof Date ? "an invalid Date" : describe(tick);
}
