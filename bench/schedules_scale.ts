/**
 * schedules_scale: schedules as data at scale, each figure next to a
 * baseline measured in the same run.
 *
 * - 100,000 schedules from 100 distinct specs in one worker (a child
 *   process with `--expose-gc`): heap per schedule, start-up from `run()`
 *   to the last schedule applied, and the most sleeps pending at once.
 *   Baseline: the same heap for 10,000 clocks (many_clocks_memory's 3 KiB)
 *   is not re-measured; the target is 1 KiB per schedule.
 * - A sparse 200 ms schedule among them: lag from the scheduled instant to
 *   the ack, 150 fires, 45 s after the child's start (past V8's one-time
 *   memory reduction). Baselines: a 200 ms `Clock`, 150 ticks, in this
 *   process in the same window (the same instants, a process of its own:
 *   the target's), in this process at the end (a small heap), and in the
 *   child after the sparse schedule, beside the worker and its 100,000
 *   schedules.
 * - A burst: 10,000 schedules of one 5 s period, all due at the same
 *   instants (the first fire reads each schedule's ledger; then three
 *   steady ones, their median). Baseline: 10,000 pipelined `js.publish` with msgIDs to subjects
 *   of the same kind in the same stream, median of 3; and the same publishes each expecting its
 *   subject empty (the ledger's check, which every fire pays).
 *
 * - The fleet: 3 worker processes and 30,000 schedules of periods 10 to 19
 *   s; over 30 s once they have settled, the fires stored per second (and
 *   those of the window not stored), and publish attempts per stored fire,
 *   from the workers' reports.
 *
 * `deno run -A bench/schedules_scale.ts` runs it alone on a throwaway server.
 *
 * @module
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { runAlone } from "./_alone.ts";
import { Schedules } from "../mod.ts";
import { fireSubject } from "../src/schedules/_fire.ts";
import { dialOrAdopt } from "../src/nats/connect.ts";
import { connectNatsSchedules } from "../src/nats/schedule_store.ts";
import { atLeast, atMost, type CaseResult } from "./_case.ts";
import {
  burstEvent,
  fleetEvent,
  removeRecords,
  scaleEvents,
  scaleSpec,
  SPARSE_AT_MS,
  sparseClockLags,
  writeRecords,
} from "./_scale_setup.ts";
import { median, pause, preciseNow, round, type Spread, spreadOf } from "./_stats.ts";

const SCHEDULES = 100_000;
const BURST = 10_000;
const BURST_PERIOD_MS = 5_000;
/** The burst's fires per schedule: the first (ledger reads) and three steady ones. */
const BURST_FIRES = 4;
const BASELINE_ROUNDS = 3;
const FLEET_WORKERS = 3;
const FLEET_SCHEDULES = 30_000;
/** The fleet's periods: 10 to 19 s, so that the fires spread over the seconds. */
const fleetPeriodS = (index: number) => 10 + (index % 10);
/** From the workers' start to the window counted: they read the bucket and form the fleet. */
const FLEET_SETTLE_MS = 15_000;
const FLEET_WINDOW_MS = 30_000;

/** Sleeps by who sleeps: the worker's loop, the fleet's heartbeat, a fire. */
interface BySleeper {
  loop: number;
  fleet: number;
  fire: number;
}

/** What the child process prints. */
interface Loaded {
  schedules: number;
  loadedS: number;
  startupS: number;
  heapBytesPerSchedule: number;
  heapMiB: number;
  rssMiB: number;
  mostPendingSleepsWhileLoading: BySleeper & { loopAndFleet: number };
  mostPendingSleeps: BySleeper & { loopAndFleet: number };
  sleeps: BySleeper;
  sparse: { lags: number[]; missed: string[] };
  clockLags: number[];
}

