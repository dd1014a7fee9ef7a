/**
 * The soak: five clock processes of one 0.5 s event for a minute, the
 * server restarted every 20 s (down 0.5-2.5 s), and clocks SIGKILLed (then started again) or
 * SIGSTOPped for 1-3 s at random. With catch-up on, every tick from the
 * first stored to the last is stored exactly once, in order, the server's
 * downtime included.
 *
 * The plan of disruptions follows from a seed, printed first: replay a
 * failed run with `CHAOS_SEED=<seed> deno task test:chaos`. The test prints
 * one line of figures (`chaos:`), for docs/exactly-once.md.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { delay } from "../../src/_async.ts";
import { settled, waitUntil } from "../_wait.ts";
import { allReady, type ClockProcess, killAll, startClock, stopClock, untilPhase } from "../nats/_clocks.ts";
import { isoTick, readStream } from "../nats/_stream.ts";
import { auditTicks, chaosSeed, Random, SEED_VARIABLE } from "./_chaos.ts";

const PERIOD_MS = 500;
const CLOCKS = 5;
/** How long the disruptions go on. */
const RUN_MS = 60_000;
/** A server restart at each multiple of this within the run. */
const RESTART_EVERY_MS = 20_000;
/** 20 s of ticks: more than a server restart (down at most 2.5 s, then the clients' reconnect) costs. */
const CATCH_UP = 40;

/** One disruption of a clock process, planned from the seed. */
interface ClockAction {
  /** Milliseconds after the start of the run. */
  atMs: number;
  slot: number;
  /** `kill`: SIGKILL, start a new process after `holdMs`. `stop`: SIGSTOP, SIGCONT after `holdMs`. */
  kind: "kill" | "stop";
  holdMs: number;
}

/** The run's disruptions of clocks: one every 0.8-2.5 s, on a clock that is not being disrupted already. */
function planActions(random: Random): ClockAction[] {
  const actions: ClockAction[] = [];
  const busyUntil = Array.from({ length: CLOCKS }, () => 0);
  for (let atMs = 2_000 + random.int(800, 2_500); atMs < RUN_MS - 5_000; atMs += random.int(800, 2_500)) {
    const kind = random.next() < 0.35 ? "kill" : "stop";
    const holdMs = kind === "stop" ? random.int(1_000, 3_000) : random.int(500, 2_000);
    const free = busyUntil.flatMap((until, slot) => until <= atMs ? [slot] : []);
    if (free.length === 0) continue;
    const slot = random.pick(free);
    // A killed clock's new process needs a moment to start.
    busyUntil[slot] = atMs + holdMs + (kind === "kill" ? 3_000 : 0);
    actions.push({ atMs, slot, kind, holdMs });
  }
  return actions;
}

