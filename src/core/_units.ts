import { describe } from "../_describe.ts";

/**
 * A duration in seconds as whole milliseconds, or `undefined` when it is not
 * a finite, positive number of whole milliseconds (0.001 s is the least).
 * Tolerates the float error of decimal seconds (`0.007 * 1000`).
 */
export function wholeMs(seconds: unknown): number | undefined {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return undefined;
  const ms = Math.round(seconds * 1000);
  return ms >= 1 && Math.abs(seconds * 1000 - ms) < 1e-6 ? ms : undefined;
}

/**
 * An optional `Date` argument as epoch ms; `undefined` when not given.
 *
 * @throws {RangeError} naming `name` when it is not a valid Date
 */
export function instantOf(value: unknown, name: string, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new RangeError(`${where}: '${name}' must be a valid Date, got ${describe(value)}`);
  }
  return value.getTime();
}