/** Runs the whole case on the server at `url`, whose schedules' bucket must be empty. */
export async function schedulesScale(url: string): Promise<CaseResult> {
  const link = await dialOrAdopt({ servers: url });
  const { events, store } = connectNatsSchedules(link, scaleEvents);
  let loaded: Loaded;
  let burst: Awaited<ReturnType<typeof burstFires>>;
  let baselineMs: number;
  let checkedMs: number;
  let clockLags: Spread;
  let sameWindowLags: Spread;
  let fleet: Awaited<ReturnType<typeof fleetFires>>;
  try {
    await new Schedules(...scaleEvents).connect(link.nc).then(async (schedules) => await schedules.register());
    fleet = await fleetFires(url, store); // first, and its schedules deleted: the others are not in its bucket
    const filling = preciseNow();
    await writeRecords(store, SCHEDULES, (index) => `s-${index}`, scaleSpec);
    console.error(`  ${SCHEDULES} schedules written in ${((preciseNow() - filling) / 1000).toFixed(1)} s`);
    // A 200 ms clock in this process while the child's sparse schedule fires, at the same instants: the two
    // lags of one window, each process with a core to share, as a clock and a worker deployed side by side.
    const sameWindow = pause(SPARSE_AT_MS).then(() => sparseClockLags(url, "bench-scale-clock-same-window"));
    [loaded, sameWindowLags] = await Promise.all([loadInChild(url), sameWindow.then(spreadOf)]);
    baselineMs = median(await pipelinedRounds(url, false));
    checkedMs = median(await pipelinedRounds(url, true));
    burst = await burstFires(url, store);
    clockLags = spreadOf(await sparseClockLags(url, "bench-scale-clock")); // last: this process is past V8's memory reduction by then
  } finally {
    await events.close();
  }
  const sparse = spreadOf(loaded.sparse.lags);
  const [first, ...steady] = burst.ticks;
  const burstMs = median(steady.map((tick) => tick.lastAckMs));
  const burstRate = Math.round(BURST / burstMs * 1000);
  const baselineRate = Math.round(BURST / baselineMs * 1000);
  const checkedRate = Math.round(BURST / checkedMs * 1000);
  const ratio = round(burstRate / baselineRate);
  const { sparse: _, clockLags: __, ...memory } = loaded;
  const clockBeside = spreadOf(loaded.clockLags);
  return {
    ours: {
      ...memory,
      sparseLag: { ...sparse, missed: loaded.sparse.missed },
      burst: {
        steadyLastAckMs: burstMs,
        steadyFiresPerSecond: burstRate,
        firstFireLastAckMs: first?.lastAckMs ?? NaN,
        ticks: burst.ticks,
        notEmitted: burst.notEmitted,
      },
      fleet,
    },
    baseline: {
      clockSameWindowLag: sameWindowLags,
      clockLag: clockLags,
      clockBesideTheWorkerLag: clockBeside,
      pipelined: { lastAckMs: baselineMs, messagesPerSecond: baselineRate },
      pipelinedWithLedgerCheck: { lastAckMs: checkedMs, messagesPerSecond: checkedRate },
      burstToLedgerCheckedRatio: round(burstRate / checkedRate),
    },
    ratio,
    ratioOf: "burst rate, schedules' fires / pipelined publishes",
    summary: {
      ours: `${SCHEDULES} schedules: ${memory.heapBytesPerSchedule} B heap each, start-up ${memory.startupS} s, ` +
        `at most ${memory.mostPendingSleeps.loop} loop sleep pending (${memory.mostPendingSleeps.loopAndFleet} with the fleet's beat); sparse lag ${
          describe(sparse)
        }; ` +
        `burst ${burstRate} fires/s (first fire ${first?.lastAckMs.toFixed(1)} ms to the last ack); ` +
        `fleet of ${FLEET_WORKERS}: ${fleet.storedPerSecond} fires/s, ${fleet.attemptsPerStoredFire} attempts per fire, ` +
        `${fleet.notStored} not stored`,
      baseline: `clock lag in the same window ${describe(sameWindowLags)}; at the end ${describe(clockLags)}; ` +
        `beside the worker, after ${describe(clockBeside)}; ` +
        `pipelined ${baselineRate} msg/s (each expecting an empty subject: ${checkedRate} msg/s)`,
    },
    targets: [
      atMost("heap per schedule <= 1024 B", memory.heapBytesPerSchedule, 1024),
      atMost("start-up <= 10 s", memory.startupS, 10),
      atMost("the loop's sleeps pending at once <= 1", memory.mostPendingSleeps.loop, 1),
      atLeast("burst rate / pipelined >= 0.8", ratio, 0.8),
      atMost("sparse p99 / clock in the same window p99 <= 1", round(sparse.p99 / sameWindowLags.p99), 1),
      atMost("sparse: fires not emitted = 0", loaded.sparse.missed.length, 0),
      atMost("fleet: attempts per stored fire <= 1.2", fleet.attemptsPerStoredFire, 1.2),
      atMost("fleet: fires of the window not stored = 0", fleet.notStored, 0),
    ],
  };
}

function describe(spread: Spread): string {
  return `p50 ${spread.p50.toFixed(2)} / p99 ${spread.p99.toFixed(2)} / max ${spread.max.toFixed(2)} ms`;
}

/** The 100,000 schedules in one worker, in a child process: see bench/_schedules_scale.ts. */
async function loadInChild(url: string): Promise<Loaded> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", "bench/_schedules_scale.ts", url, String(SCHEDULES)],
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) throw new Error(`bench/_schedules_scale.ts failed: ${decoder.decode(stderr)}`);
  return JSON.parse(decoder.decode(stdout));
}

/**
 * `BASELINE_ROUNDS` times: 10,000 pipelined publishes with msgIDs to schedule-like subjects, to the last
 * ack; with `ledgerCheck`, each also expects its subject to be empty (a fresh subject per round), the
 * check the server does for every fire.
 */
async function pipelinedRounds(url: string, ledgerCheck: boolean): Promise<number[]> {
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    const rounds: number[] = [];
    for (let round = 0; round < BASELINE_ROUNDS; round++) {
      const payload = JSON.stringify({ kind: "burst", round });
      const prefix = ledgerCheck ? `checked-${round}` : "base";
      const subjects = Array.from(
        { length: BURST },
        (_, index) => fireSubject(burstEvent.stream, `${prefix}-${index}`),
      );
      const started = preciseNow();
      await Promise.all(subjects.map((subject) =>
        js.publish(subject, payload, {
          msgID: `${subject}:${started}`,
          ...(ledgerCheck ? { expect: { lastSubjectSequence: 0 } } : {}),
        })
      ));
      rounds.push(preciseNow() - started);
    }
    return rounds;
  } finally {
    await nc.close();
  }
}

