/**
 * The fleet shares the schedules, with real processes on a real server:
 * 3,000 schedules of 1 and 2 s, three worker processes, then one SIGKILLed
 * (its schedules taken over), a fourth joining (it takes its share), and
 * one SIGSTOPped for 5 s, past the TTL and the event's 1 s duplicate window
 * (its share moves, and it resumes with a stale view). Then every
 * (schedule, tick) is counted in the stream: none twice; none missing but
 * those of the dead or paused worker's schedules in the takeover window
 * after its death or pause, and of those only the ones without catch-up.
 * Prints one line of figures (`chaos: fleet:`), for docs/exactly-once.md.
 */
import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { delay } from "../../src/_async.ts";
import { TAKEOVER_MS } from "../../src/schedules/_fleet.ts";
import { Event, Schedules } from "../../mod.ts";
import { waitUntil } from "../_wait.ts";
import { unexplainedFires } from "./_chaos.ts";
import { allReady, killAll, type ScriptProcess, startScript, stopScript } from "../nats/_processes.ts";
import type { FireLine } from "../nats/_schedule_worker_process.ts";

const SCHEDULES = 3_000;
/** Half of the schedules catch up what a takeover missed; the other half lose it. */
const CATCH_UP = 5;
const STEADY_FROM_MS = 3_000;
const KILL_AT_MS = 18_000;
const JOIN_AT_MS = 28_000;
const STOP_AT_MS = 38_000;
const STOP_FOR_MS = 5_000;
const RUN_MS = 55_000;

const periodOf = (i: number) => i % 2 === 0 ? 1_000 : 2_000;
const catchUpOf = (i: number) => i % 4 < 2 ? 0 : CATCH_UP;
const idOf = (i: number) => `f-${String(i).padStart(4, "0")}`;

