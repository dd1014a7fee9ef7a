import { NOT_BEFORE_HEADER, validateMeta } from "./_headers.ts";
import type { EmitOptions } from "./events_connection.ts";

/**
 * Checks the options of an emit and turns them into the message's id and
 * headers: the meta, and `delay` or `at` (from `nowMs`) as the
 * `Walnats-Not-Before` header.
 *
 * @throws {TypeError} when `uid` or `meta` is not usable, or both `delay` and `at` are given
 * @throws {RangeError} when `delay` or `at` is not a valid time
 */
export function emitHeaders(
  options: EmitOptions,
  nowMs: number,
): { uid: string | undefined; headers: Record<string, string> } {
  const { uid, meta = {} } = options;
  if (uid !== undefined && (typeof uid !== "string" || uid === "")) {
    throw new TypeError(`Cannot emit: 'uid' must be a non-empty string, got ${JSON.stringify(uid)}`);
  }
  const headers = { ...validateMeta(meta, "Cannot emit") };
  const notBefore = notBeforeOf(options, nowMs);
  if (notBefore !== undefined) headers[NOT_BEFORE_HEADER] = String(notBefore);
  return { uid, headers };
}

/** The epoch ms of `delay` or `at`, if either is given. */
function notBeforeOf({ delay, at }: EmitOptions, nowMs: number): number | undefined {
  if (delay !== undefined && at !== undefined) {
    throw new TypeError("Cannot emit: give either 'delay' or 'at', not both");
  }
  if (delay !== undefined) {
    if (typeof delay !== "number" || !(delay >= 0) || !Number.isFinite(delay)) {
      throw new RangeError(`Cannot emit: 'delay' must be a number of seconds >= 0, got ${JSON.stringify(delay)}`);
    }
    return nowMs + Math.round(delay * 1000);
  }
  if (at !== undefined) {
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      throw new RangeError(`Cannot emit: 'at' must be a valid Date, got ${String(at)}`);
    }
    return at.getTime();
  }
  return undefined;
}
