/**
 * Cron schedules: the ticks of a cron expression in an IANA time zone.
 *
 * croner parses and matches the expression, in UTC: it walks the zone's wall times (a local date and time
 * held as the same date and time in UTC). This class turns each matching wall time into the instants it
 * fires at, by the schedule's daylight saving time policy ({@link DstPolicy}):
 * - A wall time that happens once fires at that instant.
 * - One in a spring-forward gap (02:30 in Europe/Berlin on 2026-03-29): `shift` fires at the first instant
 *   after the gap (03:00 CEST; several wall times inside one gap fire once, there), `skip` does not fire.
 * - One that happens twice (02:30 on 2026-10-25, CEST then CET): `first`, `last` or `both` occurrences fire.
 *
 * Without a policy, and for any field the policy leaves out, DST is handled as classic (Vixie) cron does, as
 * croner 11's `fixedTimeRule: "single-value"` does it:
 * - A fixed-time job (seconds, minute and hour are each a single value, as in `30 2 * * *`) runs once every
 *   local day it matches: `shift` and `first`. Vixie cron runs the jobs of skipped fixed times immediately
 *   after the clock jumps, and the first instant after the gap is when that is.
 * - Any other job (a wildcard, range, list or step in the seconds, minute or hour field) runs at every real
 *   instant whose local wall time matches: `skip` and `both` (both 02:30 CEST and 02:30 CET on a fall-back
 *   day, no 02:30 on a spring-forward day).
 *
 * A policy applies to the wall times the hour field names (a single hour, a list or a range); a cron whose
 * hour field is a wildcard or a step (`*`, `*\/2`, `@hourly`) runs at every real matching instant whatever its
 * policy: its fires keep their real spacing (an hourly job fires every real hour), so none of its wall times
 * falls in a gap or repeats for it.
 *
 * tests/core/cron_schedule_test.ts checks the instants at the 2026 transitions of Europe/Berlin,
 * America/New_York, Australia/Lord_Howe and America/Santiago, for every policy, against instants written
 * by hand.
 *
 * @module
 */

import { Cron, CronPattern } from "croner";
import { describe } from "../_describe.ts";
import { messageOf } from "../errors.ts";
import { changeBetween, offsetAt, type WallInstants, wallInstants } from "./_wall_time.ts";
import { checkDst, type DstGap, type DstPolicy, type DstRepeat } from "./dst_policy.ts";
import type { Schedule } from "./schedule.ts";

const DAY_MS = 86_400_000;

/**
 * Ticks at the instants a cron expression matches in an IANA time zone, with DST handled as
 * classic (Vixie) cron does it, or by a {@link DstPolicy} (see the module doc).
 *
 * Expressions have 5 fields (`minute hour day-of-month month day-of-week`) or 6 with a leading
 * seconds field. They may use ranges, steps, lists, month and day names, `L` (last day of the
 * month, or `5L` for the last Friday), `W` (nearest weekday), `#` (`1#2` for the second Monday),
 * `?`, and the nicknames `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and
 * `@hourly`. When both day fields are restricted, a day matches either, as in classic cron.
 *
 * @example Every weekday at 09:00 in New York
 * ```ts
 * import assert from "node:assert/strict";
 * import { CronSchedule } from "./cron_schedule.ts";
 *
 * const schedule = new CronSchedule("0 9 * * MON-FRI", "America/New_York");
 * // Friday 2026-03-06 09:00 EST, then Monday 2026-03-09 09:00 EDT
 * const friday = schedule.next(Date.parse("2026-03-06T00:00:00Z"));
 * assert.equal(new Date(friday).toISOString(), "2026-03-06T14:00:00.000Z");
 * assert.equal(new Date(schedule.next(friday)).toISOString(), "2026-03-09T13:00:00.000Z");
 * ```
 */
