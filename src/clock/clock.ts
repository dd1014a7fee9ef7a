import { describe } from "../_describe.ts";
import { validateMeta } from "../events/_headers.ts";
import { isAbort } from "../_async.ts";
import { emitDue, type TickSource } from "./_emit_due.ts";
import type { TickReport } from "./tick_report.ts";
import { CronSchedule } from "../core/cron_schedule.ts";
import type { DstPolicy } from "../core/dst_policy.ts";
import { instantOf, wholeMs } from "../core/_units.ts";
import { DEFAULT_DUPLICATE_WINDOW_S, Event } from "../events/event.ts";
import type { Publisher } from "../events/publisher.ts";
import { BoundedSchedule, dueTicks, PeriodSchedule } from "../core/schedule.ts";
import { tickMessage } from "../events/tick.ts";
import { systemTime, type TimeSource } from "../core/time_source.ts";

/** Longest single sleep: after it the clock reads the time again. */
const MAX_SLEEP_MS = 30_000;
/** The shortest message age a clock's event may have: the server's smallest duplicate window. */
const MIN_AGE_S = 0.1;

/** Options of a {@link Clock}. */
export interface ClockOptions {
  /** The event the clock emits; its schema must be `Date`. Default: `minute-passed`. */
  event?: Event<DateConstructor>;
  /**
   * Seconds between ticks (ms resolution), default 60. Ticks fall on the
   * instants `k * period` since the Unix epoch, UTC. Not with `cron`.
   */
  period?: number;
  /**
   * A cron expression: 5 fields, or 6 with seconds first; `L`, `W`, `#`,
   * ranges, steps, names and nicknames such as `@daily`. Not with `period`.
   */
  cron?: string;
  /** The IANA time zone of `cron`, default `UTC`. */
  timezone?: string;
  /**
   * What `cron` does across a DST change, for the hours it names: `gap` (`shift` or `skip`) and `repeat`
   * (`first`, `last` or `both`); each left out keeps classic cron's rule. Only with `cron`.
   */
  dst?: DstPolicy;
  /**
   * After an outage (no clock of the event running), emit up to this many of
   * the most recent missed ticks, oldest first, each with its own instant and
   * id and a `Walnats-Late: true` header. Default 0: missed ticks are skipped.
   */
  catchUp?: number;
  /** No tick before this instant. */
  startAt?: Date;
  /** No tick after this instant; `run()` returns once it has passed. */
  stopAt?: Date;
  /** `run()` returns after this many scheduled ticks (catch-up ticks do not count). */
  maxTicks?: number;
  /**
   * Headers added to every tick, copied verbatim. Names must not start with `Nats-` or `Walnats-`, nor be `traceparent` or
   * `tracestate` (the trace context's).
   */
  meta?: Record<string, string>;
}

/** Options of {@link Clock.run}. */
export interface RunOptions {
  /** Stops the clock; `run()` then resolves once the publish attempt in flight (at most 1 s) is over. */
  signal?: AbortSignal;
  /** Emit one tick, the next, and return. */
  burst?: boolean;
  /** Called with the outcome of every tick. An exception thrown here stops the clock and rejects `run()`. */
  onTick?: (report: TickReport) => void;
  /** Where the clock reads the time and sleeps. Default: the publisher's `time`, else {@link systemTime}. */
  time?: TimeSource;
}

/**
 * A worker that emits an event at every tick of its schedule. Run as many
 * clocks of the same event as you like, in as many processes: each tick is
 * stored in the event's stream exactly once.
 *
 * The payload of each tick is its scheduled instant (not the time the clock
 * woke), so handlers can be idempotent on it.
 *
 * @example Emit one 5-minute tick against an in-memory stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { Clock, Event } from "@walnats/clock";
 * import { FakeTime, MemoryPublisher } from "@walnats/clock/testing";
 *
 * const clock = new Clock({ event: new Event("5m-passed", Date), period: 5 * 60 });
 * using time = new FakeTime("2026-11-26T16:14:00Z");
 * const stream = new MemoryPublisher();
 * const done = clock.run(stream, { burst: true, time });
 * await time.tickAsync(60_000);
 * await done;
 * assert.equal(stream.messages[0]?.msgId, "5m-passed:1795709700000");
 * ```
 */
