import { describe } from "./_describe.ts";
import { validateMeta } from "./_headers.ts";
import { isAbort } from "./_async.ts";
import { wholeMs } from "./_units.ts";
import { Event } from "./event.ts";
import type { Publisher, PublishResult, TickMessage } from "./publisher.ts";
import { PeriodSchedule, type Schedule } from "./schedule.ts";
import { tickMessage } from "./tick.ts";
import { systemTime, type TimeSource } from "./time_source.ts";

/** Longest single sleep: after it the clock reads the time again. */
const MAX_SLEEP_MS = 30_000;
/** Longest wait for one publish attempt's answer. */
const ATTEMPT_TIMEOUT_MS = 1_000;
/** Pauses between failed publish attempts: 50 ms, doubling, at most 1 s. */
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 1_000;
/** The shortest message age a clock's event may have: the server's smallest duplicate window. */
const MIN_AGE_S = 0.1;
/** The smallest duplicate window a clock gives its event: the server's default. */
const MIN_DUPLICATE_WINDOW_S = 120;

/** Options of a {@link Clock}. */
export interface ClockOptions {
  /** The event the clock emits; its schema must be `Date`. Default: `minute-passed`. */
  event?: Event<DateConstructor>;
  /**
   * Seconds between ticks (ms resolution), default 60. Ticks fall on the
   * instants `k * period` since the Unix epoch, UTC.
   */
  period?: number;
  /** Headers added to every tick, copied verbatim. Names must not start with `Nats-` or `Walnats-`. */
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
  /** Where the clock reads the time and sleeps. Default: {@link systemTime}. */
  time?: TimeSource;
}

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
  /** The event the clock emits. */
  readonly event: Event<DateConstructor>;
  /** Seconds between ticks. */
  readonly period: number;
  /** Headers added to every tick. */
  readonly meta: Readonly<Record<string, string>>;
  readonly #schedule: Schedule;

  /**
   * Creates a clock; nothing runs until {@link Clock.run}.
   *
   * @param options the event, the period in seconds and the meta headers
   * @throws {TypeError} when the event is not a Date event or meta is not usable
   * @throws {RangeError} when the period is not a positive whole number of milliseconds,
   *   or the event keeps its messages for less than one period
   */
  constructor(options: ClockOptions = {}) {
    const { event = new Event("minute-passed", Date), period = 60 } = options;
    if (!(event instanceof Event) || event.schema !== Date) {
      throw new TypeError(`Cannot create Clock: 'event' must be an Event with the Date schema, got ${describe(event)}`);
    }
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
    this.meta = validateMeta(options.meta, "Cannot create Clock");
    this.period = period;
    this.event = withDuplicateWindow(event, period);
    this.#schedule = new PeriodSchedule(periodMs);
  }

  /**
   * Emits a tick at every instant of the schedule until `signal` aborts (or
   * once, with `burst`). A publish that fails or hangs is tried again, in
   * attempts of at most 1 s, until it is acknowledged or the next tick is
   * due; then the tick is given up and reported as missed.
   *
   * @param publisher where ticks go: the connection of `Events.connect()`
   * @param options signal, burst, onTick, time
   * @returns when stopped, or after one tick with `burst`
   */
  async run(publisher: Publisher, options: RunOptions = {}): Promise<void> {
    const { signal, burst = false, onTick = () => {}, time = systemTime } = options;
    const clockId = crypto.randomUUID();
    let planned = this.#schedule.next(time.now());
    while (!signal?.aborted) {
      let now: number;
      try {
        now = await sleepUntil(time, planned, signal);
      } catch (error) {
        if (isAbort(error, signal)) return;
        throw error;
      }
      const current = this.#schedule.latest(now);
      for (let overslept = planned; overslept < current; overslept = this.#schedule.next(overslept)) {
        onTick(this.#report(overslept, now, { outcome: "missed", reason: "late", attempts: 0 }));
      }
      const message = tickMessage(this.event, current, clockId, this.meta);
      onTick(await this.#emit(publisher, message, this.#schedule.next(current), time, signal));
      if (burst) return;
      planned = this.#schedule.next(current);
    }
  }

  async #emit(
    publisher: Publisher,
    message: TickMessage,
    deadline: number,
    time: TimeSource,
    signal: AbortSignal | undefined,
  ): Promise<TickReport> {
    let attempts = 0;
    let error: unknown;
    for (let now = time.now(); now < deadline; now = time.now()) {
      attempts++;
      try {
        const timeoutMs = Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, deadline - now));
        const { seq, duplicate } = await publishOnce(publisher, message, timeoutMs, time);
        const outcome = duplicate ? "duplicate" : "emitted";
        return this.#report(message.tickMs, time.now(), seq > 0 ? { outcome, attempts, seq } : { outcome, attempts });
      } catch (failure) {
        error = failure;
      }
      const remainingMs = deadline - time.now();
      if (remainingMs <= 0) break;
      const pauseMs = Math.min(RETRY_BASE_MS * 2 ** (attempts - 1), RETRY_MAX_MS, remainingMs);
      try {
        if (signal?.aborted) throw signal.reason;
        await time.sleep(pauseMs, signal);
      } catch (failure) {
        if (!isAbort(failure, signal)) throw failure;
        return this.#report(message.tickMs, time.now(), { outcome: "missed", reason: "stopped", attempts, error });
      }
    }
    return this.#report(message.tickMs, time.now(), { outcome: "missed", reason: "unacknowledged", attempts, error });
  }

  #report(
    tickMs: number,
    nowMs: number,
    details: Pick<TickReport, "outcome" | "attempts" | "seq" | "reason" | "error">,
  ): TickReport {
    return { event: this.event.name, tick: new Date(tickMs), lagMs: nowMs - tickMs, ...details };
  }
}

/**
 * One publish attempt, given up after `timeoutMs` of the time source's time
 * even when the publisher does not keep to its own timeout.
 */
async function publishOnce(
  publisher: Publisher,
  message: TickMessage,
  timeoutMs: number,
  time: TimeSource,
): Promise<PublishResult> {
  const published = publisher.publishTick(message, { timeoutMs });
  const timer = new AbortController();
  const timedOut = time.sleep(timeoutMs, timer.signal).then(() => {
    throw new Error(`Tick '${message.msgId}' got no answer within ${timeoutMs} ms`);
  });
  try {
    return await Promise.race([published, timedOut]);
  } finally {
    timer.abort();
  }
}

/** Sleeps in chunks of at most 30 s until `instant`, reading the time after each; returns the time read last. */
async function sleepUntil(time: TimeSource, instant: number, signal: AbortSignal | undefined): Promise<number> {
  for (let now = time.now();; now = time.now()) {
    if (now >= instant) return now;
    await time.sleep(Math.min(instant - now, MAX_SLEEP_MS), signal);
  }
}

/**
 * The clock's event, with a duplicate window of one period (2 minutes at
 * least, at most the event's age) unless the event sets its own.
 */
function withDuplicateWindow(event: Event<DateConstructor>, period: number): Event<DateConstructor> {
  if (event.limits.duplicateWindow !== undefined) return event;
  const duplicateWindow = Math.min(Math.max(period, MIN_DUPLICATE_WINDOW_S), event.limits.age ?? Infinity);
  const options = event.description === undefined ? {} : { description: event.description };
  return new Event(event.name, Date, { ...options, limits: { ...event.limits, duplicateWindow } });
}
