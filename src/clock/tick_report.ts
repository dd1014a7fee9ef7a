/**
 * What a clock tells of each tick: {@link TickReport}. Its own module, so that the clock loop and the code it
 * runs (`_emit_due.ts`) both import it, and neither imports the other back.
 *
 * @module
 */

/** Why a tick was missed. */
export type MissedReason =
  /** The clock woke after the tick's window had closed: the process was paused, the machine suspended or the system time stepped forward. */
  | "late"
  /** No attempt was acknowledged before the next tick was due; `error` holds the last failure. */
  | "unacknowledged"
  /** The clock was stopped while it was emitting the tick. */
  | "stopped";

/** The outcome of one tick, as a clock saw it. */
export interface TickReport {
  /** The event's name. */
  event: string;
  /** The scheduled instant: the tick's payload. */
  tick: Date;
  /**
   * `emitted`: this clock stored the tick. `duplicate`: the stream already had
   * this tick or a later one (another clock emitted it). `missed`: this clock
   * did not get it acknowledged; see `reason`.
   */
  outcome: "emitted" | "duplicate" | "missed";
  /** Milliseconds from the scheduled instant to the stream's answer (or to giving up). */
  lagMs: number;
  /** The tick's stream sequence, when known. */
  seq?: number;
  /** How many publish attempts were made. */
  attempts: number;
  /** Why the tick was missed. */
  reason?: MissedReason;
  /** The last error of a missed tick, if any. */
  error?: unknown;
  /** True for a tick emitted late, to catch up after an outage. */
  late?: boolean;
}
