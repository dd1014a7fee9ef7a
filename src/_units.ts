/**
 * A duration in seconds as whole milliseconds, or `undefined` when it is not
 * a finite, positive number of whole milliseconds (0.001 s is the least).
 * Tolerates the float error of decimal seconds (`0.007 * 1000`).
 */
export function wholeMs(seconds: unknown): number | undefined {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return undefined;
  const ms = Math.round(seconds * 1000);
  return ms >= 1 && Math.abs(seconds * 1000 - ms) < 1e-6 ? ms : undefined;
}
