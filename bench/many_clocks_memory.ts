/**
 * many_clocks_memory: heap and RSS per clock for 10,000 clocks in one
 * process (in-memory publisher, no server), each in a fresh child process,
 * next to 10,000 bare async loops around one timer each.
 *
 * @module
 */
import { atMost, type CaseResult } from "./_case.ts";
import { round } from "./_stats.ts";

interface PerClock {
  heapBytesPerClock: number;
  rssBytesPerClock: number;
}

/** Runs the child process for the clocks, then for the bare loops. */
export async function manyClocksMemory(): Promise<CaseResult> {
  const ours = await measure("clocks");
  const baseline = await measure("loops");
  const ratio = round(ours.heapBytesPerClock / baseline.heapBytesPerClock);
  const describe = (numbers: PerClock) =>
    `${numbers.heapBytesPerClock} B heap, ${numbers.rssBytesPerClock} B RSS per clock`;
  return {
    ours,
    baseline,
    ratio,
    ratioOf: "heap per clock, clocks / bare timer loops",
    summary: { ours: describe(ours), baseline: `bare timer loops: ${describe(baseline)}` },
    targets: [atMost("heap per clock <= 2048 B", ours.heapBytesPerClock, 2048)],
  };
}

async function measure(mode: "clocks" | "loops"): Promise<PerClock> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-read", "--v8-flags=--expose-gc", "bench/_many_clocks.ts", mode],
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) throw new Error(`bench/_many_clocks.ts ${mode} failed: ${decoder.decode(stderr)}`);
  return JSON.parse(decoder.decode(stdout));
}
