/** Exactly one message per tick with three clocks in three real processes, one of them stopped (SIGSTOP) across ticks. */
import assert from "node:assert/strict";
import { delay } from "../../src/_async.ts";
import { type ClockProcess, PERIOD_MS, untilPhase } from "./_clocks.ts";
import type { ReportLine } from "./_clock_process.ts";
import { isoTick } from "./_stream.ts";
import { runThreeClocks } from "./_three_clocks.ts";

/** A SIGSTOP of one clock process: from `stoppedMs` (after the stop) to `continuedMs` (before the SIGCONT). */
interface Pause {
  stoppedMs: number;
  continuedMs: number;
}

/**
 * Stops the process 300 ms before a tick (no publish of its in flight), and continues it `afterTickMs`
 * after the first tick that came while it was stopped.
 */
async function pause(clock: ClockProcess, afterTickMs: number): Promise<Pause> {
  await untilPhase(-300, -50);
  clock.child.kill("SIGSTOP");
  const stoppedMs = Date.now();
  await delay(Math.floor(stoppedMs / PERIOD_MS) * PERIOD_MS + PERIOD_MS + afterTickMs - Date.now());
  const continuedMs = Date.now();
  clock.child.kill("SIGCONT");
  return { stoppedMs, continuedMs };
}

Deno.test("a clock paused longer than the duplicate window stores nothing when it resumes", async () => {
  const windowMs = 200;
  const pauses: Pause[] = [];
  const { clocks } = await runThreeClocks("once-paused", { duplicateWindow: windowMs / 1_000 }, async ({ clocks }) => {
    const clock = clocks[0];
    assert.ok(clock !== undefined);
    await delay(5_000);
    // Resumed 500 ms after a tick, more than the duplicate window after the others stored it.
    pauses.push(await pause(clock, 500));
    await delay(5_000);
    // Paused across ticks: resumed 2.2 s after the first tick it slept through.
    pauses.push(await pause(clock, 2_200));
  });
  // runThreeClocks checked the stream: each tick stored once, one `emitted` report per stored tick.
  const [resumed, ...others] = clocks as [ClockProcess, ...ClockProcess[]];
  const byOthers = others.flatMap((clock) => clock.lines).filter((r) => r.outcome === "emitted");
  for (const { stoppedMs, continuedMs } of pauses) {
    const during = (tick: number) => tick > stoppedMs && tick <= continuedMs;
    const ticks = [...new Set(clocks.flatMap((clock) => clock.lines).map((r) => r.tick))].filter(during);
    assert.ok(ticks.length > 0, `no tick came while the clock was stopped (${stoppedMs} to ${continuedMs})`);
    for (const tick of ticks) {
      const own = resumed.lines.filter((r) => r.tick === tick);
      const what = `${isoTick(tick)}, paused ${stoppedMs - tick} to ${continuedMs - tick} ms from it`;
      assert.equal(own.length, 1, `the resumed clock reported ${JSON.stringify(own)} for ${what}`);
      const [report] = own as [ReportLine];
      // A tick another clock stored before this one could run again: found stored, or given up, never stored again.
      const stored = byOthers.find((r) => r.tick === tick && r.tick + r.lagMs < continuedMs);
      if (stored !== undefined) {
        assert.notEqual(report.outcome, "emitted", `the resumed clock stored ${what} a second time`);
      }
      // A tick whose period ended while the clock was stopped: overslept, reported missed.
      if (tick + PERIOD_MS <= continuedMs) {
        assert.deepEqual([report.outcome, report.reason], ["missed", "late"], `the resumed clock's report of ${what}`);
      }
    }
  }
  // The long pause covered two whole periods at least: two ticks overslept.
  const long = pauses[1]!;
  const overslept = resumed.lines.filter((r) => r.tick > long.stoppedMs && r.tick + PERIOD_MS <= long.continuedMs);
  assert.ok(overslept.length >= 2, `the long pause overslept ${JSON.stringify(overslept)}`);
});
