/**
 * What a cron does across a daylight saving time change: the wall times that fall in a gap (spring
 * forward) and those that happen twice (fall back). See {@link DstPolicy}.
 *
 * @module
 */
import { describe } from "../_describe.ts";

/** What a wall time that does not happen (in a spring-forward gap) fires as: see {@link DstPolicy.gap}. */
export type DstGap = "shift" | "skip";
/** Which occurrences of a wall time that happens twice (fall back) fire: see {@link DstPolicy.repeat}. */
export type DstRepeat = "first" | "last" | "both";

/**
 * A cron's daylight saving time policy, for the wall times its hour field names (a single hour, a list or a
 * range: `2`, `2,14`, `1-3`). A cron whose hour field is a wildcard or a step (`*`, `*\/2`, `@hourly`) keeps
 * firing at every real matching instant whatever its policy says: its fires keep their real spacing, so no
 * wall time of it falls in a gap or repeats. Each field left out keeps the classic (Vixie) cron rule: a
 * fixed-time cron (single second, minute and hour) `shift`s and fires the `first`, any other `skip`s and
 * fires `both`.
 *
 * @example 02:30 every night in Berlin, never on the spring-forward day, at the second 02:30 in the fall
 * ```ts
 * import type { DstPolicy } from "@walnats/clock";
 *
 * const dst: DstPolicy = { gap: "skip", repeat: "last" };
 * console.log({ cron: "30 2 * * *", timezone: "Europe/Berlin", dst });
 * ```
 */
export interface DstPolicy {
  /**
   * A wall time the cron names that does not happen that day (02:30 when the clocks jump from 02:00 to 03:00):
   * `shift` fires once at the first instant after the gap (03:00; several wall times inside one gap fire
   * once), `skip` does not fire for it that day.
   */
  gap?: DstGap;
  /**
   * A wall time the cron names that happens twice (02:30 when the clocks go back from 03:00 to 02:00):
   * `first` fires at its first occurrence, `last` at its second, `both` at each.
   */
  repeat?: DstRepeat;
}

/** The `gap` choices, in the order the docs give them. */
export const DST_GAPS: readonly DstGap[] = ["shift", "skip"];
/** The `repeat` choices, in the order the docs give them. */
export const DST_REPEATS: readonly DstRepeat[] = ["first", "last", "both"];

/**
 * Checks a `dst` option: an object with `gap` and/or `repeat` of the known choices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDst } from "./dst_policy.ts";
 *
 * assert.deepEqual(checkDst({ gap: "skip" }, "Cannot create Clock"), { gap: "skip" });
 * assert.throws(() => checkDst({ gap: "later" }, "Cannot create Clock"), RangeError);
 * ```
 *
 * @param dst the option as given
 * @param where how error messages begin, e.g. `Cannot create Clock`
 * @returns the policy with only the fields given; `undefined` when none is given (`undefined` or `{}`)
 * @throws {TypeError} when `dst` is not an object
 * @throws {RangeError} when it has a field other than `gap` and `repeat`, or a value not among their choices
 */
export function checkDst(dst: unknown, where: string): DstPolicy | undefined {
  if (dst === undefined) return undefined;
  if (typeof dst !== "object" || dst === null || Array.isArray(dst)) {
    throw new TypeError(`${where}: 'dst' must be an object with 'gap' and/or 'repeat', got ${describe(dst)}`);
  }
  const unknown = Object.keys(dst).filter((field) => field !== "gap" && field !== "repeat");
  if (unknown.length > 0) {
    throw new RangeError(`${where}: 'dst' has 'gap' and 'repeat' only, got ${describe(dst)}`);
  }
  const { gap, repeat } = dst as Record<string, unknown>;
  if (gap !== undefined && !DST_GAPS.includes(gap as DstGap)) {
    throw new RangeError(`${where}: 'dst.gap' must be ${choices(DST_GAPS)}, got ${describe(gap)}`);
  }
  if (repeat !== undefined && !DST_REPEATS.includes(repeat as DstRepeat)) {
    throw new RangeError(`${where}: 'dst.repeat' must be ${choices(DST_REPEATS)}, got ${describe(repeat)}`);
  }
  if (gap === undefined && repeat === undefined) return undefined;
  return {
    ...(gap === undefined ? {} : { gap: gap as DstGap }),
    ...(repeat === undefined ? {} : { repeat }),
  } as DstPolicy;
}

/** `'a', 'b' or 'c'`. */
function choices(values: readonly string[]): string {
  const quoted = values.map((value) => `'${value}'`);
  return `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}
