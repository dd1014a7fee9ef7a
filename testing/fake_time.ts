// @ts-types="@types/sinonjs__fake-timers"
import FakeTimers from "@sinonjs/fake-timers";
import { delay, type Timers } from "../src/_async.ts";
import { describe } from "../src/_describe.ts";
import type { TimeSource } from "../src/core/time_source.ts";

/** The globals `install: true` replaces. */
const INSTALLED_GLOBALS: FakeTimers.FakeMethod[] = [
  "Date",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
];

/** Options of a {@link FakeTime}. */
export interface FakeTimeOptions {
  /**
   * Also replace the global `Date`, `setTimeout`, `setInterval` and their
   * `clear` functions until the FakeTime is disposed, so that code under
   * test that reads `new Date()` sees fake time. A real NATS connection does
   * not work meanwhile. Default false: nothing global is touched.
   */
  install?: boolean;
}

/**
 * Fake time for tests: a {@link TimeSource} that only moves when the test
 * moves it, built on `@sinonjs/fake-timers`. By default no global is
 * patched (a real NATS connection in the same test keeps real timers); pass
 * it to `Clock.run({ time })` or to a `MemoryServer`.
 *
 * Misuse fails loudly: moving time backwards with `tick()` is a
 * `RangeError`, installing a second FakeTime on the globals is an `Error`,
 * and disposing it while a clock or actor still sleeps on it rejects their
 * sleeps and throws, so a test that forgot to stop a clock fails instead of
 * hanging.
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
  /** Restores the globals, when they were faked. */
  readonly #uninstall: (() => void) | undefined;
  /** The sleeps whose timers have not fired yet, and how to reject them. */
  readonly #sleeping = new Map<FakeTimers.NodeTimer, (error: unknown) => void>();
  /** The clock's timers, noting which sleeps are pending. */
  readonly #timers: Timers<FakeTimers.NodeTimer> = {
    setTimeout: (callback, ms, fail) => {
      const id = this.#clock.setTimeout(() => {
        this.#sleeping.delete(id);
        callback();
      }, ms);
      this.#sleeping.set(id, fail);
      return id;
    },
    clearTimeout: (id) => {
      this.#sleeping.delete(id);
      this.#clock.clearTimeout(id);
    },
  };

  /**
   * Creates fake time standing still at `start` until the test moves it.
   *
   * @param start the starting instant: epoch ms, a Date or an ISO 8601 string; default 0
   * @param options `install`: also fake the global `Date` and timers
   * @throws {RangeError} when `start` is not a valid instant
   * @throws {Error} with `install`, when fake timers are installed on the globals already
   */
  constructor(start: number | string | Date = 0, options: FakeTimeOptions = {}) {
    const now = toEpochMs(start, "Cannot create FakeTime: 'start'");
    if (options.install !== true) {
      // Deno provides Node's timer API, so fake-timers hands out Node-style timers.
      this.#clock = FakeTimers.createClock(now) as FakeTimers.NodeClock;
      this.#uninstall = undefined;
      return;
    }
    try {
      const installed = FakeTimers.withGlobal(globalThis).install({ now, toFake: INSTALLED_GLOBALS });
      this.#clock = installed as unknown as FakeTimers.NodeClock;
      this.#uninstall = () => installed.uninstall();
    } catch (error) {
      throw new Error(
        "Cannot create FakeTime with install: fake timers are installed on the globals already; " +
          "dispose the other FakeTime first (`using` does it at the end of its block)",
        { cause: error },
      );
    }
  }

  /** The fake instant, in epoch milliseconds. */
  now(): number {
    return this.#clock.now;
  }

  /**
   * Resolves when fake time has moved `ms` further; rejects with the signal's
   * reason when it aborts first, or with an error when the FakeTime is
   * disposed first.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return delay(ms, signal, this.#timers);
  }

  /**
   * Moves time `ms` forward, firing due timers synchronously.
   *
   * @throws {RangeError} when `ms` is negative or not finite
   */
  tick(ms: number): void {
    this.#clock.tick(forward(ms, "tick"));
  }

  /**
   * Moves time `ms` forward, letting promises settle between timers.
   *
   * @throws {RangeError} when `ms` is negative or not finite
   */
  async tickAsync(ms: number): Promise<void> {
    await this.#clock.tickAsync(forward(ms, "tickAsync"));
  }

  /** Moves time to the next timer and fires it, letting promises settle. */
  async nextAsync(): Promise<void> {
    await this.#clock.nextAsync();
  }

  /** Fires timers until none is left, letting promises settle. */
  async runAllAsync(): Promise<void> {
    await this.#clock.runAllAsync();
  }

  /**
   * Moves time to the next timer and fires it.
   *
   * @deprecated Use {@link FakeTime.nextAsync}; `next()` goes in the next release.
   */
  next(): Promise<void> {
    return this.nextAsync();
  }

  /**
   * Fires timers until none is left.
   *
   * @deprecated Use {@link FakeTime.runAllAsync}; `runAll()` goes in the next release.
   */
  runAll(): Promise<void> {
    return this.runAllAsync();
  }

  /**
   * Sets the instant without firing timers, like a system clock stepped by
   * NTP or by hand: forwards or backwards.
   *
   * @throws {RangeError} when `instant` is not a valid instant
   */
  setTime(instant: number | string | Date): void {
    this.#clock.setSystemTime(toEpochMs(instant, "Cannot set FakeTime: 'instant'"));
  }

  /**
   * Clears every pending timer, restores the globals when installed, and
   * moves time back to the start.
   *
   * @throws {Error} when sleeps were still pending (a clock or an actor not
   *   stopped): they are rejected with the same error
   */
  [Symbol.dispose](): void {
    const leaked = [...this.#sleeping.values()];
    this.#sleeping.clear();
    if (this.#uninstall) this.#uninstall();
    else this.#clock.reset();
    if (leaked.length === 0) return;
    const error = new Error(
      `FakeTime was disposed while ${leaked.length} sleep(s) on it were pending: a clock or an actor still runs. ` +
        "Stop it before the test ends: abort its signal and await it",
    );
    for (const fail of leaked) fail(error);
    throw error;
  }
}

/** Checks a forward move of time. */
function forward(ms: number, method: string): number {
  if (typeof ms !== "number" || !(ms >= 0) || !Number.isFinite(ms)) {
    throw new RangeError(
      `Cannot ${method} FakeTime: 'ms' must be a number of milliseconds >= 0, got ${describe(ms)} ` +
        "(time only moves forward; setTime() steps the wall clock)",
    );
  }
  return ms;
}

function toEpochMs(instant: number | string | Date, what: string): number {
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === "string" ? Date.parse(instant) : instant;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new RangeError(`${what} must be a valid instant, got ${describe(instant)}`);
  }
  return ms;
}
