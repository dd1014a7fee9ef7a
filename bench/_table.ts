/**
 * The benchmark's results as a text table.
 *
 * @module
 */
import type { CaseResult } from "./_case.ts";

/** One block per case: ours, the baseline, the ratio, and each target with met or MISSED. */
export function formatTable(cases: Record<string, CaseResult>): string {
  const lines: string[] = [];
  for (const [name, result] of Object.entries(cases)) {
    lines.push(name);
    lines.push(`  ours      ${result.summary.ours}`);
    lines.push(`  baseline  ${result.summary.baseline}`);
    lines.push(`  ratio     ${result.ratio} (${result.ratioOf})`);
    for (const target of result.targets) {
      lines.push(`  target    ${target.met ? "met   " : "MISSED"} ${target.what} (${target.value})`);
    }
  }
  return lines.join("\n");
}
