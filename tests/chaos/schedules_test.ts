/**
 * Schedules as data, exactly once, with real processes on a real server:
 * 500 schedules of 1 and 2 s, three worker processes whose times differ by
 * up to 1 s, one of them SIGSTOPped for 3 s (past the event's 1 s duplicate
 * window), and a server restart. Then every (schedule, tick) is counted in
 * the stream: none twice, none missing from each schedule's first fire to
 * its last (catch-up covers the restart). Prints one line of figures
 * (`chaos:`), for docs/exactly-once.md.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { delay } from "../../src/_async.ts";
import { Event, Schedules } from "../../mod.ts";
import { waitUntil } from "../_wait.ts";
import { unexplainedFires } from "./_chaos.ts";
import { allReady, killAll, type ScriptProcess, startScript, stopScript } from "../nats/_processes.ts";
import type { FireLine } from "../nats/_schedule_worker_process.ts";
import { readStream } from "../nats/_stream.ts";

const SCHEDULES = 500;
/** Time skews of the three workers, in milliseconds. */
const SKEWS_MS = [0, 500, -500];
/** Enough for the ticks a 3 s restart and the clients' reconnect cost: they are caught up late. */
const CATCH_UP = 10;
const STOP_AT_MS = 4_000;
const STOP_FOR_MS = 3_000;
const RESTART_AT_MS = 10_000;
const RESTART_DOWN_MS = 3_000;
const RUN_MS = 18_000;

Deno.test("500 schedules, 3 worker processes 1 s apart, one SIGSTOPped past the duplicate window, a server restart: every fire stored once, none missing", async () => {
  await using server = await startNatsServer();
  const event = new Event("chaos-fires", Object, { limits: { duplicateWindow: 1 } });
  const periodOf = (i: number) => i % 2 === 0 ? 1 : 2;
  {
    await using admin = await new Schedules(event).connect({ servers: server.url });
    await admin.register();
    for (let i = 0; i < SCHEDULES; i++) {
      await admin.upsert(idOf(i), { event, period: periodOf(i), value: { i }, catchUp: CATCH_UP });
    }
  }
  const workers: ScriptProcess<FireLine>[] = SKEWS_MS.map((skew, n) =>
    startScript<FireLine>(`worker ${n + 1} (skew ${skew} ms)`, "_schedule_worker_process.ts", [
      "--server",
      server.url,
      "--event",
      event.name,
      `--skew-ms=${skew}`,
    ])
  );
  try {
    await allReady(workers);
    const startedMs = Date.now();
    const paused = (async () => {
      await delay(startedMs + STOP_AT_MS - Date.now());
      workers[1]!.child.kill("SIGSTOP");
      await delay(STOP_FOR_MS);
      workers[1]!.child.kill("SIGCONT");
    })();
    const downtime = (async () => {
      await delay(startedMs + RESTART_AT_MS - Date.now());
      const downMs = Date.now();
      await server.restart({ downMs: RESTART_DOWN_MS });
      return [downMs, Date.now()] as const;
    })();
    const [, [downFrom, downTo]] = await Promise.all([paused, downtime]);
    await delay(startedMs + RUN_MS - Date.now());
    // Stop between two ticks: the unskewed worker fires at 0 ms of a second, the skewed ones at 500 ms.
    await waitUntil(() => Date.now() % 1000 >= 200 && Date.now() % 1000 < 300, { what: "a time between two ticks" });
    const stoppedMs = Date.now();
    await Promise.all(workers.map((worker) => stopScript(worker)));

    const stored = (await readStream(server.url, event.stream)).filter((m) => m.headers["Walnats-Schedule"]);
    const ticksOf = new Map<string, number[]>();
    for (const message of stored) {
      const id = message.headers["Walnats-Schedule"]!;
      ticksOf.set(id, [...ticksOf.get(id) ?? [], Number(message.headers["Walnats-Tick"])]);
    }
    const duplicates: string[] = [];
    const missing: string[] = [];
    const endedEarly: string[] = [];
    for (let i = 0; i < SCHEDULES; i++) {
      const id = idOf(i);
      const periodMs = periodOf(i) * 1000;
      const ticks = (ticksOf.get(id) ?? []).toSorted((a, b) => a - b);
      for (let k = 1; k < ticks.length; k++) {
        if (ticks[k] === ticks[k - 1]) duplicates.push(`${id}@${ticks[k]}`);
      }
      const have = new Set(ticks);
      for (let tick = ticks[0] ?? Infinity; tick <= (ticks.at(-1) ?? -Infinity); tick += periodMs) {
        if (!have.has(tick)) missing.push(`${id}@${new Date(tick).toISOString()}`);
      }
      if (ticks.length === 0 || stoppedMs - ticks.at(-1)! > 2 * periodMs + 1_000) endedEarly.push(id);
    }
    const reports = workers.flatMap((worker) => worker.lines);
    const emitted = reports.filter((r) => r.outcome === "emitted").map((r) => `${r.schedule}@${r.tick}`);
    const storedKeys = stored.map((m) => `${m.headers["Walnats-Schedule"]}@${m.headers["Walnats-Tick"]}`);
    const reportedEmitted = new Set(emitted);
    const storedUnreported = storedKeys.filter((key) => !reportedEmitted.has(key));
    const unexplained = unexplainedFires(storedKeys, workers.map((worker) => worker.lines));
    const attempts = reports.reduce((sum, r) => sum + r.attempts, 0);
    const late = stored.filter((m) => m.headers["Walnats-Late"] === "true").length;
    console.log(`chaos: schedules: ${
      JSON.stringify({
        schedules: SCHEDULES,
        workers: workers.length,
        stored: stored.length,
        duplicates: duplicates.length,
        missing: missing.length,
        late,
        restartDownMs: downTo - downFrom,
        reports: reports.length,
        emittedReports: emitted.length,
        storedUnreported: storedUnreported.length,
        missedReports: reports.filter((r) => r.outcome === "missed").length,
        attemptsPerStoredFire: Number((attempts / stored.length).toFixed(2)),
        wallMs: stoppedMs - startedMs,
      })
    }`);

    assert.deepEqual(duplicates, [], "fires stored twice");
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} fires missing`);
    assert.deepEqual(endedEarly.slice(0, 20), [], "schedules whose fires stopped before the workers did");
    assert.ok(stored.length >= SCHEDULES * 6, `only ${stored.length} fires stored`);
    assert.equal(new Set(emitted).size, emitted.length, "a fire reported emitted twice");
    const storedSet = new Set(storedKeys);
    assert.deepEqual(emitted.filter((key) => !storedSet.has(key)), [], "fires reported emitted, not stored");
    assert.deepEqual(
      unexplained.first,
      [],
      `${unexplained.count} fires stored, their reports neither emitted nor unsure`,
    );
    assert.ok(late > 0, "no fire was caught up after the restart: the test did not test catch-up");
  } finally {
    await killAll(workers);
  }
});

function idOf(i: number): string {
  return `s-${String(i).padStart(3, "0")}`;
}
