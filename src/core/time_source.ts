/**
 * How long before the end of a system sleep its timer fires. Timers fire
 * 0.1–3 ms late (measured on loopback test machines); the rest of the
 * sleep is waited out by turns of the event loop, which end within a few
 * microseconds of the instant.
 */
const EARLY_WAKE_MS = 2;

/**
 * Where a clock reads the time and waits: the system's clock in production,
 * a fake one in tests (see `FakeTime` in `@walnats/clock/testing`).
 *
 * @example A time source that runs 500 ms ahead of the system's
 * ```ts
 * import { systemTime, type TimeSource } from "@walnats/clock";
 *
 * const ahead: TimeSource = {
 *   now: () => systemTime.now() + 500,
 *   sleep: (ms, signal) => systemTime.sleep(ms, signal),
 * };
 * ```
 */
export interface TimeSource {
  /** The current instant, in milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds of this source's time; rejects with the
   * signal's reason when it aborts first.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The system's clock: `Date.now()`, and sleeps that end on time. A sleep
 * sets a timer to fire 2 ms before its end, then lets the event loop turn
 * (other work runs meanwhile) until `Date.now()` reaches the end: it never
 * resolves early, and is rarely more than a few microseconds late, where a
 * bare `setTimeout` is 1–3 ms late. That last stretch costs up to 2 ms of
 * CPU time per sleep.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemTime } from "@walnats/clock";
 *
 * const before = systemTime.now();
 * await systemTime.sleep(5);
 * assert.ok(systemTime.now() >= before + 5);
 * ```
 */
export const systemTime: TimeSource = {
  now: () => Date.now(),
  sleep: sleepOnTime,
};

/**
 * Waits until `Date.now()` has moved `ms` on. Should the system time be
 * stepped back meanwhile, it ends after `ms` (plus 1) of monotonic time
 * instead of waiting out the step: the caller reads the time again.
 */
function sleepOnTime(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const sleep: Sleep = { end: Date.now() + ms, latest: performance.now() + ms + 1, resolve, signal, onAbort };
    function onAbort() {
      clearTimeout(sleep.timer);
      finishing.delete(sleep);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    if (ms > EARLY_WAKE_MS) sleep.timer = setTimeout(() => finishOnTime(sleep), ms - EARLY_WAKE_MS);
    else finishOnTime(sleep);
  });
}

/** A sleep of {@link systemTime}. */
interface Sleep {
  /** When it ends, by `Date.now()`. */
  end: number;
  /** When it ends at the latest, by `performance.now()`. */
  latest: number;
  resolve: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  /** The timer of its first stretch. */
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The sleeps in their last stretch: one loop of event-loop turns (one
 * `setImmediate` each) serves them all, however many clocks wait for the
 * same instant.
 */
const finishing = new Set<Sleep>();

/** Lets the event loop turn until the sleep's end. */
function finishOnTime(sleep: Sleep): void {
  finishing.add(sleep);
  if (finishing.size === 1) setImmediate(turn);
}

/** One turn of the loop: ends the sleeps that are due, and comes back while any is left. */
function turn(): void {
  const now = Date.now();
  const monotonic = performance.now();
  for (const sleep of finishing) {
    if (now < sleep.end && monotonic < sleep.latest) continue;
    finishing.delete(sleep);
    sleep.signal?.removeEventListener("abort", sleep.onAbort);
    sleep.resolve();
  }
  if (finishing.size > 0) setImmediate(turn);
}
