/**
 * Instants and time sources for the tests of examples/: tests/examples_test.ts
 * and the ones in tests/nats/.
 *
 * @module
 */
import assert from "node:assert/strict";
import { systemTime, type TimeSource } from "../mod.ts";

/** The first instant after `afterMs` that is 00:00 on Berlin's wall clock (always 22:00 or 23:00 UTC). */
export function nextBerlinMidnight(afterMs: number): number {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin",
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
  });
  const day = Math.floor(afterMs / 86_400_000) * 86_400_000;
  const candidates = [-1, 0, 1, 2].flatMap((d) => [22, 23].map((h) => day + d * 86_400_000 + h * 3_600_000));
  const midnight = candidates.sort((a, b) => a - b).find((t) => t > afterMs && format.format(t) === "00:00");
  assert.ok(midnight !== undefined);
  return midnight;
}

/**
 * The system's time, shifted so that its first `now()` reads `startMs`; it
 * runs at the real pace from there. However long a test takes to set up
 * before the clock reads the time, the clock starts at `startMs`.
 */
export function startingAt(startMs: number): TimeSource {
  let offsetMs: number | undefined;
  return {
    now: () => {
      const real = systemTime.now();
      offsetMs ??= startMs - real;
      return real + offsetMs;
    },
    sleep: systemTime.sleep,
  };
}
