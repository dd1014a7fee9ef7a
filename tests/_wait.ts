/**
 * The one way tests wait for something to happen: check a condition, let
 * time pass, check again. The bound is a safety stop so that a broken test
 * ends with a message saying what it waited for, never an assertion of
 * speed: keep it generous.
 *
 * @module
 */
import { delay } from "../src/_async.ts";

/** The default safety stop, in milliseconds of the waiting time. */
export const WAIT_TIMEOUT_MS = 30_000;

/** How often a wait checks again, in milliseconds of the waiting time. */
const POLL_MS = 10;

/** The time a wait passes: real time by default; a fake clock's for tests on fake time. */
export interface WaitTime {
  /** The current instant, in milliseconds. */
  now(): number;
  /** Lets `ms` milliseconds pass. */
  pass(ms: number): Promise<void>;
}

/** Real time: `performance.now()` and timers. */
export const realTime: WaitTime = { now: () => performance.now(), pass: (ms) => delay(ms) };

/** Fake time that a wait advances itself, such as `FakeTime` of `@walnats/clock/testing`. */
export function fakeTime(time: { now(): number; tickAsync(ms: number): Promise<unknown> }): WaitTime {
  return { now: () => time.now(), pass: async (ms) => void await time.tickAsync(ms) };
}

/** What a wait is for, and how long it may last. */
export interface WaitOptions {
  /** What the test waits for, as the error names it: "10 handled messages". */
  what: string;
  /** The safety stop, in milliseconds of `time`; default {@link WAIT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Whose time passes; default {@link realTime}. */
  time?: WaitTime;
  /** What the test saw so far, added to the error (called only when the bound passed). */
  details?: () => string;
}

/**
 * Resolves once `condition()` holds, checked now and then every 10 ms of
 * `time`; rejects naming `what` once `timeoutMs` passed first. An error
 * thrown by `condition()` ends the wait with that error.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  options: WaitOptions,
): Promise<void> {
  const { what, timeoutMs = WAIT_TIMEOUT_MS, time = realTime, details } = options;
  const started = time.now();
  while (!(await condition())) {
    if (time.now() - started >= timeoutMs) {
      const seen = details === undefined ? "" : `\n${details()}`;
      throw new Error(`Still waiting after ${timeoutMs} ms for ${what}${seen}`);
    }
    await time.pass(POLL_MS);
  }
}

/**
 * Waits (as {@link waitUntil} does) for `promise` to settle, and returns its
 * value or throws its error.
 */
export async function settled<T>(promise: Promise<T>, options: WaitOptions): Promise<T> {
  let done = false;
  const result = promise.finally(() => done = true);
  result.catch(() => {}); // the error is thrown below, once the wait is over
  await waitUntil(() => done, options);
  return await result;
}
