import { describe } from "../_describe.ts";
import { NOT_BEFORE_HEADER, validateMeta } from "./_headers.ts";
import { messageOf } from "../errors.ts";
import { Event } from "./event.ts";
import type { EmitOptions } from "./events_connection.ts";
import type { Payload, Schema } from "./serializer.ts";

/**
 * Checks the event of an emit and encodes the value with its schema.
 *
 * @throws {TypeError} when `event` is not an Event, or the value does not fit its schema
 */
export function emitPayload<S extends Schema>(event: Event<S>, value: Payload<S>): Uint8Array {
  if (!(event instanceof Event)) {
    throw new TypeError(`Cannot emit: 'event' must be an Event, got ${describe(event)}`);
  }
  try {
    return event.encode(value);
  } catch (cause) {
    throw new TypeError(
      `Cannot emit '${event.name}': 'value' does not fit the event's schema, got ${describe(value)} (${
        messageOf(cause)
      })`,
      { cause },
    );
  }
}

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
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot emit: 'options' must be an object, got ${describe(options)}`);
  }
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
