import { delay } from "./_async.ts";

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
 * The system's clock: `Date.now()` and timers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemTime } from "@walnats/clock";
 *
 * const before = systemTime.now();
 * await systemTime.sleep(1);
 * assert.ok(systemTime.now() >= before);
 * ```
 */
export const systemTime: TimeSource = {
  now: () => Date.now(),
  sleep: delay,
};
