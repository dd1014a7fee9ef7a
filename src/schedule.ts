/**
 * The schedule core: pure functions of a schedule and an instant in epoch
 * milliseconds. No timers, no I/O, no `Date.now()`.
 */

/** When a clock ticks: the instants it emits, in epoch milliseconds. */
export interface Schedule {
  /** The first tick strictly after `afterMs`. */
  next(afterMs: number): number;
}

/**
 * Ticks every `periodMs` milliseconds, at the instants `k * periodMs` since
 * the Unix epoch (UTC), so that every clock everywhere agrees on them.
 */
export class PeriodSchedule implements Schedule {
  /** The period in milliseconds, a whole number >= 1. */
  readonly periodMs: number;

  /** @param periodMs the period in milliseconds, a whole number >= 1 */
  constructor(periodMs: number) {
    this.periodMs = periodMs;
  }

  /** The first tick strictly after `afterMs`. */
  next(afterMs: number): number {
    return (Math.floor(afterMs / this.periodMs) + 1) * this.periodMs;
  }
}

/**
 * The id of a tick, the same on every clock: `<event name>:<tick epoch ms>`.
 * It is the message's `Nats-Msg-Id`.
 */
export function tickId(event: string, tickMs: number): string {
  return `${event}:${tickMs}`;
}