/**
 * A worker of the burst event alone; once it holds the 10,000 schedules (written with a `startAt` a few
 * seconds ahead, so that all fall on the same instants), their fires: per tick, how many were emitted and
 * when the last ack came.
 */
async function burstFires(url: string, store: Parameters<typeof writeRecords>[0]) {
  await using schedules = await new Schedules(burstEvent).connect({ servers: url });
  const stop = new AbortController();
  const lastAck = new Map<number, { emitted: number; lastAckMs: number }>();
  let notEmitted = 0;
  let reports = 0;
  let applied = 0;
  let allApplied: () => void = () => {};
  const applying = new Promise<void>((resolve) => allApplied = resolve);
  let allFired: () => void = () => {};
  const firing = new Promise<void>((resolve) => allFired = resolve);
  const running = schedules.run({
    signal: stop.signal,
    onChange: (change) => {
      if (change.kind === "put" && change.id.startsWith("b-") && ++applied === BURST) allApplied();
    },
    onTick: (report) => {
      const tick = report.tick.getTime();
      if (report.outcome === "emitted") {
        const seen = lastAck.get(tick) ?? { emitted: 0, lastAckMs: 0 };
        lastAck.set(tick, { emitted: seen.emitted + 1, lastAckMs: Math.max(seen.lastAckMs, preciseNow() - tick) });
      } else notEmitted++;
      if (++reports === BURST * BURST_FIRES) allFired();
    },
  });
  await pause(3_000); // the worker reads the 100,000 other schedules first
  const startAt = new Date((Math.floor(Date.now() / BURST_PERIOD_MS) + 2) * BURST_PERIOD_MS);
  await writeRecords(store, BURST, (index) => `b-${index}`, (index) => ({
    event: burstEvent,
    period: BURST_PERIOD_MS / 1000,
    startAt,
    maxTicks: BURST_FIRES,
    value: { kind: "burst", index: index % 100 },
  }));
  await applying;
  const marginMs = startAt.getTime() - Date.now();
  if (marginMs < 0) throw new Error(`the burst's schedules were applied ${-marginMs} ms after their first fire`);
  await firing;
  stop.abort();
  await running;
  const ticks = [...lastAck.keys()].sort().map((tick) => ({
    tick,
    ...lastAck.get(tick)!,
    lastAckMs: round(lastAck.get(tick)!.lastAckMs),
  }));
  return { ticks, notEmitted, marginMs };
}

/**
 * 30,000 schedules and 3 worker processes: what their reports tell of the fires due in a window of
 * `FLEET_WINDOW_MS`, `FLEET_SETTLE_MS` after they start.
 */
async function fleetFires(url: string, store: Parameters<typeof writeRecords>[0]) {
  const id = (index: number) => `f-${index}`;
  const revisions = await writeRecords(store, FLEET_SCHEDULES, id, (index) => ({
    event: fleetEvent,
    period: fleetPeriodS(index),
    value: { kind: "fleet", index: index % 100 },
  }));
  const fromMs = Date.now() + FLEET_SETTLE_MS;
  const toMs = fromMs + FLEET_WINDOW_MS;
  const workers = Array.from({ length: FLEET_WORKERS }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "bench/_fleet_worker.ts", url, String(fromMs), String(toMs), String(toMs + 2_000)],
      stdin: "null",
    }).output());
  const counts = { emitted: 0, duplicate: 0, missed: 0, attempts: 0 };
  const decoder = new TextDecoder();
  for (const { code, stdout, stderr } of await Promise.all(workers)) {
    if (code !== 0) throw new Error(`bench/_fleet_worker.ts failed: ${decoder.decode(stderr)}`);
    const worker: typeof counts = JSON.parse(decoder.decode(stdout));
    for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] += worker[key];
  }
  await removeRecords(store, id, revisions);
  let due = 0;
  for (let index = 0; index < FLEET_SCHEDULES; index++) {
    const periodMs = fleetPeriodS(index) * 1000;
    due += Math.ceil(toMs / periodMs) - Math.ceil(fromMs / periodMs);
  }
  return {
    workers: FLEET_WORKERS,
    schedules: FLEET_SCHEDULES,
    windowS: FLEET_WINDOW_MS / 1000,
    due,
    ...counts,
    notStored: due - counts.emitted,
    storedPerSecond: Math.round(counts.emitted / (FLEET_WINDOW_MS / 1000)),
    attemptsPerStoredFire: round(counts.attempts / counts.emitted),
  };
}

if (import.meta.main) {
  // Alone, it writes its case into bench/results/latest.json beside the others', with the load it ran at.
  await runAlone("schedules_scale", schedulesScale);
}
