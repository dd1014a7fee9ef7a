/**
 * The public types of schedules as data that more than one module of `src/schedules/` uses: a schedule's
 * options, and what a worker's `run()` tells. The connection (`schedules_connection.ts`) holds the others.
 *
 * @module
 */
import type { TickReport } from "../clock/tick_report.ts";
import type { DstPolicy } from "../core/dst_policy.ts";
import type { Event } from "../events/event.ts";
import type { Payload, Schema } from "../events/serializer.ts";

/** The options of a schedule: see `SchedulesConnection.upsert()`. */
export interface ScheduleOptions<S extends Schema = Schema> {
  /** The event every fire is a message of; one of the events given to `Schedules`. */
  event: Event<S>;
  /** Seconds between fires (ms resolution), at the instants `k * period` since the epoch. One of `period`, `cron`, `at`. */
  period?: number;
  /** A cron expression (5 fields, or 6 with seconds first). One of `period`, `cron`, `at`. */
  cron?: string;
  /** The IANA time zone of `cron`, default `UTC`. */
  timezone?: string;
  /**
   * What `cron` does across a DST change, for the hours it names: `gap` (`shift` or `skip`) and `repeat`
   * (`first`, `last` or `both`); each left out keeps classic cron's rule. Only with `cron` (a policy: the
   * record is version 2).
   */
  dst?: DstPolicy;
  /** One fire at this instant, which must not be past. One of `period`, `cron`, `at`. */
  at?: Date;
  /** The payload of every fire; not for a `Date` event, whose payload is the fire's instant. */
  value?: Payload<S>;
  /** No fire before this instant. */
  startAt?: Date;
  /** No fire after this instant. */
  stopAt?: Date;
  /** The schedule ends after this many ticks, counted from `startAt` or from the upsert (missed ones count). */
  maxTicks?: number;
  /** After an outage or a pause, fire up to this many of the most recent missed ticks, late. Default 0. */
  catchUp?: number;
  /**
   * Seconds (ms resolution) each fire may go out after its tick, to spread schedules due at the same instant:
   * the fire of each tick goes out at its tick plus an offset in `[0, jitter)`, the same on every worker (a hash
   * of the id and the tick), always before the next tick (a cron's offset is capped below the gap to its next
   * tick). The fire keeps its tick (`Walnats-Tick`, its id). Below `period`; below 60 s for `at`. Default 0: none.
   */
  jitter?: number;
  /**
   * When an actor gives up a fire of the schedule (its attempts exhausted, or a payload it cannot decode), it
   * pauses the schedule, with a note naming the actor, the attempts and the error (`describe`, `list`), unless
   * the schedule was changed since that fire. The fire carries the request (`Walnats-Pause-On-Failure`); the
   * actor's credentials must be able to write the schedules' bucket (else it reports `pause-failure`).
   * Default false.
   */
  pauseOnFailure?: boolean;
  /**
   * Headers of every fire, copied verbatim. Names must not start with `Nats-` or `Walnats-`, nor be `traceparent` or
   * `tracestate` (the trace context's).
   */
  meta?: Record<string, string>;
}

/** The outcome of one fire a worker attempted: a clock's {@link TickReport} and the schedule's id. */
export interface FireReport extends TickReport {
  /** The schedule's id. */
  schedule: string;
}

/**
 * A resource a worker needs, found missing or made again, as `run({ onResource })` tells it.
 *
 * - `missing`: the schedules' bucket (`resource`: `KV_walnats-schedules`) was deleted while the worker
 *   watched it; `error` is a `WalnatsError` `STREAM_NOT_FOUND` naming it. The worker fires nothing (it cannot
 *   know which schedules still stand) and says so every second until `register()` makes the bucket again,
 *   which it then reads from its start. It is the user's: the worker does not make it (an empty bucket would
 *   read as every schedule deleted).
 * - `recreated`: the fleet's bucket (`resource`: `KV_walnats-workers`), the library's own, was found deleted
 *   at a beat and made again.
 */
export type ResourceReport =
  | { readonly type: "missing"; readonly resource: string; readonly error: unknown }
  | { readonly type: "recreated"; readonly resource: string };

/** A change a worker applied, as `run({ onChange })` tells it. */
export interface AppliedChange {
  /** The schedule's id. */
  readonly id: string;
  /**
   * `put`: created, changed, paused or resumed; `delete`: deleted; `refused`: stored in a form this worker
   * cannot read (a newer version's record, with a policy it does not know, or not a schedule record): it
   * never fires the schedule, until a change it can read; see `reason`.
   */
  readonly kind: "put" | "delete" | "refused";
  /** The store's revision of the schedule after the change; 0 for a delete. */
  readonly revision: number;
  /** Why a `refused` change was: the record's version, or the fields this worker does not know. */
  readonly reason?: string;
}
