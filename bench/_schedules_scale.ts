/**
 * The schedules_scale case's child process: one worker that loads the
 * 100,000 schedules already in the bucket, then fires a sparse schedule
 * among them. Prints, as JSON: the start-up time (from `run()` to the
 * last schedule applied), the heap it grew by per schedule (after GCs),
 * the most sleeps the worker had pending at once, and the sparse
 * schedule's lags; then a 200 ms `Clock` in the same process, holding the
 * same heap, and its lags. Needs `--v8-flags=--expose-gc`.
 *
 *     deno run -A --v8-flags=--expose-gc bench/_schedules_scale.ts <server url> <schedules>
 *
 * @module
 */
import { Schedules, systemTime, type TimeSource } from "../mod.ts";
import {
  scaleEvent,
  SPARSE_AT_MS,
  SPARSE_FIRES,
  SPARSE_PERIOD_MS,
  sparseClockLags,
  sparseEvent,
} from "./_scale_setup.ts";
import { pause, preciseNow, round } from "./_stats.ts";

const [url = "", countText = "0"] = Deno.args;
const COUNT = Number(countText);
const collect = (globalThis as unknown as { gc: () => void }).gc;

/** Who sleeps on the worker's time: its loop, the fleet's heartbeat, or a fire (an attempt's timeout, a retry's pause). */
type Sleeper = "loop" | "fleet" | "fire";
const sleeps = {
  pending: { loop: 0, fleet: 0, fire: 0 },
  most: { loop: 0, fleet: 0, fire: 0, loopAndFleet: 0 },
  total: { loop: 0, fleet: 0, fire: 0 },
};
/** When the loop first slept: every schedule loaded and planned. */
let firstLoopSleep: number | undefined;

/** The system's time, counting the sleeps pending at once by who sleeps. */
const time: TimeSource = {
  now: () => systemTime.now(),
  async sleep(ms, signal) {
    const sleeper = sleeperOf(new Error().stack ?? "");
    if (sleeper === "loop") firstLoopSleep ??= preciseNow();
    const { pending, most, total } = sleeps;
    total[sleeper]++;
    most[sleeper] = Math.max(most[sleeper], ++pending[sleeper]);
    most.loopAndFleet = Math.max(most.loopAndFleet, pending.loop + pending.fleet);
    try {
      await systemTime.sleep(ms, signal);
    } finally {
      pending[sleeper]--;
    }
  },
};

/** The caller of `sleep()`, from the first frame of the stack outside this file. */
function sleeperOf(stack: string): Sleeper {
  const caller = stack.split("\n").slice(1).find((frame) => !frame.includes("_schedules_scale.ts")) ?? "";
  if (caller.includes("_schedule_runner.ts")) return "loop";
  if (caller.includes("_fleet.ts")) return "fleet";
  return "fire";
}

await using schedules = await new Schedules(scaleEvent, sparseEvent).connect({ servers: url });
const heapBefore = heapAfterGc();
const stop = new AbortController();
let applied = 0;
let loaded: () => void = () => {};
const allLoaded = new Promise<void>((resolve) => loaded = resolve);
const lags: number[] = [];
const sparseMissed: string[] = [];
let sparseDone: () => void = () => {};
const sparseOver = new Promise<void>((resolve) => sparseDone = resolve);
const started = preciseNow();
const running = schedules.run({
  signal: stop.signal,
  time,
  onChange: (change) => {
    if (change.kind === "put" && ++applied === COUNT) loaded();
  },
  onTick: (report) => {
    if (report.schedule !== "sparse") return;
    if (report.outcome === "emitted") lags.push(preciseNow() - report.tick.getTime());
    else sparseMissed.push(`${report.tick.toISOString()}: ${report.outcome} (${report.reason})`);
    if (lags.length + sparseMissed.length === SPARSE_FIRES) sparseDone();
  },
});
await allLoaded;
const loadedS = (preciseNow() - started) / 1000;
await pause(500); // every schedule planned; the loop asleep
const startupS = ((firstLoopSleep ?? NaN) - started) / 1000;
const heapLoaded = heapAfterGc();
const sleepsWhileLoading = structuredClone(sleeps);
const rss = Deno.memoryUsage().rss;

// V8 reduces the memory of a process once, about 30 s after it starts: a pause of 25-85 ms with this heap.
// The lags below are measured after it, as the idle case does.
await pause(SPARSE_AT_MS - performance.now());
await schedules.upsert("sparse", { event: sparseEvent, period: SPARSE_PERIOD_MS / 1000, maxTicks: SPARSE_FIRES });
// Bounded: a fire never reported (a bug) shows in `missed`, the case does not wait for it for ever.
await Promise.race([sparseOver, pause(SPARSE_FIRES * SPARSE_PERIOD_MS + 10_000)]);
const unreported = SPARSE_FIRES - lags.length - sparseMissed.length;
if (unreported > 0) sparseMissed.push(`${unreported} fires never reported`);
const clockLags = await sparseClockLags(url, "bench-scale-clock-beside"); // the sparse schedule is over; the worker holds the others still
stop.abort();
await running;
console.log(JSON.stringify({
  schedules: COUNT,
  loadedS: round(loadedS),
  startupS: round(startupS),
  heapBytesPerSchedule: Math.round((heapLoaded - heapBefore) / COUNT),
  heapMiB: round((heapLoaded - heapBefore) / 2 ** 20),
  rssMiB: round(rss / 2 ** 20),
  mostPendingSleepsWhileLoading: sleepsWhileLoading.most,
  mostPendingSleeps: sleeps.most,
  sleeps: sleeps.total,
  sparse: { lags, missed: sparseMissed },
  clockLags,
}));

function heapAfterGc(): number {
  collect();
  collect();
  return Deno.memoryUsage().heapUsed;
}
