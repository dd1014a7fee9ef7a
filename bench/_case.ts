/**
 * What every benchmark case returns.
 *
 * @module
 */

/** One target of a case and whether this run met it. */
export interface Target {
  /** What is compared, e.g. `p99 lag <= 3 ms`. */
  what: string;
  /** The measured value, in the target's unit. */
  value: number;
  met: boolean;
}

/** The numbers of one case, as written to `bench/results/latest.json`. */
export interface CaseResult {
  /** This library's numbers. */
  ours: object;
  /** The baseline's numbers, measured in the same run. */
  baseline: object;
  /** `ours / baseline` of the metric named by `ratioOf`. */
  ratio: number;
  /** Which metric the ratio compares. */
  ratioOf: string;
  /** One line each for ours and the baseline, for the printed table. */
  summary: { ours: string; baseline: string };
  targets: Target[];
}

/** A target that holds when `value <= limit`. */
export function atMost(what: string, value: number, limit: number): Target {
  return { what, value, met: value <= limit };
}

/** A target that holds when `value >= limit`. */
export function atLeast(what: string, value: number, limit: number): Target {
  return { what, value, met: value >= limit };
}
