// @ts-types="@types/sinonjs__fake-timers"
import FakeTimers from "@sinonjs/fake-timers";
import { delay } from "../src/_async.ts";
import type { TimeSource } from "../src/time_source.ts";

/**
 * Fake time for tests: a {@link TimeSource} that only moves when the test
 * moves it, built on `@sinonjs/fake-timers` (`createClock`: no global is
 * patched, so a real NATS connection in the same test keeps real timers).
 *
 * @example Move time by hand
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeTime } from "@walnats/clock/testing";
 *
 * using time = new FakeTime("2026-03-29T00:59:00Z");
 * let woke = false;
 * const sleeping = time.sleep(60_000).then(() => woke = true);
 * await time.tickAsync(60_000);
 * await sleeping;
 * assert.ok(woke);
 * assert.equal(time.now(), Date.parse("2026-03-29T01:00:00Z"));
 * ```
 */
export class FakeTime implements TimeSource, Disposable {
  readonly #clock: FakeTimers.NodeClock;

  /**
   * Creates fake time standing still at `start` until the test moves it.
   *
   * @param start the starting instant: epoch ms, a Date or an ISO 8601 string; default 0
   * @throws {RangeError} when `start` is not a valid instant
   */
  constructor(start: number | string | Date = 0) {
    // Deno provides Node's timer API, so fake-timers hands out Node-style timers.
    this.#clock = FakeTimers.createClock(toEpochMs(start, "Cannot create FakeTime: 'start'")) as FakeTimers.NodeClock;
  }

  /** The fake instant, in epoch milliseconds. */
  now(): number {
    return this.#clock.now;
  }

  /**
   * Resolves when fake time has moved `ms` further; rejects with the signal's
   * reason when it aborts first.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return delay(ms, signal, this.#clock);
  }

  /** Moves time `ms` forward, firing due timers synchronously. */
  tick(ms: number): void {
    this.#clock.tick(ms);
  }

  /** Moves time `ms` forward, letting promises settle between timers. */
  async tickAsync(ms: number): Promise<void> {
    await this.#clock.tickAsync(ms);
  }

  /** Moves time to the next timer and fires it, letting promises settle. */
  async next(): Promise<void> {
    await this.#clock.nextAsync();
  }

  /** Fires timers until none is left, letting promises settle. */
  async runAll(): Promise<void> {
    await this.#clock.runAllAsync();
  }

  /** Sets the instant without firing timers, like a stepped system clock. */
  setTime(instant: number | string | Date): void {
    this.#clock.setSystemTime(toEpochMs(instant, "Cannot set FakeTime: 'instant'"));
  }

  /** Clears every pending fake timer and moves time back to the start. */
  [Symbol.dispose](): void {
    this.#clock.reset();
  }
}

function toEpochMs(instant: number | string | Date, what: string): number {
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === "string" ? Date.parse(instant) : instant;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new RangeError(`${what} must be a valid instant, got ${String(instant)}`);
  }
  return ms;
}