export class CronSchedule implements Schedule {
  /** The cron expression, as given. */
  readonly expression: string;
  /** The IANA time zone the expression is read in, as given. */
  readonly timezone: string;
  /** The DST policy, as given (only its fields given); `undefined` for none. */
  readonly dst: DstPolicy | undefined;
  /** What a wall time in a gap fires as: the policy in effect (the given one, else classic cron's). */
  readonly gap: DstGap;
  /** Which occurrences of a repeated wall time fire: the policy in effect (the given one, else classic cron's). */
  readonly repeat: DstRepeat;
  /** The expression matched in UTC: its runs are the wall times that match. */
  readonly #walls: Cron;
  /**
   * The last call's argument and answer: a clock or a worker asks for the same tick's next one three times per
   * tick (the tick due, its deadline, the next plan), and an answer costs a few croner and Intl calls.
   */
  #last = { afterMs: NaN, nextMs: NaN };

  /**
   * Parses a cron expression.
   *
   * @param expression 5 fields, or 6 with a leading seconds field, or a nickname such as `@daily`
   * @param timezone the IANA time zone whose wall clock the expression is read on
   * @param where how error messages begin: what was being created, e.g. `Cannot create Clock`
   * @param dst the DST policy; none: classic cron's rules
   * @throws {TypeError} if `expression` is not a valid cron expression, or `dst` is not an object
   * @throws {RangeError} if `timezone` is not a known time zone, if `expression` never
   * matches a date (`0 0 30 2 *`), or if `dst` has an unknown field or choice
   */
  constructor(expression: string, timezone = "UTC", where = "Cannot create cron schedule", dst?: DstPolicy) {
    if (typeof expression !== "string") {
      throw new TypeError(`${where}: 'cron' must be a string, got ${describe(expression)}`);
    }
    if (typeof timezone !== "string") {
      throw new TypeError(`${where}: 'timezone' must be a string, got ${describe(timezone)}`);
    }
    // croner accepts an unknown zone until it is asked for runs.
    try {
      new Intl.DateTimeFormat(undefined, { timeZone: timezone });
    } catch (cause) {
      throw new RangeError(
        `${where}: 'timezone' is not a known IANA time zone, got ${describe(timezone)}`,
        { cause },
      );
    }
    const policy = checkDst(dst, where);
    let walls: Cron;
    let pattern: CronPattern;
    try {
      // utcOffset 0, not timezone "UTC": croner then reads the fields with plain arithmetic.
      walls = new Cron(expression, { utcOffset: 0, mode: "5-or-6-parts", domAndDow: false });
      pattern = new CronPattern(expression, undefined, { mode: "5-or-6-parts", fixedTimeRule: "single-value" });
    } catch (cause) {
      const reason = messageOf(cause).replace(/^CronPattern: /, "");
      throw new TypeError(
        `${where}: 'cron' is not a valid cron expression, got ${describe(expression)} (${reason})`,
        { cause },
      );
    }
    // croner looks up to the year 3000: an expression with no run after 1970 never has one.
    if (walls.nextRun(new Date(0)) === null) {
      throw new RangeError(
        `${where}: 'cron' never matches a date, got ${describe(expression)}`,
      );
    }
    this.expression = expression;
    this.timezone = timezone;
    this.dst = policy;
    this.#walls = walls;
    // The hour field (nicknames expanded; 5 fields have no seconds): a wildcard or step runs on the real clock.
    const fields = pattern.pattern.split(/\s+/);
    const realClock = /[*?/]/.test(fields[fields.length === 5 ? 1 : 2] ?? "*");
    const own = realClock ? undefined : policy;
    this.gap = own?.gap ?? (pattern.isFixedTime ? "shift" : "skip");
    this.repeat = own?.repeat ?? (pattern.isFixedTime ? "first" : "both");
  }