export class Clock {
  /**
   * The event the clock emits: register this one, not the event you gave.
   * Unless the given event sets `limits.duplicateWindow`, it is a copy with a
   * duplicate window of one period (a cron clock counts as period 0), at
   * least the server's default of 2 minutes and at most the event's
   * `limits.age`; an event that sets its own window is used as it is. The
   * tick ledger keeps ticks exactly once with any window: a window of one
   * period only lets concurrent attempts at a tick be dropped by the server
   * before the ledger is read.
   */
  readonly event: Event<DateConstructor>;
  /** Seconds between ticks, or `undefined` for a cron clock. */
  readonly period: number | undefined;
  /** The cron expression, or `undefined` for a periodic clock. */
  readonly cron: string | undefined;
  /** The time zone of the cron expression. */
  readonly timezone: string;
  /** The cron's DST policy as given; `undefined` for none (classic cron's rules) and for a periodic clock. */
  readonly dst: DstPolicy | undefined;
  /** How many missed ticks the clock emits late after an outage. */
  readonly catchUp: number;
  /** Headers added to every tick. */
  readonly meta: Readonly<Record<string, string>>;
  readonly #schedule: BoundedSchedule;
  readonly #maxTicks: number;

  /**
   * Creates a clock; nothing runs until {@link Clock.run}.
   *
   * @param options the event, the schedule (`period` or `cron` and `timezone`), its bounds, catch-up and meta
   * @throws {TypeError} when the event is not a Date event, meta is not usable, both `period` and `cron`
   *   are given, or the cron expression is invalid
   * @throws {RangeError} when the period is not a positive whole number of milliseconds, the event keeps
   *   its messages for less than one period, the time zone is unknown, the cron expression never fires,
   *   `catchUp` or `maxTicks` is not a whole number (>= 0, >= 1), `stopAt` is before `startAt`, or `dst`
   *   is given without `cron` or names an unknown choice
   */
  constructor(options: ClockOptions = {}) {
    const { event = new Event("minute-passed", Date), cron, timezone, catchUp = 0, maxTicks = Infinity } = options;
    if (!(event instanceof Event) || event.schema !== Date) {
      throw new TypeError(`Cannot create Clock: 'event' must be an Event with the Date schema, got ${describe(event)}`);
    }
    if (cron !== undefined && options.period !== undefined) {
      throw new TypeError("Cannot create Clock: give either 'period' or 'cron', not both");
    }
    if (timezone !== undefined && cron === undefined) {
      throw new TypeError(`Cannot create Clock: 'timezone' goes with 'cron', got timezone ${describe(timezone)} alone`);
    }
    if (options.dst !== undefined && cron === undefined) {
      throw new RangeError(
        `Cannot create Clock: 'dst' goes with 'cron', got dst ${describe(options.dst)} with a period`,
      );
    }
    if (!(Number.isSafeInteger(catchUp) && catchUp >= 0)) {
      throw new RangeError(`Cannot create Clock: 'catchUp' must be a whole number >= 0, got ${describe(catchUp)}`);
    }
    if (!(maxTicks === Infinity || Number.isSafeInteger(maxTicks) && maxTicks >= 1)) {
      throw new RangeError(`Cannot create Clock: 'maxTicks' must be a whole number >= 1, got ${describe(maxTicks)}`);
    }
    const startMs = instantOf(options.startAt, "startAt", "Cannot create Clock") ?? -Infinity;
    const stopMs = instantOf(options.stopAt, "stopAt", "Cannot create Clock") ?? Infinity;
    if (stopMs < startMs) {
      throw new RangeError(
        `Cannot create Clock: 'stopAt' (${options.stopAt?.toISOString()}) is before 'startAt' (${options.startAt?.toISOString()})`,
      );
    }
    this.meta = validateMeta(options.meta, "Cannot create Clock");
    const period = options.period === undefined ? 60 : options.period;
    const schedule = cron === undefined
      ? periodSchedule(period, event)
      : new CronSchedule(cron, timezone, "Cannot create Clock", options.dst);
    this.period = cron === undefined ? period : undefined;
    this.#schedule = new BoundedSchedule(schedule, startMs, stopMs);
    this.event = withDuplicateWindow(event, this.period ?? 0);
    this.cron = cron;
    this.timezone = timezone ?? "UTC";
    this.dst = schedule instanceof CronSchedule ? schedule.dst : undefined;
    this.catchUp = catchUp;
    this.#maxTicks = maxTicks;
  }

