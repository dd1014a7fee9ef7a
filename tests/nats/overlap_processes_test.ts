/**
 * Overlap control across real processes (tests/nats/_actor_process.ts): three
 * processes of one actor handle a 1 s clock's ticks with a handler that runs
 * 2.5 s. Each process prints its job events with their instants; the test
 * merges them and checks the policy across the fleet.
 */
import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { LEASE_MS } from "../../src/actors/_overlap.ts";
import { Clock, Event, Events, type OverlapPolicy } from "../../mod.ts";
import type { ActorLine } from "./_actor_process.ts";
import { allReady, killAll, type ScriptProcess, startScript, stopScript } from "./_processes.ts";
import { consumerCounts, readStream } from "./_stream.ts";
import { waitUntil } from "../_wait.ts";

type ActorProcess = ScriptProcess<ActorLine>;

/** A fire's handler runs 2.5 periods of the clock. */
const PERIOD_S = 1;
const JOB_MS = 2_500;

/** Three processes of actor `worker` with `overlap`, on a clock's event. */
function startFleet(url: string, event: Event, overlap: OverlapPolicy): ActorProcess[] {
  const args = ["--server", url, "--event", event.name, "--actor", "worker", "--ticks", `--job-ms=${JOB_MS}`];
  args.push(`--overlap=${overlap}`, "--ack-wait=5");
  return ["a", "b", "c"].map((label) => startScript<ActorLine>(label, "./_actor_process.ts", args));
}

function linesOf(procs: ActorProcess[], type: ActorLine["type"]): ActorLine[] {
  return procs.flatMap((p) => p.lines.filter((line) => line.type === type));
}

function details(procs: ActorProcess[]): () => string {
  return () => procs.map((p) => `${p.label}: ${JSON.stringify(p.lines)}\n${p.stderr}`).join("\n");
}

/**
 * Each process's handler runs, from its `start` line to the line that ended it (`handled`, `cancelled`,
 * `failure`), or to `killedAt` for a run the process was killed in.
 */
function runsOf(procs: ActorProcess[], killedAt = new Map<ActorProcess, number>()) {
  return procs.flatMap((proc) =>
    proc.lines.flatMap((line, index) => {
      if (line.type !== "start") return [];
      const end = proc.lines.slice(index + 1).find((later) =>
        later.seq === line.seq && ["handled", "cancelled", "failure"].includes(later.type)
      );
      const endAt = end?.at ?? killedAt.get(proc);
      assert.ok(endAt !== undefined, `${proc.label}: run of ${line.seq} never ended`);
      return [{ proc: proc.label, seq: line.seq, start: line.at, end: endAt, how: end?.type ?? "killed" }];
    })
  ).toSorted((a, b) => a.start - b.start);
}

/** Intervals, sorted by start, of which none begins before the one before it ended. */
function assertNoOverlap(intervals: { start: number; end: number }[], what: string): void {
  for (let i = 1; i < intervals.length; i++) {
    assert.ok(
      intervals[i]!.start >= intervals[i - 1]!.end,
      `${what} overlap: ${JSON.stringify(intervals[i - 1])} and ${JSON.stringify(intervals[i])}`,
    );
  }
}

/** Runs the clock's ticks, then waits until every stored tick is acked (none pending, none unacknowledged). */
async function fireAndSettle(url: string, clock: Clock, procs: ActorProcess[], during?: () => Promise<void>) {
  await using events = await new Events(clock.event).connect({ servers: url });
  await events.register();
  await allReady(procs);
  const running = clock.run(events);
  await during?.();
  await running;
  await waitUntil(async () => {
    const counts = await consumerCounts(url, clock.event.stream, "worker");
    return counts.pending === 0 && counts.ackPending === 0;
  }, { what: "every tick acked", timeoutMs: 60_000, details: details(procs) });
  return (await readStream(url, clock.event.stream)).map((m) => m.seq);
}