Deno.test("soak: 5 clocks of 0.5 s with catchUp 40, a server restart every 20 s, clocks SIGKILLed and SIGSTOPped at random: each tick once, in order, none missing", async () => {
  const seed = chaosSeed();
  console.log(`chaos: soak seed ${seed} (replay: ${SEED_VARIABLE}=${seed} deno task test:chaos)`);
  const random = new Random(seed);
  const actions = planActions(random);
  const serverRestarts = Array.from({ length: Math.floor((RUN_MS - 1) / RESTART_EVERY_MS) }, () => ({
    signal: random.pick(["SIGTERM", "SIGKILL"] as const),
    downMs: random.int(500, 2_500),
  }));

  await using server = await startNatsServer();
  const event = "chaos-soak";
  /** Every process started, for the reports and the cleanup; `slots` holds each slot's current one. */
  const all: ClockProcess[] = [];
  const slots: ClockProcess[] = [];
  const start = (slot: number) => {
    const clock = startClock(`#${slot + 1}.${all.length}`, server.url, event, {
      periodMs: PERIOD_MS,
      catchUp: CATCH_UP,
    });
    all.push(clock);
    slots[slot] = clock;
    return clock;
  };
  let serverUp = true;
  const downtimes: [number, number][] = [];
  try {
    for (let slot = 0; slot < CLOCKS; slot++) start(slot);
    await allReady(slots);
    const startedMs = Date.now();

    const restarts = serverRestarts.map(async (restart, i) => {
      await delay(startedMs + (i + 1) * RESTART_EVERY_MS - Date.now());
      const downMs = Date.now();
      serverUp = false;
      await server.restart(restart);
      serverUp = true;
      downtimes.push([downMs, Date.now()]);
    });
    const disruptions = actions.map(async ({ atMs, slot, kind, holdMs }) => {
      await delay(startedMs + atMs - Date.now());
      const clock = slots[slot]!;
      await settled(clock.ready, { what: `clock ${clock.label} to be ready` });
      if (kind === "stop") {
        clock.child.kill("SIGSTOP");
        await delay(holdMs);
        clock.child.kill("SIGCONT");
        return;
      }
      clock.child.kill("SIGKILL");
      await clock.child.status;
      await delay(holdMs);
      // A new process connects once: not while the server is down; again if it went down meanwhile.
      for (let tries = 1;; tries++) {
        await waitUntil(() => serverUp, { what: "the server to be up" });
        const restarted = start(slot);
        try {
          await allReady([restarted]);
          return;
        } catch (error) {
          if (tries >= 3) throw error;
        }
      }
    });
    for (const result of await Promise.allSettled([...restarts, ...disruptions])) {
      if (result.status === "rejected") throw result.reason;
    }
    // The clocks store ticks on time again, for a few ticks; then they stop between two ticks.
    const lastMs = Date.now();
    await waitUntil(
      () => all.some((clock) => clock.lines.some((r) => r.outcome === "emitted" && !r.late && r.tick > lastMs)),
      { what: "a tick stored on time after the disruptions" },
    );
    await delay(4 * PERIOD_MS);
    await untilPhase(200, 400);
    const stoppedMs = Date.now();
    await Promise.all(slots.map((clock) => stopClock(clock)));

    const audit = auditTicks(await readStream(server.url, event), PERIOD_MS);
    const reports = all.flatMap((clock) => clock.lines);
    const inDowntime = (tick: number) => downtimes.some(([from, to]) => from <= tick && tick <= to + PERIOD_MS);
    const kills = actions.filter((a) => a.kind === "kill").length;
    console.log(`chaos: soak: ${
      JSON.stringify({
        seed,
        ticks: (audit.last - audit.first) / PERIOD_MS + 1,
        stored: audit.stored,
        duplicates: audit.duplicates.length,
        missing: audit.missing.length,
        missingOutsideDowntime: audit.missing.filter((tick) => !inDowntime(tick)).length,
        late: audit.late.length,
        lateInDowntime: audit.late.filter(inDowntime).length,
        kills,
        stops: actions.length - kills,
        restarts: downtimes.length,
        serverRestarts: serverRestarts.map(({ signal, downMs }) => `${signal}, down ${downMs} ms`),
        downtimesMs: downtimes.map(([from, to]) => to - from),
        missedReports: reports.filter((r) => r.outcome === "missed").length,
        processes: all.length,
        wallMs: stoppedMs - startedMs,
      })
    }`);

    assert.deepEqual(audit.duplicates, [], "ticks stored more than once");
    assert.deepEqual(audit.outOfOrder, [], "messages whose tick is not after the one before");
    assert.deepEqual(audit.missing.map(isoTick), [], "ticks missing");
    assert.ok(audit.stored >= 100, `only ${audit.stored} ticks stored`);
    assert.ok(stoppedMs - audit.last < 2 * PERIOD_MS, `the last tick stored is ${isoTick(audit.last)}`);
    assert.equal(downtimes.length, serverRestarts.length);
    const emitted = reports.filter((r) => r.outcome === "emitted").map((r) => r.tick);
    assert.equal(new Set(emitted).size, emitted.length, "a tick reported emitted by two clocks");
  } finally {
    await killAll(all);
  }
});