Deno.test("3,000 schedules on 3 worker processes: about one attempt per fire; a killed worker's schedules taken over, a joining one takes its share, a paused one stores nothing twice", async () => {
  await using server = await startNatsServer();
  const event = new Event("fleet-fires", Object, { limits: { duplicateWindow: 1 } });
  {
    await using admin = await new Schedules(event).connect({ servers: server.url });
    await admin.register();
    for (let i = 0; i < SCHEDULES; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) =>
          admin.upsert(idOf(i + k), {
            event,
            period: periodOf(i + k) / 1000,
            value: { i: i + k },
            catchUp: catchUpOf(i + k),
          })),
      );
    }
  }
  const start = (n: number) =>
    startScript<FireLine>(`worker ${n}`, "_schedule_worker_process.ts", [
      "--server",
      server.url,
      "--event",
      event.name,
    ]);
  const workers: ScriptProcess<FireLine>[] = [start(1), start(2), start(3)];
  try {
    await allReady(workers);
    const startedMs = Date.now();
    // Each disruption, and the stop, comes between two ticks (at 400-700 ms of a second): a fire in flight when a
    // worker dies is lost whatever the fleet does, and would not say anything about the takeover.
    const midSecond = () =>
      waitUntil(() => Date.now() % 1000 >= 400 && Date.now() % 1000 < 700, { what: "the middle of a second" });
    const at = async (ms: number) => {
      await delay(startedMs + ms - Date.now());
      await midSecond();
    };
    await at(KILL_AT_MS);
    const killedMs = Date.now();
    workers[2]!.child.kill("SIGKILL");
    await at(JOIN_AT_MS);
    const joinedMs = Date.now();
    workers.push(start(4));
    await allReady([workers[3]!]);
    await at(STOP_AT_MS);
    const pausedMs = Date.now();
    workers[0]!.child.kill("SIGSTOP");
    await delay(STOP_FOR_MS);
    workers[0]!.child.kill("SIGCONT");
    const resumedMs = Date.now();
    await at(RUN_MS);
    const stoppedMs = Date.now();
    await Promise.all([workers[0]!, workers[1]!, workers[3]!].map((worker) => stopScript(worker)));
    await killAll(workers);

    const stored = await storedTicks(server.url, event.stream);
    const reports = workers.map((worker) => worker.lines);
    const all = reports.flat();

    // Who fired each schedule last before the kill and before the pause: the owner then.
    const ownerBefore = (whenMs: number) => {
      const last = new Map<string, { n: number; atMs: number }>();
      reports.forEach((lines, n) => {
        for (const r of lines) {
          if (r.outcome === "emitted" && r.atMs < whenMs && r.atMs >= (last.get(r.schedule)?.atMs ?? 0)) {
            last.set(r.schedule, { n, atMs: r.atMs });
          }
        }
      });
      return new Map([...last].map(([id, { n }]) => [id, n]));
    };
    const ownerAtKill = ownerBefore(killedMs);
    const ownerAtPause = ownerBefore(pausedMs);

    const duplicates: string[] = [];
    const lost: string[] = [];
    for (let i = 0; i < SCHEDULES; i++) {
      const id = idOf(i);
      const ticks = (stored.get(id) ?? []).toSorted((a, b) => a - b);
      for (let k = 1; k < ticks.length; k++) if (ticks[k] === ticks[k - 1]) duplicates.push(`${id}@${ticks[k]}`);
      const have = new Set(ticks);
      const excused = (tick: number) =>
        catchUpOf(i) === 0 && (
          (ownerAtKill.get(id) === 2 && tick > killedMs && tick <= killedMs + TAKEOVER_MS) ||
          (ownerAtPause.get(id) === 0 && tick > pausedMs && tick <= pausedMs + TAKEOVER_MS)
        );
      for (let tick = ticks[0] ?? Infinity; tick < stoppedMs - 1_000; tick += periodOf(i)) {
        if (!have.has(tick) && !excused(tick)) lost.push(`${id}@${new Date(tick).toISOString()}`);
      }
    }

    // Takeover: from the dead worker's last fire of a schedule to the first fire of it by another worker.
    const takeovers: number[] = [];
    const sinceKill: number[] = [];
    for (const [id, owner] of ownerAtKill) {
      if (owner !== 2) continue;
      const last = Math.max(
        ...reports[2]!.filter((r) => r.schedule === id && r.outcome === "emitted").map((r) => r.atMs),
      );
      const next = Math.min(
        ...all.filter((r) => r.schedule === id && r.outcome === "emitted" && r.atMs > killedMs).map((r) => r.atMs),
      );
      takeovers.push(next - last);
      sinceKill.push(next - killedMs);
    }
    takeovers.sort((a, b) => a - b);
    sinceKill.sort((a, b) => a - b);
    const inSteady = (tick: number) => tick > startedMs + STEADY_FROM_MS && tick <= killedMs - 1_000;
    const steadyAttempts = all.filter((r) => inSteady(r.tick)).reduce((sum, r) => sum + r.attempts, 0);
    const steadyStored = [...stored.values()].flat().filter(inSteady).length;
    const joinerEmitted = reports[3]!.filter((r) => r.outcome === "emitted" && r.atMs > joinedMs).length;
    const joinerShare = new Set(reports[3]!.filter((r) => r.tick < pausedMs).map((r) => r.schedule)).size;
    const pausedDuplicates = reports[0]!.filter((r) => r.outcome === "duplicate" && r.atMs >= resumedMs).length;
    const emitted = all.filter((r) => r.outcome === "emitted");
    const storedCount = [...stored.values()].reduce((sum, ticks) => sum + ticks.length, 0);
    console.log(`chaos: fleet: ${
      JSON.stringify({
        schedules: SCHEDULES,
        stored: storedCount,
        duplicates: duplicates.length,
        lost: lost.length,
        excusedWindowMs: TAKEOVER_MS,
        steadyAttemptsPerStoredFire: Number((steadyAttempts / steadyStored).toFixed(3)),
        overallAttemptsPerStoredFire: Number((all.reduce((s, r) => s + r.attempts, 0) / storedCount).toFixed(3)),
        killedSchedules: takeovers.length,
        takeoverMs: {
          p50: takeovers[Math.floor(takeovers.length / 2)],
          p99: takeovers[Math.floor(takeovers.length * 0.99)],
          max: takeovers.at(-1),
        },
        killToFirstFireByAnotherMs: {
          min: sinceKill[0],
          p99: sinceKill[Math.floor(sinceKill.length * 0.99)],
          max: sinceKill.at(-1),
        },
        joinerSchedules: joinerShare,
        joinerEmitted,
        pausedWorkerDuplicateReportsAfterResume: pausedDuplicates,
        wallMs: stoppedMs - startedMs,
        atMs: { killed: killedMs - startedMs, joined: joinedMs - startedMs, paused: pausedMs - startedMs },
        startedAt: new Date(startedMs).toISOString(),
      })
    }`);

    assert.deepEqual(duplicates.slice(0, 20), [], `${duplicates.length} fires stored twice`);
    assert.deepEqual(
      lost.slice(0, 20),
      [],
      `${lost.length} fires lost; the reports around the first:\n${
        lost.slice(0, 3).map((fire) => {
          const [id, iso] = fire.split("@") as [string, string];
          const tick = Date.parse(iso);
          return reports.map((lines, n) =>
            lines.filter((r) => r.schedule === id && Math.abs(r.tick - tick) <= 2_000)
              .map((r) => `worker ${n + 1}: ${JSON.stringify({ ...r, tick: new Date(r.tick).toISOString() })}`).join(
                "\n",
              )
          ).join("\n");
        }).join("\n---\n")
      }`,
    );
    assert.ok(steadyAttempts / steadyStored <= 1.2, `${steadyAttempts} attempts for ${steadyStored} fires`);
    assert.ok(takeovers.length > 0 && takeovers.every(Number.isFinite), "the killed worker's schedules not taken over");
    assert.ok(joinerEmitted > 0 && joinerShare > 0, "the joining worker fired nothing");
    assert.ok(
      pausedDuplicates > 0,
      "the paused worker tried nothing after it resumed: the test did not test a stale view",
    );
    assert.equal(new Set(emitted.map((r) => `${r.schedule}@${r.tick}`)).size, emitted.length, "reported emitted twice");
    const storedKeys = [...stored].flatMap(([id, ticks]) => ticks.map((tick) => `${id}@${tick}`));
    const storedSet = new Set(storedKeys);
    assert.deepEqual(
      emitted.map((r) => `${r.schedule}@${r.tick}`).filter((key) => !storedSet.has(key)),
      [],
      "fires reported emitted, not stored",
    );
    const unexplained = unexplainedFires(storedKeys, reports);
    assert.deepEqual(
      unexplained.first,
      [],
      `${unexplained.count} fires stored, their reports neither emitted nor unsure`,
    );
  } finally {
    await killAll(workers);
  }
});

/** The ticks stored for each schedule, read with an ordered consumer of headers only. */
async function storedTicks(servers: string, stream: string): Promise<Map<string, number[]>> {
  const nc = await connect({ servers });
  try {
    const js = jetstream(nc);
    const { state } = await (await js.jetstreamManager()).streams.info(stream);
    const ticks = new Map<string, number[]>();
    if (state.messages === 0) return ticks;
    const consumer = await js.consumers.get(stream, { headers_only: true });
    const messages = await consumer.consume();
    for await (const message of messages) {
      const id = message.headers?.get("Walnats-Schedule");
      if (id) {
        const list = ticks.get(id) ?? [];
        list.push(Number(message.headers!.get("Walnats-Tick")));
        ticks.set(id, list);
      }
      if (message.seq >= state.last_seq) break;
    }
    await messages.close();
    return ticks;
  } finally {
    await nc.close();
  }
}
