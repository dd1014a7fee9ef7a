/**
 * Leader elections on a 3-node cluster: an R3 clock event, three clock
 * processes connected to all three servers, the stream leader SIGKILLed and
 * restarted, then asked to step down. With `catchUp` larger than the ticks of
 * the longest election, every tick is stored once, in order, and none is
 * missing: the ticks due while the stream had no leader are stored late.
 * Without it, those ticks are reported missed, with a reason, by every clock.
 *
 * Each case prints one line of figures (`chaos:`), for docs/exactly-once.md.
 */
import assert from "node:assert/strict";
import { delay } from "../../src/_async.ts";
import { Event, Events } from "../../mod.ts";
import { waitUntil } from "../_wait.ts";
import type { ReportLine } from "../nats/_clock_process.ts";
import { allReady, type ClockProcess, killAll, startClock, stopClock, untilPhase } from "../nats/_clocks.ts";
import { startCluster } from "../nats/_cluster.ts";
import { isoTick, readStream } from "../nats/_stream.ts";
import { auditTicks, awaitNewLeader, stepDown, streamLeader } from "./_chaos.ts";

const PERIOD_MS = 1_000;
/** More ticks than the longest stall seen on nats-server 2.9.10 (an election of up to 8.3 s, a stall of up to 13 s). */
const CATCH_UP = 30;
/** How long the killed leader stays down before it is started again. */
const DOWN_MS = 2_000;

/** One disruption of the stream's leadership, and how long the stream had no (other) leader. */
interface Disruption {
  what: "SIGKILL" | "step-down";
  atMs: number;
  oldLeader: string;
  newLeader: string;
  electionMs: number;
}

interface ClusterRun {
  clocks: ClockProcess[];
  disruptions: Disruption[];
  audit: ReturnType<typeof auditTicks>;
  stoppedMs: number;
}

/**
 * Starts the cluster, the R3 stream and three clocks, SIGKILLs the stream
 * leader (and restarts it) just after a tick, and then, with `stepDownToo`,
 * asks the new leader to step down; waits for the clocks to store ticks
 * again after each, stops them between two ticks, and counts the stream.
 */
async function runOnCluster(name: string, catchUp: number, stepDownToo: boolean): Promise<ClusterRun> {
  await using cluster = await startCluster();
  const urls = [...cluster.servers.values()].map((server) => server.url);
  const event = new Event(name, Date, { limits: { replicas: 3 } });
  // The cluster takes a while to answer for an R3 stream: try until it does.
  await waitUntil(async () => {
    try {
      await using conn = await new Events(event).connect({ servers: urls });
      await conn.register();
      return true;
    } catch {
      return false;
    }
  }, { what: "the R3 stream to be created" });

  // Each clock lists the three servers, each starting with another one.
  const clocks = [0, 1, 2].map((i) =>
    startClock(`#${i + 1}`, [...urls.slice(i), ...urls.slice(0, i)].join(","), name, { replicas: 3, catchUp })
  );
  const disruptions: Disruption[] = [];
  try {
    await allReady(clocks);
    const reports = () => clocks.flatMap((clock) => clock.lines);
    /** Waits until a clock stored a tick on time after `sinceMs`, and then 5 more ticks. */
    const recovered = async (sinceMs: number) => {
      await waitUntil(
        () => reports().some((r) => r.outcome === "emitted" && r.late !== true && r.tick > sinceMs),
        { what: `a tick stored on time after ${isoTick(sinceMs)}`, timeoutMs: 60_000 },
      );
      await delay(5 * PERIOD_MS);
    };
    await recovered(Date.now() + 2 * PERIOD_MS);

    // SIGKILL the leader just after a tick, so that nothing of the tick is in flight; restart it after DOWN_MS.
    const killed = await streamLeader(urls, event.stream);
    assert.ok(killed !== undefined, "the stream has no leader");
    const server = cluster.servers.get(killed)!;
    const others = [...cluster.servers].filter(([name]) => name !== killed).map(([, server]) => server.url);
    await untilPhase(150, 500);
    const killedMs = Date.now();
    const restarted = server.restart({ signal: "SIGKILL", downMs: DOWN_MS });
    const afterKill = await awaitNewLeader(others, event.stream, killed, restarted);
    disruptions.push({
      what: "SIGKILL",
      atMs: killedMs,
      oldLeader: killed,
      newLeader: afterKill,
      electionMs: Date.now() - killedMs,
    });
    await restarted;
    await recovered(Date.now());

    if (stepDownToo) {
      const leader = await streamLeader(urls, event.stream);
      assert.ok(leader !== undefined, "the stream has no leader");
      await untilPhase(150, 500);
      const askedMs = Date.now();
      await stepDown(urls, event.stream);
      const afterStepDown = await awaitNewLeader(urls, event.stream, leader);
      disruptions.push({
        what: "step-down",
        atMs: askedMs,
        oldLeader: leader,
        newLeader: afterStepDown,
        electionMs: Date.now() - askedMs,
      });
      await recovered(Date.now());
    }

    // Stop between two ticks: the clocks publish at x.000 s.
    await untilPhase(250, 450);
    const stoppedMs = Date.now();
    for (const clock of clocks) await stopClock(clock);
    const messages = await readStream(urls[0]!, event.stream);
    return { clocks, disruptions, audit: auditTicks(messages, PERIOD_MS), stoppedMs };
  } finally {
    await killAll(clocks);
  }
}

