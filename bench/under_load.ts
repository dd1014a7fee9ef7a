/**
 * under_load: tick lag while the process runs CPU-bound work in 100 ms
 * blocks, for a clock on the main thread and for the remedy, a clock in a
 * Worker (`examples/clock_in_worker.ts`).
 *
 * @module
 */
import { busyFor, startClockInWorker } from "../examples/clock_in_worker.ts";
import { Clock, Event, Events, type TickReport } from "../mod.ts";
import { atMost, type CaseResult } from "./_case.ts";
import { preciseNow, round, spreadOf } from "./_stats.ts";
import { describe } from "./tick_lag.ts";

const TICKS = 200;
const PERIOD = 0.05;
const BLOCK_MS = 100;

/** The clock on the main thread, then in a Worker, each for 200 ticks of 50 ms under the same load. */
export async function underLoad(url: string): Promise<CaseResult> {
  const plain = await whileBusy(async (onTick, signal) => {
    const clock = new Clock({ event: new Event("bench-load-plain", Date), period: PERIOD });
    await using conn = await new Events(clock.event).connect({ servers: url });
    await conn.register();
    await clock.run(conn, { onTick: (report) => onTick(report, preciseNow() - report.tick.getTime()), signal });
  });
  const worker = await whileBusy(async (onTick, signal) => {
    const clock = startClockInWorker({ servers: url, event: "bench-load-worker", period: PERIOD }, onTick);
    signal.addEventListener("abort", () => void clock.stop(), { once: true });
    await clock.stopped;
  });
  const ratio = round(worker.spread.p99 / plain.spread.p99);
  return {
    ours: { emitted: TICKS - worker.missed, missed: worker.missed, ...worker.spread },
    baseline: { emitted: TICKS - plain.missed, missed: plain.missed, ...plain.spread },
    ratio,
    ratioOf: "p99 lag, clock in a Worker / clock on the busy thread",
    summary: {
      ours: `in a Worker: ${TICKS - worker.missed} of ${TICKS} emitted, ${worker.missed} missed; ${
        describe(worker.spread)
      }`,
      baseline: `on the busy thread: ${TICKS - plain.missed} of ${TICKS} emitted, ${plain.missed} missed; ` +
        describe(plain.spread),
    },
    targets: [
      atMost("ticks missed in a Worker = 0", worker.missed, 0),
      atMost("p99 lag in a Worker <= 3 ms", worker.spread.p99, 3),
    ],
  };
}

/**
 * Runs `clock` while this thread is busy in 100 ms blocks, until it has
 * reported `TICKS` ticks; the lags of the emitted ones, and how many were missed.
 */
async function whileBusy(
  clock: (onTick: (report: TickReport, preciseLagMs: number) => void, signal: AbortSignal) => Promise<void>,
) {
  const stop = new AbortController();
  const lags: number[] = [];
  let missed = 0;
  const running = clock((report, preciseLagMs) => {
    if (report.outcome === "emitted") lags.push(preciseLagMs);
    else missed++;
    if (lags.length + missed === TICKS) stop.abort();
  }, stop.signal);
  let done = false;
  running.finally(() => done = true);
  while (!done) {
    busyFor(BLOCK_MS);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await running;
  return { spread: spreadOf(lags), missed };
}
