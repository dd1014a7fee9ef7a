/**
 * schedules_jitter: 10,000 schedules due at the same instant (the users'
 * nightly reports at midnight), fired by one worker without jitter
 * (the baseline) and with it, in the same run: the busiest second's share
 * of the fires stored.
 *
 * The instant is near (a one-off `at` a few seconds after the worker holds
 * them), not midnight, and the jitter is scaled down from the issue's 60 s
 * to {@link JITTER_S} s, so that the case takes well under a minute: with
 * offsets spread evenly, a jitter of J seconds puts about 1/J of the fires
 * in each second, so the measured share at J = 10 stands for 1/60 at 60 s
 * as long as the worker keeps up with a tenth of the fires per second (the
 * baseline shows it stores all 10,000 in about a second). The share the
 * offsets themselves give at 60 s (no server: the instants the worker would
 * plan) is reported beside it.
 *
 * `deno run -A bench/schedules_jitter.ts` runs it alone on a throwaway server.
 *
 * @module
 */
import { runAlone } from "./_alone.ts";
import { Schedules, type SchedulesConnection } from "../mod.ts";
import { dialOrAdopt } from "../src/nats/connect.ts";
import { connectNatsSchedules } from "../src/nats/schedule_store.ts";
import { jitteredInstant } from "../src/schedules/_jitter.ts";
import { ONE_OFF_WINDOW_MS } from "../src/schedules/_schedule_record.ts";
import { atMost, type CaseResult } from "./_case.ts";
import { burstEvent, removeRecords, writeRecords } from "./_scale_setup.ts";
import { pause, round } from "./_stats.ts";

const SCHEDULES = 10_000;
/** The jitter of the measured run, in seconds: the issue's 60 s scaled down (see the module's documentation). */
const JITTER_S = 10;
/** The issue's jitter, whose spread is computed from the offsets alone. */
const ISSUE_JITTER_S = 60;
/** How long after the worker holds the schedules their instant comes: past its last read of the bucket. */
const LEAD_MS = 3_000;

/** How one run's fires fell on the seconds after their instant. */
interface Spread {
  jitterS: number;
  /** Fires stored by the worker (emitted), of {@link SCHEDULES}. */
  emitted: number;
  /** The others: missed, found stored, or not reported within their window. */
  notEmitted: number;
  /** Fires per second after the instant, by the instant of their ack (second 0 first). */
  perSecond: number[];
  /** The busiest second's share of the fires stored. */
  busiestShare: number;
  /** From the instant to the last ack, in seconds. */
  lastAckS: number;
}

/** Runs the case on the server at `url`. */
export async function schedulesJitter(url: string): Promise<CaseResult> {
  const link = await dialOrAdopt({ servers: url });
  const { events, store } = connectNatsSchedules(link, [burstEvent]);
  let without: Spread;
  let jittered: Spread;
  try {
    await using schedules = await new Schedules(burstEvent).connect(link.nc);
    await schedules.register();
    without = await burst(schedules, store, 0);
    jittered = await burst(schedules, store, JITTER_S);
  } finally {
    await events.close();
  }
  const planned = plannedShare(ISSUE_JITTER_S);
  return {
    ours: { ...jittered, plannedBusiestShareAt60s: planned },
    baseline: without,
    ratio: round(jittered.busiestShare / without.busiestShare),
    ratioOf: "busiest second's share of the fires, with jitter / without",
    summary: {
      ours:
        `${SCHEDULES} fires due at one instant, jitter ${JITTER_S} s: busiest second ${
          percent(jittered.busiestShare)
        } of them, last ack ${jittered.lastAckS} s after the instant, ${jittered.notEmitted} not emitted; ` +
        `the offsets alone at ${ISSUE_JITTER_S} s: busiest second ${percent(planned)}`,
      baseline: `without jitter: busiest second ${percent(without.busiestShare)}, last ack ${without.lastAckS} s ` +
        `after the instant, ${without.notEmitted} not emitted`,
    },
    targets: [
      atMost(`jitter ${JITTER_S} s: busiest second's share <= ${2 / JITTER_S}`, jittered.busiestShare, 2 / JITTER_S),
      atMost(`offsets at ${ISSUE_JITTER_S} s: busiest second's share <= 0.025`, planned, 0.025),
      atMost("fires not emitted = 0", without.notEmitted + jittered.notEmitted, 0),
    ],
  };
}

