/**
 * schedules_fake_week (issue 18, item 7): a fake week of a schedules worker
 * on `FakeTime` + `MemoryServer`, what a unit test of schedules costs. The
 * worker has 10 schedules, 5 hourly and 5 daily crons; the baseline is 10
 * `Clock`s of the same crons on the same kind of server, over the same
 * week. Each runs in a fresh child process (neither warms the other's code
 * up): the first week there is the cold one a test file pays, then 5 more
 * weeks in the same process; the targets read the median of those.
 *
 * Alone: `deno run -A bench/schedules_fake_week.ts` (writes
 * `bench/results/schedules_fake_week.json`).
 *
 * @module
 */
import { Clock, Event, Events, Schedules } from "../mod.ts";
import { FakeTime, MemoryServer } from "../testing/mod.ts";
import { atMost, type CaseResult } from "./_case.ts";
import { median, round } from "./_stats.ts";

const WEEK_MS = 7 * 24 * 3_600_000;
/** Warm weeks after the first (cold) one. */
const WARM_WEEKS = 5;
const START = "2026-11-30T00:00:00Z";
const CRONS = [
  "0 * * * *",
  "10 * * * *",
  "20 * * * *",
  "30 * * * *",
  "40 * * * *",
  "0 0 * * *",
  "0 6 * * *",
  "30 9 * * *",
  "0 12 * * *",
  "0 18 * * *",
];
/** 5 hourly crons fire 168 times a week, 5 daily ones 7 times. */
const FIRES = 5 * 168 + 5 * 7;

/** What one child process measured. */
interface Weeks {
  /** The first week, ms of wall time. */
  coldMs: number;
  /** The median of the warm weeks, ms of wall time. */
  warmMs: number;
  /** Each warm week, ms of wall time. */
  warmRunsMs: number[];
}

/** Runs the worker's weeks, then the clocks', each in a child process. */
export async function schedulesFakeWeek(): Promise<CaseResult> {
  const ours = await measure("worker");
  const baseline = await measure("clocks");
  const ratio = round(ours.warmMs / baseline.warmMs);
  const describe = (weeks: Weeks) => `${weeks.warmMs} ms a fake week (the first: ${weeks.coldMs} ms)`;
  return {
    ours: { ...ours, schedules: CRONS.length, fires: FIRES },
    baseline,
    ratio,
    ratioOf: "wall time of a fake week, warm median: a worker of 10 schedules / 10 clocks",
    summary: { ours: `worker: ${describe(ours)}`, baseline: `10 clocks: ${describe(baseline)}` },
    targets: [
      atMost("worker's fake week <= 200 ms", ours.warmMs, 200),
      atMost("worker / 10 clocks <= 2", ratio, 2),
    ],
  };
}

async function measure(mode: "worker" | "clocks"): Promise<Weeks> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-read", new URL(import.meta.url).pathname, mode],
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) throw new Error(`bench/schedules_fake_week.ts ${mode} failed: ${decoder.decode(stderr)}`);
  return JSON.parse(decoder.decode(stdout));
}

/** One fake week of the worker; its wall time in ms. */
async function workerWeek(): Promise<number> {
  using time = new FakeTime(START);
  const server = new MemoryServer(time);
  const events = CRONS.map((_, index) => new Event(`reminder-${index}`, Object));
  await using schedules = await new Schedules(...events).connect(server);
  await schedules.register();
  for (const [index, cron] of CRONS.entries()) {
    await schedules.upsert(`s-${index}`, { event: events[index]!, cron, value: { index } });
  }
  const stop = new AbortController();
  let fires = 0;
  const startedMs = performance.now();
  const worker = schedules.run({ signal: stop.signal, onTick: () => void fires++ });
  await time.tickAsync(WEEK_MS);
  stop.abort();
  await worker;
  const tookMs = performance.now() - startedMs;
  return checked(fires, tookMs);
}

/** One fake week of the clocks; its wall time in ms. */
async function clocksWeek(): Promise<number> {
  using time = new FakeTime(START);
  const server = new MemoryServer(time);
  const clocks = CRONS.map((cron, index) => new Clock({ event: new Event(`tick-${index}`, Date), cron }));
  await using events = await new Events(...clocks.map((clock) => clock.event)).connect(server);
  await events.register();
  const stop = new AbortController();
  let fires = 0;
  const startedMs = performance.now();
  const running = clocks.map((clock) => clock.run(events, { signal: stop.signal, onTick: () => void fires++ }));
  await time.tickAsync(WEEK_MS);
  stop.abort();
  await Promise.all(running);
  const tookMs = performance.now() - startedMs;
  return checked(fires, tookMs);
}

/** `tookMs`, once the week fired what it should: a fast week that fired nothing measures nothing. */
function checked(fires: number, tookMs: number): number {
  if (fires !== FIRES) throw new Error(`a fake week fired ${fires} times, not ${FIRES}`);
  return round(tookMs);
}

if (import.meta.main) {
  const mode = Deno.args[0];
  if (mode === "worker" || mode === "clocks") {
    const week = mode === "worker" ? workerWeek : clocksWeek;
    const coldMs = await week();
    const warmRunsMs: number[] = [];
    for (let index = 0; index < WARM_WEEKS; index++) warmRunsMs.push(await week());
    console.log(JSON.stringify({ coldMs, warmMs: median(warmRunsMs), warmRunsMs } satisfies Weeks));
  } else {
    const loadavgBefore = Deno.loadavg();
    const result = await schedulesFakeWeek();
    const env = { at: new Date().toISOString(), loadavgBefore, loadavgAfter: Deno.loadavg() };
    const text = JSON.stringify({ ...result, env }, null, 2) + "\n";
    await Deno.writeTextFile(new URL("./results/schedules_fake_week.json", import.meta.url), text);
    console.log(text);
  }
}