Deno.test({
  name: "overlap 'skip', 3 processes, 30 fires of a 1 s clock, 2.5 s handler: runs never overlap, " +
    "skipped fires are reported and acked, a SIGKILLed holder's lease frees within 6 s",
  sanitizeResources: false, // the killed process's pipes
  async fn() {
    await using server = await startNatsServer();
    const clock = new Clock({ event: new Event("ticks-skip", Date), period: PERIOD_S, maxTicks: 30 });
    const procs = startFleet(server.url, clock.event, "skip");
    const killedAt = new Map<ActorProcess, number>();
    let lease: { untilMs: number; holder: string; seq: number } | undefined;
    let victimSeq: number | undefined;
    try {
      const stored = await fireAndSettle(server.url, clock, procs, async () => {
        // Kill the holder of a run past its first renewal, once the fleet has run a few.
        await waitUntil(() => linesOf(procs, "handled").length >= 3 && holder(procs) !== undefined, {
          what: "a run going on after 3 handled",
          timeoutMs: 60_000,
          details: details(procs),
        });
        const victim = holder(procs)!;
        victimSeq = victim.lines.findLast((line) => line.type === "start")!.seq;
        victim.child.kill("SIGKILL");
        await victim.child.status;
        killedAt.set(victim, Date.now());
        lease = await readLease(server.url, `worker.${btoa(clock.event.name).replace(/=+$/, "")}`);
      });
      for (const proc of procs.filter((p) => !killedAt.has(p))) await stopScript(proc);

      const runs = runsOf(procs, killedAt);
      assertNoOverlap(runs, "runs");
      const [victim, killed] = [...killedAt][0]!;
      assert.ok(lease !== undefined, "the lease was read after the kill");
      // The lease read is the killed run's (the message it was handling), so its expiry is the bound to check.
      assert.equal(lease.seq, victimSeq, `the lease read after the kill is held for message ${lease.seq}`);
      assert.ok(lease.untilMs - killed <= LEASE_MS, `lease held ${lease.untilMs - killed} ms past the kill`);
      const after = runs.filter((run) => run.start > killed);
      assert.ok(after.length > 0, "a run started after the kill: the lease was freed");
      assert.ok(after[0]!.start >= lease.untilMs, `a run began ${lease.untilMs - after[0]!.start} ms before expiry`);
      assert.ok(after.every((run) => run.proc !== victim.label));

      const skipped = linesOf(procs, "skipped");
      assert.ok(skipped.length >= 10, `${skipped.length} skipped of ${stored.length}`);
      assert.ok(skipped.every((line) => line.reason === "running"), JSON.stringify(skipped));
      for (const proc of procs.filter((p) => !killedAt.has(p))) {
        const reported = proc.lines.find((line) => line.type === "metrics")?.skippedTotal;
        assert.equal(reported, proc.lines.filter((line) => line.type === "skipped").length, proc.label);
      }
      // Every stored tick was run to its end or skipped; the consumer has none left (checked above).
      const done = new Set([...linesOf(procs, "handled"), ...skipped].map((line) => line.seq));
      assert.deepEqual(stored.filter((seq) => !done.has(seq)), []);
    } finally {
      await killAll(procs);
    }
  },
});

Deno.test("overlap 'bufferOne', 3 processes, 30 fires of a 1 s clock, 2.5 s handler: at most one fire waits", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("ticks-buffer-one", Date), period: PERIOD_S, maxTicks: 30 });
  const procs = startFleet(server.url, clock.event, "bufferOne");
  try {
    const stored = await fireAndSettle(server.url, clock, procs);
    for (const proc of procs) await stopScript(proc);

    assertNoOverlap(runsOf(procs), "runs");
    const waits = procs.flatMap((proc) =>
      proc.lines.filter((line) => line.type === "waiting").map((line) => ({
        seq: line.seq,
        start: line.at,
        end: proc.lines.find((later) => later.type === "waited" && later.seq === line.seq)!.at,
      }))
    ).toSorted((a, b) => a.start - b.start);
    assert.ok(waits.length >= 5, `${waits.length} waited`);
    assertNoOverlap(waits, "waiting fires");
    const skipped = linesOf(procs, "skipped");
    assert.ok(skipped.length >= 5 && skipped.every((line) => line.reason === "waiting"), JSON.stringify(skipped));
    const handled = linesOf(procs, "handled");
    assert.deepEqual(stored.length, handled.length + skipped.length);
  } finally {
    await killAll(procs);
  }
});

Deno.test("overlap 'cancelOther', 3 processes, 10 fires of a 1 s clock: each fire aborts the runner", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("ticks-cancel", Date), period: PERIOD_S, maxTicks: 10 });
  const procs = startFleet(server.url, clock.event, "cancelOther");
  try {
    const stored = await fireAndSettle(server.url, clock, procs);
    for (const proc of procs) await stopScript(proc);

    const runs = runsOf(procs);
    assertNoOverlap(runs, "runs");
    const cancelled = linesOf(procs, "cancelled");
    assert.ok(cancelled.length >= 5, `${cancelled.length} cancelled of ${stored.length}`);
    assert.equal(runs.at(-1)?.how, "handled", "the last fire runs to its end");
    assert.deepEqual(linesOf(procs, "failure"), [], "a cancelled run is not retried");
  } finally {
    await killAll(procs);
  }
});

/** The process whose handler runs now: a `start` not followed by the end of its run. */
function holder(procs: ActorProcess[]): ActorProcess | undefined {
  return procs.find((proc) => {
    const start = proc.lines.findLastIndex((line) => line.type === "start");
    return start >= 0 && !proc.lines.slice(start).some((line) => line.type === "handled") &&
      Date.now() - proc.lines[start]!.at > 1_200; // renewed once at least
  });
}

/** The lease's holder and expiry, read with a connection of its own. */
async function readLease(
  servers: string,
  key: string,
): Promise<{ untilMs: number; holder: string; seq: number } | undefined> {
  const nc = await connect({ servers });
  try {
    const kv = await new Kvm(jetstream(nc)).open("walnats-leases");
    return (await kv.get(key))?.json();
  } finally {
    await nc.close();
  }
}