/**
 * One worker on `schedules`; once it holds {@link SCHEDULES} one-off schedules of one instant (written
 * straight into the bucket), their fires: when each one's ack came, by the second after the instant.
 */
async function burst(
  schedules: SchedulesConnection,
  store: Parameters<typeof writeRecords>[0],
  jitterS: number,
): Promise<Spread> {
  const id = (index: number) => `jitter-${jitterS}-${index}`;
  const prefix = id(0).slice(0, -1);
  const stop = new AbortController();
  const acks: number[] = [];
  let notEmitted = 0;
  let applied = 0;
  let allApplied: () => void = () => {};
  const applying = new Promise<void>((resolve) => allApplied = resolve);
  let allFired: () => void = () => {};
  const firing = new Promise<void>((resolve) => allFired = resolve);
  const running = schedules.run({
    signal: stop.signal,
    onChange: (change) => {
      if (change.kind === "put" && change.id.startsWith(prefix) && ++applied === SCHEDULES) allApplied();
    },
    onTick: (report) => {
      if (!report.schedule.startsWith(prefix)) return;
      if (report.outcome === "emitted") acks.push(Date.now());
      else notEmitted++;
      if (acks.length + notEmitted === SCHEDULES) allFired();
    },
  });
  await pause(1_000); // the worker's first read of the bucket
  // The instant leaves room for the writes (about a second) and the worker applying them.
  const atMs = Math.ceil((Date.now() + LEAD_MS + 2_000) / 1000) * 1000;
  const revisions = await writeRecords(store, SCHEDULES, id, () => ({
    event: burstEvent,
    at: new Date(atMs),
    ...(jitterS === 0 ? {} : { jitter: jitterS }),
    value: { kind: "jitter" },
  }));
  await applying;
  if (Date.now() >= atMs) throw new Error(`the schedules were applied ${Date.now() - atMs} ms after their instant`);
  await Promise.race([firing, pause(atMs - Date.now() + ONE_OFF_WINDOW_MS + 5_000)]);
  stop.abort();
  await running;
  await removeRecords(store, id, revisions);
  const perSecond: number[] = [];
  for (const ack of acks) {
    const second = Math.max(0, Math.floor((ack - atMs) / 1000));
    while (perSecond.length <= second) perSecond.push(0);
    perSecond[second]!++;
  }
  return {
    jitterS,
    emitted: acks.length,
    notEmitted: SCHEDULES - acks.length,
    perSecond,
    busiestShare: round(Math.max(...perSecond) / acks.length),
    lastAckS: round((Math.max(...acks) - atMs) / 1000),
  };
}

/** The busiest second's share of the instants the offsets give {@link SCHEDULES} schedules at a jitter of `jitterS`. */
function plannedShare(jitterS: number): number {
  const midnight = Date.parse("2026-12-01T00:00:00Z");
  const perSecond = new Array<number>(jitterS).fill(0);
  for (let index = 0; index < SCHEDULES; index++) {
    const at = jitteredInstant(`report-${index}`, midnight, jitterS * 1000, midnight + 86_400_000);
    perSecond[Math.floor((at - midnight) / 1000)]!++;
  }
  return round(Math.max(...perSecond) / SCHEDULES);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

if (import.meta.main) {
  // Alone, it writes its case into bench/results/latest.json beside the others', with the load it ran at.
  await runAlone("schedules_jitter", schedulesJitter);
}