  /**
   * The first tick strictly after an instant. Ticks are whole seconds.
   *
   * @param afterMs an instant in epoch milliseconds
   * @returns the first tick after `afterMs`, in epoch milliseconds
   * @throws {RangeError} if `afterMs` is not a finite number, or if there is no tick after it
   * before the year 3000 (croner's horizon)
   */
  next(afterMs: number): number {
    if (!Number.isFinite(afterMs)) {
      throw new RangeError(`CronSchedule.next(): 'afterMs' must be a finite number, got ${describe(afterMs)}`);
    }
    if (afterMs === this.#last.afterMs) return this.#last.nextMs;
    const zone = this.timezone;
    // Wall times go back when the clocks do: a wall time before afterMs's own may happen again after it.
    const ahead = changeBetween(afterMs, afterMs + DAY_MS, zone);
    const own = afterMs + offsetAt(afterMs, zone);
    const from = ahead !== undefined && ahead.after < ahead.before ? Math.min(own, ahead.at + ahead.after) : own;
    let next = Infinity;
    let until = Infinity;
    for (let wall = this.#wallAfter(from - 1); wall !== undefined && wall < until; wall = this.#wallAfter(wall)) {
      const fire = this.#fires(wallInstants(wall, zone)).find((ms) => ms > afterMs);
      if (fire === undefined || fire >= next) continue;
      next = fire;
      // A later wall time happens before `next` only in a repeat: up to the last wall time before the clocks went back.
      const back = changeBetween(next - DAY_MS, next, zone);
      until = next + offsetAt(next, zone);
      if (back !== undefined && back.after < back.before) until = Math.max(until, back.at + back.before);
    }
    if (next === Infinity) {
      throw new RangeError(
        `CronSchedule.next(): ${describe(this.expression)} in ${this.timezone} has no tick after ${
          new Date(afterMs).toISOString()
        } before the year 3000`,
      );
    }
    this.#last = { afterMs, nextMs: next };
    return next;
  }

  /**
   * The last tick strictly before an instant: the tick whose {@link CronSchedule.next} is the first one at or
   * after `beforeMs`.
   *
   * @param beforeMs an instant in epoch milliseconds
   * @returns the last tick before `beforeMs`, in epoch milliseconds; `undefined` when there is none
   */
  previous(beforeMs: number): number | undefined {
    const zone = this.timezone;
    // Wall times go back when the clocks do: a wall time after beforeMs's own may have happened before it.
    const behind = changeBetween(beforeMs - DAY_MS, beforeMs, zone);
    const own = beforeMs + offsetAt(beforeMs, zone);
    const to = behind !== undefined && behind.after < behind.before ? Math.max(own, behind.at + behind.before) : own;
    let previous = -Infinity;
    let until = -Infinity;
    for (let wall = this.#wallBefore(to + 1); wall !== undefined && wall >= until; wall = this.#wallBefore(wall)) {
      const fire = this.#fires(wallInstants(wall, zone)).findLast((ms) => ms < beforeMs);
      if (fire === undefined || fire <= previous) continue;
      previous = fire;
      // An earlier wall time happens after `previous` only in a repeat: down to the first wall time after the clocks went back.
      const ahead = changeBetween(previous, previous + DAY_MS, zone);
      until = previous + offsetAt(previous, zone);
      if (ahead !== undefined && ahead.after < ahead.before) {
        until = Math.min(until, Math.max(previous, ahead.at) + ahead.after);
      }
    }
    return previous === -Infinity ? undefined : previous;
  }

  /** The instants a matching wall time fires at, in order, by the policy in effect. */
  #fires(when: WallInstants): readonly number[] {
    const { instants, gapEnd } = when;
    if (gapEnd !== undefined) return this.gap === "shift" ? [gapEnd] : [];
    if (instants.length === 1 || this.repeat === "both") return instants;
    return this.repeat === "first" ? instants.slice(0, 1) : instants.slice(1);
  }

  /** The first matching wall time strictly after `wall`; `undefined` past croner's horizon. */
  #wallAfter(wall: number): number | undefined {
    return this.#walls.nextRun(new Date(wall))?.getTime();
  }

  /** The last matching wall time strictly before `wall`; `undefined` when there is none. */
  #wallBefore(wall: number): number | undefined {
    return this.#walls.previousRuns(1, new Date(wall))[0]?.getTime();
  }
}
