/**
 * Cron schedules: the ticks of a cron expression in an IANA time zone.
 *
 * croner parses and matches the expression; we don't. Since croner 11, its `nextRun()` handles
 * DST as classic (Vixie) cron does, so this class is a thin wrapper that validates the arguments
 * and turns croner's results into epoch milliseconds:
 * - A fixed-time job (seconds, minute and hour are each a single value, as in `30 2 * * *`)
 *   runs once every local day it matches. If its time falls in a spring-forward gap, it runs at
 *   the first real instant after the gap (02:30 in Europe/Berlin on 2026-03-29 runs at 03:00
 *   CEST): Vixie cron runs the jobs of skipped fixed times immediately after the clock jumps,
 *   and the first instant after the gap is when that is. If its time happens twice (fall back),
 *   it runs on the first occurrence only.
 * - Any other job (a wildcard, range, list or step in the seconds, minute or hour field) runs at
 *   every real instant whose local wall time matches: both 02:30 CEST and 02:30 CET on a
 *   fall-back day, and no 02:30 on a spring-forward day.
 *
 * croner is asked with `fixedTimeRule: "single-value"` so that this split stays pinned.
 * tests/core/cron_schedule_test.ts checks the instants at the 2026 transitions of Europe/Berlin and
 * America/New_York, so a croner release that changes its DST rules fails there.
 *
 * @module
 */

import { Cron } from "croner";
import { describe } from "../_describe.ts";
import { messageOf } from "../errors.ts";
import type { Schedule } from "./schedule.ts";

/** How many of croner's runs back {@link CronSchedule.previous} starts its walk when croner's last run is none of ours. */
const PREVIOUS_RUNS_BACK = 3;

/**
 * Ticks at the instants a cron expression matches in an IANA time zone, with DST handled as
 * classic (Vixie) cron does it (see the module doc).
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
  readonly #cron: Cron;
  /**
   * The last call's argument and answer: a clock or a worker asks for the same tick's next one three times per
   * tick (the tick due, its deadline, the next plan), and croner takes 50-100 µs per answer.
   */
  #last = { afterMs: NaN, nextMs: NaN };

  /**
   * Parses a cron expression.
   *
   * @param expression 5 fields, or 6 with a leading seconds field, or a nickname such as `@daily`
   * @param timezone the IANA time zone whose wall clock the expression is read on
   * @param where how error messages begin: what was being created, e.g. `Cannot create Clock`
   * @throws {TypeError} if `expression` is not a valid cron expression
   * @throws {RangeError} if `timezone` is not a known time zone, or if `expression` never
   * matches a date (`0 0 30 2 *`)
   */
  constructor(expression: string, timezone = "UTC", where = "Cannot create cron schedule") {
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
    let cron: Cron;
    try {
      cron = new Cron(expression, {
        timezone,
        mode: "5-or-6-parts",
        fixedTimeRule: "single-value",
        domAndDow: false,
      });
    } catch (cause) {
      const reason = messageOf(cause).replace(/^CronPattern: /, "");
      throw new TypeError(
        `${where}: 'cron' is not a valid cron expression, got ${describe(expression)} (${reason})`,
        { cause },
      );
    }
    // croner looks up to the year 3000: an expression with no run after 1970 never has one.
    if (cron.nextRun(new Date(0)) === null) {
      throw new RangeError(
        `${where}: 'cron' never matches a date, got ${describe(expression)}`,
      );
    }
    this.expression = expression;
    this.timezone = timezone;
    this.#cron = cron;
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
    const run = this.#cron.nextRun(new Date(afterMs));
    if (run === null) {
      throw new RangeError(
        `CronSchedule.next(): ${describe(this.expression)} in ${this.timezone} has no tick after ${
          new Date(afterMs).toISOString()
        } before the year 3000`,
      );
    }
    this.#last = { afterMs, nextMs: run.getTime() };
    return this.#last.nextMs;
  }

  /**
   * The last tick strictly before an instant. croner's walk backwards gives a start: its last run before the
   * instant when that is a tick `next()` gives too, else (a DST change the two treat differently) its third
   * last; the walk from there forwards uses {@link CronSchedule.next}, so that the answer is always a tick
   * `next()` gives.
   *
   * @param beforeMs an instant in epoch milliseconds
   * @returns the last tick before `beforeMs`, in epoch milliseconds; `undefined` when there is none
   */
  previous(beforeMs: number): number | undefined {
    let previous: number | undefined;
    for (const back of [1, PREVIOUS_RUNS_BACK]) {
      const start = this.#cron.previousRuns(back, new Date(beforeMs)).at(-1)?.getTime();
      if (start === undefined) break;
      const first = this.next(start - 1);
      if (back === 1 && first !== start) continue;
      for (let tick = first; tick < beforeMs; tick = this.next(tick)) previous = tick;
      break;
    }
    return previous;
  }
}