/** The checks both cases share: each tick at most once, in order, the clocks stored ticks to the end. */
function checkStream(run: ClusterRun): void {
  const { audit, clocks, stoppedMs } = run;
  assert.deepEqual(audit.duplicates, [], "ticks stored more than once");
  assert.deepEqual(audit.outOfOrder, [], "messages whose tick is not after the one before");
  assert.ok(audit.stored >= 12, `only ${audit.stored} ticks stored`);
  assert.ok(stoppedMs - audit.last < 2 * PERIOD_MS, `the last tick stored is ${isoTick(audit.last)}`);
  // No two clocks say they stored the same tick, and each tick a clock says it stored is stored.
  const emitted = clocks.flatMap((clock) => clock.lines).filter((r) => r.outcome === "emitted").map((r) => r.tick);
  assert.equal(new Set(emitted).size, emitted.length, "a tick reported emitted by two clocks");
  const missing = new Set(audit.missing);
  for (const tick of emitted) {
    assert.ok(tick >= audit.first && tick <= audit.last && !missing.has(tick), `${isoTick(tick)} is not stored`);
  }
}

/** One line of figures for docs/exactly-once.md. */
function printFigures(name: string, run: ClusterRun, missedReports: ReportLine[]): void {
  const { audit, disruptions } = run;
  console.log(`chaos: ${name}: ${
    JSON.stringify({
      ticks: (audit.last - audit.first) / PERIOD_MS + 1,
      stored: audit.stored,
      duplicates: audit.duplicates.length,
      missing: audit.missing.length,
      late: audit.late.length,
      missedReports: missedReports.length,
      reasons: [...new Set(missedReports.map((r) => `${r.reason}: ${r.error ?? ""}`))],
      elections: disruptions.map((d, i) => {
        // The ticks this disruption cost: due from it to the next one, and stored late or not at all.
        const next = disruptions[i + 1]?.atMs ?? Infinity;
        const cost = [...audit.late, ...audit.missing].filter((tick) => tick > d.atMs && tick < next).length;
        return `${d.what} of ${d.oldLeader}: ${d.newLeader} leads after ${d.electionMs} ms, ${cost} ticks late or missing`;
      }),
    })
  }`);
}

Deno.test("R3 clock event, 3 clocks with catchUp 30: leader SIGKILL + restart and a step-down store every tick once, in order, the election's ticks late", async () => {
  const run = await runOnCluster("chaos-catch-up", CATCH_UP, true);
  const missedReports = run.clocks.flatMap((clock) => clock.lines).filter((r) => r.outcome === "missed");
  printFigures("cluster, catchUp 30", run, missedReports);
  checkStream(run);
  assert.deepEqual(run.audit.missing.map(isoTick), [], "ticks missing");
  // The SIGKILL cost ticks (an election takes seconds): they were stored late, after the stream was back.
  const kill = run.disruptions[0]!;
  const lateAfterKill = run.audit.late.filter((tick) => tick > kill.atMs);
  assert.ok(lateAfterKill.length >= 1, `no tick stored late after the SIGKILL: ${JSON.stringify(run.disruptions)}`);
});

Deno.test("R3 clock event, 3 clocks without catch-up: the ticks of the election after a leader SIGKILL are reported missed, with a reason, by every clock", async () => {
  const run = await runOnCluster("chaos-no-catch-up", 0, false);
  const reports = run.clocks.flatMap((clock) => clock.lines);
  const missedReports = reports.filter((r) => r.outcome === "missed");
  printFigures("cluster, no catch-up", run, missedReports);
  checkStream(run);
  assert.deepEqual(run.audit.late, [], "ticks stored late without catch-up");
  // Each tick that is not stored: every clock reported it missed, and said why.
  for (const tick of run.audit.missing) {
    for (const clock of run.clocks) {
      const own = clock.lines.filter((r) => r.tick === tick);
      assert.equal(own.length, 1, `clock ${clock.label} reported ${JSON.stringify(own)} for ${isoTick(tick)}`);
      assert.equal(own[0]!.outcome, "missed", `clock ${clock.label} on ${isoTick(tick)}`);
      assert.ok(
        own[0]!.reason === "unacknowledged" || own[0]!.reason === "late",
        `clock ${clock.label} on ${isoTick(tick)}`,
      );
    }
  }
  assert.ok(run.audit.missing.length >= 1, `the SIGKILL cost no tick: ${JSON.stringify(run.disruptions)}`);
});
