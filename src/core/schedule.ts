/**
 * The schedule core: pure functions of a schedule and an instant in epoch
 * milliseconds. No timers, no I/O, no `Date.now()`.
 */

/** When a clock ticks: the instants it emits, in epoch milliseconds. */
export interface Schedule {
  /** The first tick strictly after `afterMs`. */
  next(afterMs: number): number;
  /** The last tick strictly before `beforeMs`; `undefined` when it has none. */
  previous(beforeMs: number): number | undefined;
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

  /** The last tick strictly before `beforeMs`. */
  previous(beforeMs: number): number {
    return (Math.ceil(beforeMs / this.periodMs) - 1) * this.periodMs;
  }
}

/**
 * The id of a tick, the same on every clock: `<event name>:<tick epoch ms>`.
 * It is the message's `Nats-Msg-Id`.
 */
export function tickId(event: string, tickMs: number): string {
  return `${event}:${tickMs}`;
}

/**
 * A schedule within `startAt` and `stopAt`: the ticks a clock emits. Its
 * `next()` has no tick past `stopAt`; `deadline()` is the instant a tick is
 * given up, the schedule's next tick after it, whether past `stopAt` or not.
 */
export class BoundedSchedule {
  readonly #schedule: Schedule;
  readonly #startMs: number;
  readonly #stopMs: number;

  /**
   * @param schedule the unbounded schedule
   * @param startMs no tick before this instant (`-Infinity`: none)
   * @param stopMs no tick after this instant (`Infinity`: none)
   */
  constructor(schedule: Schedule, startMs = -Infinity, stopMs = Infinity) {
    this.#schedule = schedule;
    this.#startMs = startMs;
    this.#stopMs = stopMs;
  }

  /** The first tick strictly after `afterMs` within the bounds; `undefined` when `stopAt` comes first. */
  next(afterMs: number): number | undefined {
    const tick = this.#schedule.next(Math.max(afterMs, this.#startMs - 1));
    return tick > this.#stopMs ? undefined : tick;
  }

  /** The last tick strictly before `beforeMs` within the bounds; `undefined` when `startAt` comes first. */
  previous(beforeMs: number): number | undefined {
    const tick = this.#schedule.previous(Math.min(beforeMs, this.#stopMs + 1));
    return tick === undefined || tick < this.#startMs ? undefined : tick;
  }

  /**
   * The ticks strictly after `afterMs` within the bounds, in order, until `stopAt`: the one walk over a
   * schedule's ticks (a cron schedule can have no end; stop taking when you have what you need).
   */
  *ticks(afterMs: number): Generator<number, void, undefined> {
    for (let tick = this.next(afterMs); tick !== undefined; tick = this.next(tick)) yield tick;
  }

  /** The period of a periodic schedule, in milliseconds; `undefined` for any other. */
  get periodMs(): number | undefined {
    return this.#schedule instanceof PeriodSchedule ? this.#schedule.periodMs : undefined;
  }

  /** When the tick `tickMs` is given up: the schedule's next tick after it. */
  deadline(tickMs: number): number {
    return this.#schedule.next(tickMs);
  }
}

/** What is due when a clock that planned to wake for one tick reads the time. */
export interface DueTicks {
  /** The ticks whose window closed before the clock woke (it overslept them), oldest first. */
  readonly overslept: readonly number[];
  /** The tick to emit: the latest tick due. */
  readonly current: number;
  /** When `current` is given up: the next tick of the schedule. */
  readonly deadline: number;
}

/**
 * The ticks due at `nowMs` for a clock that slept until `planned` (a tick of
 * `schedule`, at or before `nowMs`): the latest due tick is emitted, the
 * ones before it were overslept.
 */
export function dueTicks(schedule: BoundedSchedule, planned: number, nowMs: number): DueTicks {
  const overslept: number[] = [];
  let current = planned;
  for (const due of schedule.ticks(planned)) {
    if (due > nowMs) break;
    overslept.push(current);
    current = due;
  }
  return { overslept, current, deadline: schedule.deadline(current) };
}

/**
 * The ticks a clock catches up before `currentMs` when the ledger's last
 * tick is `lastMs`: the ticks strictly between the two, at most `max` of
 * them (the most recent), oldest first. None when nothing was ever emitted.
 */
export function catchUpTicks(
  schedule: BoundedSchedule,
  lastMs: number | undefined,
  currentMs: number,
  max: number,
): number[] {
  const missed: number[] = [];
  if (lastMs === undefined || max <= 0) return missed;
  // A periodic schedule starts the walk `max` ticks back: a 1 ms period idle for a month has billions of ticks.
  const periodMs = schedule.periodMs;
  const from = periodMs === undefined ? lastMs : Math.max(lastMs, currentMs - (max + 1) * periodMs);
  for (const tick of schedule.ticks(from)) {
    if (tick >= currentMs) break;
    missed.push(tick);
    if (missed.length > max) missed.shift();
  }
  return missed;
}

/**
 * Where a worker plans a schedule from after a live upsert: the upsert itself when its first tick is due and
 * still in its window (the change reached the worker a little after that tick), so that the tick is fired,
 * not skipped; else `nowMs`. (A tick already stored under the previous spec is a duplicate.)
 */
export function planFrom(schedule: BoundedSchedule, upsertMs: number, nowMs: number): number {
  const first = schedule.next(upsertMs);
  return first !== undefined && first <= nowMs && schedule.deadline(first) > nowMs ? upsertMs : nowMs;
}

/**
 * Where a worker plans a schedule it gains from (the instant its next tick comes after): its latest tick in
 * (`sinceMs`, `nowMs`], which the former owner may have dropped, goes out at once, within its window; the
 * ticks before that one were the former owner's to fire or report. Its next tick after `nowMs` when it has
 * none there.
 */
export function gainedFrom(schedule: BoundedSchedule, sinceMs: number, nowMs: number): number {
  const periodMs = schedule.periodMs;
  const from = periodMs === undefined ? sinceMs : Math.max(sinceMs, nowMs - periodMs);
  let beforeLatest = from;
  let latest: number | undefined;
  for (const tick of schedule.ticks(from)) {
    if (tick > nowMs) break;
    if (latest !== undefined) beforeLatest = latest;
    latest = tick;
  }
  return beforeLatest;
}
