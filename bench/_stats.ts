/**
 * Measuring helpers shared by the benchmark cases.
 *
 * @module
 */

/**
 * The current instant in epoch milliseconds, with sub-millisecond
 * resolution: the process's start plus monotonic time. It drifts from
 * `Date.now()` by up to about 0.1 ms over a run: whether a tick was early
 * is judged by `Date.now()`.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The spread of a sample, in its unit (milliseconds for lags). */
export interface Spread {
  n: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

/** min, p50, p99 (nearest rank) and max of `samples`, rounded to microseconds. */
export function spreadOf(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
  return { n: sorted.length, min: round(rank(0)), p50: round(rank(0.5)), p99: round(rank(0.99)), max: round(rank(1)) };
}

/** The median of `samples`. */
export function median(samples: readonly number[]): number {
  return spreadOf(samples).p50;
}

/** `value` rounded to 3 decimals. */
export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Sleeps on a plain timer: for the benchmark's own pauses, not for what it measures. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
