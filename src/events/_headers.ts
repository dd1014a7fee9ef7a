import { describe } from "../_describe.ts";
import type { BoundedSchedule } from "../core/schedule.ts";

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED = /^((nats|walnats)-|(traceparent|tracestate)$)/i;

/**
 * Checks user meta headers: names are header tokens (no spaces, no `:`), not
 * reserved (`Nats-*`, `Walnats-*`, and the trace context's `traceparent` and
 * `tracestate`); values are strings without line breaks.
 * Returns a frozen copy.
 */
export function validateMeta(
  meta: Record<string, string> | undefined,
  where: string,
): Readonly<Record<string, string>> {
  if (meta === undefined) return Object.freeze({});
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
    throw new TypeError(`${where}: 'meta' must be an object of header names to strings, got ${describe(meta)}`);
  }
  for (const [name, value] of Object.entries(meta)) {
    if (!HEADER_NAME.test(name)) {
      throw new TypeError(`${where}: 'meta' header name must be a token without spaces or ':', got '${name}'`);
    }
    if (RESERVED.test(name)) {
      throw new TypeError(
        `${where}: 'meta' header name must not start with 'Nats-' or 'Walnats-', nor be 'traceparent' or ` +
          `'tracestate', got '${name}'`,
      );
    }
    if (typeof value !== "string" || /[\r\n]/.test(value)) {
      throw new TypeError(
        `${where}: 'meta' value of '${name}' must be a string without line breaks, got ${describe(value)}`,
      );
    }
  }
  return Object.freeze({ ...meta });
}

/** The header that carries a tick's (or a fire's) scheduled instant in epoch milliseconds. */
export const TICK_HEADER = "Walnats-Tick";
/** The header of the tick before a tick (or a fire) on its schedule, epoch ms; absent when it has none. */
export const PREVIOUS_TICK_HEADER = "Walnats-Previous-Tick";
/** The header of the tick after a tick (or a fire) on its schedule, epoch ms; absent when it has none. */
export const NEXT_TICK_HEADER = "Walnats-Next-Tick";
/**
 * The header of a fire of a schedule with `pauseOnFailure`: where its record is and the revision that fired,
 * `<bucket>/<key>/<revision>` (e.g. `walnats-schedules/user-42/17`), for the actor that gives the fire up to
 * pause it (`src/events/_pause_request.ts`).
 */
export const PAUSE_ON_FAILURE_HEADER = "Walnats-Pause-On-Failure";
/** The header that names the clock run (or the schedules worker) that stored a tick. */
export const CLOCK_HEADER = "Walnats-Clock";
/** The header, `true`, of a tick emitted late, when a clock caught up after an outage (or a backfilled fire). */
export const LATE_HEADER = "Walnats-Late";
/** The header naming the schedule a fire belongs to. */
export const SCHEDULE_HEADER = "Walnats-Schedule";
/** The header of a delayed event: the epoch ms before which no actor handles it. */
export const NOT_BEFORE_HEADER = "Walnats-Not-Before";
/**
 * Python walnats' header of a delayed event: the epoch seconds (a float, e.g.
 * `1796342400.25`) before which no actor handles it. Our emits never send it;
 * our actors honour it.
 */
export const DELAY_HEADER = "Walnats-Delay";
/** W3C Trace Context's header of the span that sent a message: `00-<trace id>-<span id>-<flags>`. */
export const TRACEPARENT_HEADER = "traceparent";
/** W3C Trace Context's vendor entries of the span that sent a message; absent when it has none. */
export const TRACESTATE_HEADER = "tracestate";
/**
 * Python walnats' header of the trace a message belongs to: the same W3C `traceparent` text, which its
 * OpenTelemetry middleware reads. Our messages carry both; our actors read `traceparent` first.
 */
export const TRACE_HEADER = "Walnats-Trace";

/**
 * Where an instant stands on its schedule: the schedule's tick before it and its tick after it, within the
 * schedule's bounds (`startAt`, `stopAt`, the last of `maxTicks`), as {@link PREVIOUS_TICK_HEADER} and
 * {@link NEXT_TICK_HEADER}; a header is left out when there is no such tick.
 */
export function neighbourHeaders(schedule: BoundedSchedule, instantMs: number): Record<string, string> {
  const previous = schedule.previous(instantMs);
  const next = schedule.next(instantMs);
  return {
    ...(previous === undefined ? {} : { [PREVIOUS_TICK_HEADER]: String(previous) }),
    ...(next === undefined ? {} : { [NEXT_TICK_HEADER]: String(next) }),
  };
}