  /**
   * The next `count` ticks strictly after `from`, within `startAt` and
   * `stopAt`: a preview of the schedule.
   *
   * @example The next three ticks of a Berlin cron clock
   * ```ts
   * import assert from "node:assert/strict";
   * import { Clock } from "@walnats/clock";
   *
   * const nightly = new Clock({ cron: "30 2 * * *", timezone: "Europe/Berlin" });
   * const ticks = nightly.nextTicks(3, new Date("2026-03-28T12:00:00Z"));
   * assert.deepEqual(ticks.map((tick) => tick.toISOString()), [
   *   "2026-03-29T01:00:00.000Z", // 02:30 does not exist that day: just after the gap, 03:00 CEST
   *   "2026-03-30T00:30:00.000Z",
   *   "2026-03-31T00:30:00.000Z",
   * ]);
   * ```
   *
   * @param count how many ticks, a whole number >= 1
   * @param from the instant to start after, default now
   * @returns the instants, fewer than `count` when `stopAt` comes first
   * @throws {RangeError} when `count` is not a whole number >= 1 or `from` is not a valid date
   */
  nextTicks(count: number, from: Date = new Date()): Date[] {
    if (!(Number.isSafeInteger(count) && count >= 1)) {
      throw new RangeError(`Cannot preview ticks: 'count' must be a whole number >= 1, got ${describe(count)}`);
    }
    const fromMs = instantOf(from, "from", "Cannot preview ticks");
    const ticks: Date[] = [];
    for (const tick of this.#schedule.ticks(fromMs ?? NaN)) {
      if (ticks.push(new Date(tick)) === count) break;
    }
    return ticks;
  }

  /**
   * Emits a tick at every instant of the schedule until `signal` aborts (or
   * once, with `burst`; or until `stopAt` or `maxTicks`). A publish that
   * fails or hangs is tried again, in attempts of at most 1 s, until it is
   * acknowledged or the next tick is due; then the tick is given up and
   * reported as missed. With `catchUp`, the clock reads the tick ledger when
   * it starts and after a missed tick, and emits the most recent ticks that
   * no clock emitted first.
   *
   * @param publisher where ticks go: the connection of `Events.connect()`
   * @param options signal, burst, onTick, time
   * @returns when stopped, after one tick with `burst`, or when the schedule is over
   */
  async run(publisher: Publisher, options: RunOptions = {}): Promise<void> {
    const { signal, burst = false, onTick = () => {}, time = publisher.time ?? systemTime } = options;
    const clockId = crypto.randomUUID();
    const source: TickSource = {
      event: this.event.name,
      schedule: this.#schedule,
      catchUp: this.catchUp,
      ledger: this.event,
      emptyLedgerTick: undefined,
      message: (tickMs, late) => tickMessage(this.event, tickMs, clockId, this.meta, late, this.#schedule),
    };
    // Whether ticks may have gone out unseen by this clock (it just started, or missed one): catch-up reads the ledger.
    let catchUpPending = this.catchUp > 0;
    let handled = 0;
    for (let planned = this.#schedule.next(time.now()); planned !== undefined && !signal?.aborted;) {
      let now: number;
      try {
        now = await sleepUntil(time, planned, signal);
      } catch (error) {
        if (isAbort(error, signal)) return;
        throw error;
      }
      const due = dueTicks(this.#schedule, planned, now);
      const emitted = await emitDue(source, due, catchUpPending, now, { publisher, time, signal, onTick });
      catchUpPending = this.catchUp > 0 && !emitted;
      handled++;
      if (burst || handled >= this.#maxTicks) return;
      planned = this.#schedule.next(due.current);
    }
  }
}

/** Sleeps in chunks of at most 30 s until `instant`, reading the time after each; returns the time read last. */
async function sleepUntil(time: TimeSource, instant: number, signal: AbortSignal | undefined): Promise<number> {
  for (let now = time.now();; now = time.now()) {
    if (now >= instant) return now;
    await time.sleep(Math.min(instant - now, MAX_SLEEP_MS), signal);
  }
}

/** The schedule of a periodic clock, after checking that its event keeps the last tick for one period. */
function periodSchedule(period: number, event: Event<DateConstructor>): PeriodSchedule {
  const periodMs = wholeMs(period);
  if (periodMs === undefined) {
    throw new RangeError(
      `Cannot create Clock: 'period' must be a positive number of seconds in whole milliseconds, got ${
        describe(period)
      }`,
    );
  }
  const age = event.limits.age;
  if (age !== undefined && age < Math.max(period, MIN_AGE_S)) {
    throw new RangeError(
      `Cannot create Clock: event '${event.name}' keeps messages for ${age} s ('limits.age'), ` +
        `less than the period ${period} s (or ${MIN_AGE_S} s); the clock finds the last tick in the stream`,
    );
  }
  return new PeriodSchedule(periodMs);
}

/**
 * The clock's event (see {@link Clock.event}): unless the event sets its own
 * duplicate window, a copy with a window of one period, at least the
 * server's default and at most the event's age.
 */
function withDuplicateWindow(event: Event<DateConstructor>, period: number): Event<DateConstructor> {
  if (event.limits.duplicateWindow !== undefined) return event;
  const duplicateWindow = Math.min(Math.max(period, DEFAULT_DUPLICATE_WINDOW_S), event.limits.age ?? Infinity);
  const options = event.description === undefined ? {} : { description: event.description };
  return new Event(event.name, Date, { ...options, limits: { ...event.limits, duplicateWindow } });
}
