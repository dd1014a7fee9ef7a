/**
 * Exactly one message per tick with three clocks in three real processes,
 * through a server restart, a paused process and skewed system clocks; and
 * proof that the counting finds duplicates when there are some.
 *
 * Each case runs about 32 ticks of 1 s, then stops the clocks and reads
 * every message of the event's stream by sequence.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { delay } from "../../src/_async.ts";
import { Event, Events, type EventsConnection } from "../../mod.ts";
import {
  allReady,
  assertEachTickOnce,
  type ClockProcess,
  countTicks,
  killAll,
  PERIOD_MS,
  startClock,
  stopClock,
  untilPhase,
} from "./_clocks.ts";
import type { ReportLine } from "./_clock_process.ts";
import { isoTick, readStream, type StoredMessage } from "./_stream.ts";

/** How long the clocks run in each case: at least 30 ticks. */
const RUN_MS = 32_000;

/** The wire format of each stored tick, and that the stream holds them in tick order. */
function assertTickMessages(messages: StoredMessage[], event: string): void {
  let previous = -Infinity;
  for (const message of messages) {
    const tick = Number(message.headers["Walnats-Tick"]);
    assert.equal(message.subject, event);
    assert.equal(tick % PERIOD_MS, 0, `message ${message.seq} has tick ${tick}, not on the period`);
    assert.equal(message.payload, isoTick(tick));
    assert.equal(message.headers["Nats-Msg-Id"], `${event}:${tick}`);
    assert.ok(tick > previous, `message ${message.seq} (tick ${tick}) is not after the previous tick ${previous}`);
    previous = tick;
  }
}

/**
 * Runs three clock processes for about 32 ticks, calls `during` while they
 * run, stops them, and checks the stream: each tick once, and the clocks'
 * reports agree with it (one `emitted` per stored tick, nothing more).
 */
async function runThreeClocks(
  event: string,
  options: { skews?: [number, number, number]; duplicateWindow?: number; cron?: string },
  during: (context: { clocks: ClockProcess[]; restart: (signal: "SIGTERM" | "SIGKILL") => Promise<void> }) => Promise<
    void
  >,
): Promise<{ clocks: ClockProcess[]; messages: StoredMessage[] }> {
  await using server = await startNatsServer();
  const clocks: ClockProcess[] = [];
  try {
    const skews = options.skews ?? [0, 0, 0];
    for (const [index, skewMs] of skews.entries()) {
      clocks.push(startClock(`#${index + 1} (skew ${skewMs} ms)`, server.url, event, {
        skewMs,
        ...(options.duplicateWindow === undefined ? {} : { duplicateWindow: options.duplicateWindow }),
        ...(options.cron === undefined ? {} : { cron: options.cron }),
      }));
    }
    await allReady(clocks);
    const started = Date.now();
    await during({ clocks, restart: (signal) => server.restart({ signal }) });
    await delay(started + RUN_MS - Date.now());
    // Stop between two publishes: clocks with skew 0 publish at x.000 s, with +-500 ms at x.500 s.
    await untilPhase(250, 450);
    for (const clock of clocks) await stopClock(clock);
    const messages = await readStream(server.url, new Event(event, Date).stream);
    checkRun(clocks, messages, event);
    return { clocks, messages };
  } finally {
    await killAll(clocks);
  }
}

function checkRun(clocks: ClockProcess[], messages: StoredMessage[], event: string): void {
  const reports = clocks.flatMap((clock) => clock.lines);
  const missedByAll = new Set(
    [...new Set(reports.map((r) => r.tick))].filter((tick) =>
      clocks.every((clock) => clock.lines.some((r) => r.tick === tick && r.outcome === "missed"))
    ),
  );
  const counts = countTicks(messages);
  assertEachTickOnce(counts, missedByAll);
  assertTickMessages(messages, event);
  assert.ok(messages.length >= 30, `only ${messages.length} ticks were stored`);

  // The reports agree with the stream: one clock says `emitted` for each stored tick, and a clock
  // that says `duplicate` names a tick that is stored, or one before the first stored tick (a clock
  // that starts behind the others finds a later tick stored already).
  const emitted = reports.filter((r) => r.outcome === "emitted");
  assert.equal(
    emitted.length,
    messages.length,
    `the clocks reported ${emitted.length} ticks emitted, the stream stores ${messages.length}`,
  );
  assert.deepEqual(
    emitted.map((r) => r.tick).sort((a, b) => a - b),
    [...counts.keys()].sort((a, b) => a - b),
  );
  const firstStored = Math.min(...counts.keys());
  for (const report of reports.filter((r) => r.outcome === "duplicate")) {
    assert.ok(
      counts.has(report.tick) || report.tick < firstStored,
      `a clock reported ${isoTick(report.tick)} a duplicate; it is not stored`,
    );
  }
  for (const report of emitted) {
    const stored = messages.find((m) => Number(m.headers["Walnats-Tick"]) === report.tick);
    assert.equal(report.seq, stored?.seq);
  }
}

Deno.test("three clock processes store each tick once while the server restarts twice", async () => {
  let restarted = 0;
  const { messages } = await runThreeClocks("once-restart", {}, async ({ restart }) => {
    await delay(8_000);
    // Just after a tick, so that no publish is in flight: one SIGKILL, one SIGTERM.
    await untilPhase(150, 500);
    await restart("SIGKILL");
    await delay(8_000);
    await untilPhase(150, 500);
    await restart("SIGTERM");
    restarted = Date.now();
  });
  // The clocks came back after the second restart.
  const after = messages.filter((m) => Number(m.headers["Walnats-Tick"]) > restarted);
  assert.ok(after.length >= 10, `${after.length} ticks stored after the second restart`);
});

Deno.test("three cron clock processes ('* * * * * *') store each tick once while the server restarts", async () => {
  // runThreeClocks checks the stream: each tick once, 30 at least, one `emitted` report per stored tick.
  await runThreeClocks("once-cron", { cron: "* * * * * *" }, async ({ restart }) => {
    await delay(10_000);
    await untilPhase(150, 500);
    await restart("SIGKILL");
  });
});

/** A SIGSTOP of one clock process: from `stoppedMs` (after the stop) to `continuedMs` (before the SIGCONT). */
interface Pause {
  stoppedMs: number;
  continuedMs: number;
}

/**
 * Stops the process 300 ms before a tick (no publish of its in flight), and continues it `afterTickMs`
 * after the first tick that came while it was stopped.
 */
async function pause(clock: ClockProcess, afterTickMs: number): Promise<Pause> {
  await untilPhase(-300, -50);
  clock.child.kill("SIGSTOP");
  const stoppedMs = Date.now();
  await delay(Math.floor(stoppedMs / PERIOD_MS) * PERIOD_MS + PERIOD_MS + afterTickMs - Date.now());
  const continuedMs = Date.now();
  clock.child.kill("SIGCONT");
  return { stoppedMs, continuedMs };
}

Deno.test("a clock paused longer than the duplicate window stores nothing when it resumes", async () => {
  const windowMs = 200;
  const pauses: Pause[] = [];
  const { clocks } = await runThreeClocks("once-paused", { duplicateWindow: windowMs / 1_000 }, async ({ clocks }) => {
    const clock = clocks[0];
    assert.ok(clock !== undefined);
    await delay(5_000);
    // Resumed 500 ms after a tick, more than the duplicate window after the others stored it.
    pauses.push(await pause(clock, 500));
    await delay(5_000);
    // Paused across ticks: resumed 2.2 s after the first tick it slept through.
    pauses.push(await pause(clock, 2_200));
  });
  // runThreeClocks checked the stream: each tick stored once, one `emitted` report per stored tick.
  const [resumed, ...others] = clocks as [ClockProcess, ...ClockProcess[]];
  const byOthers = others.flatMap((clock) => clock.lines).filter((r) => r.outcome === "emitted");
  for (const { stoppedMs, continuedMs } of pauses) {
    const during = (tick: number) => tick > stoppedMs && tick <= continuedMs;
    const ticks = [...new Set(clocks.flatMap((clock) => clock.lines).map((r) => r.tick))].filter(during);
    assert.ok(ticks.length > 0, `no tick came while the clock was stopped (${stoppedMs} to ${continuedMs})`);
    for (const tick of ticks) {
      const own = resumed.lines.filter((r) => r.tick === tick);
      const what = `${isoTick(tick)}, paused ${stoppedMs - tick} to ${continuedMs - tick} ms from it`;
      assert.equal(own.length, 1, `the resumed clock reported ${JSON.stringify(own)} for ${what}`);
      const [report] = own as [ReportLine];
      // A tick another clock stored before this one could run again: found stored, or given up, never stored again.
      const stored = byOthers.find((r) => r.tick === tick && r.tick + r.lagMs < continuedMs);
      if (stored !== undefined) {
        assert.notEqual(report.outcome, "emitted", `the resumed clock stored ${what} a second time`);
      }
      // A tick whose period ended while the clock was stopped: overslept, reported missed.
      if (tick + PERIOD_MS <= continuedMs) {
        assert.deepEqual([report.outcome, report.reason], ["missed", "late"], `the resumed clock's report of ${what}`);
      }
    }
  }
  // The long pause covered two whole periods at least: two ticks overslept.
  const long = pauses[1]!;
  const overslept = resumed.lines.filter((r) => r.tick > long.stoppedMs && r.tick + PERIOD_MS <= long.continuedMs);
  assert.ok(overslept.length >= 2, `the long pause overslept ${JSON.stringify(overslept)}`);
});

Deno.test("three clock processes with system clocks 500 ms apart store each tick once", async () => {
  // A duplicate window shorter than the skew: the server forgets an id before the last clock
  // publishes it, so only the tick ledger keeps the tick out.
  const { clocks, messages } = await runThreeClocks(
    "once-skewed",
    { skews: [-500, 0, 500], duplicateWindow: 0.1 },
    () => Promise.resolve(),
  );
  // runThreeClocks checked the stream: each tick stored once, one `emitted` report per stored tick.
  // The clock 500 ms ahead stores most ticks (all, unless it wakes 500 ms late); the clock behind, 1 s after
  // it and far past the duplicate window, finds most ticks stored.
  const [behind, , ahead] = clocks as [ClockProcess, ClockProcess, ClockProcess];
  const emittedByAhead = ahead.lines.filter((r) => r.outcome === "emitted").length;
  assert.ok(emittedByAhead > messages.length / 2, `the clock ahead emitted ${emittedByAhead} of ${messages.length}`);
  const foundStored = behind.lines.filter((r) => r.outcome === "duplicate").length;
  assert.ok(foundStored > messages.length / 2, `the clock behind found ${foundStored} of ${messages.length} stored`);
});

Deno.test("the count finds duplicates: walnats-style ids from the time's remainder store a tick per clock", async () => {
  await using server = await startNatsServer();
  const event = new Event("walnats-style", Date);
  const conns: EventsConnection[] = [];
  const stop = new AbortController();
  try {
    for (let i = 0; i < 3; i++) conns.push(await new Events(event).connect({ servers: server.url }));
    await conns[0]?.register();
    // As walnats does: wake at each tick of this clock's time, and emit with the id
    // `now % period` (sub-millisecond, as Python's float seconds), without any ledger.
    const runs = [-500, 0, 500].map(async (skewMs, index) => {
      const conn = conns[index];
      assert.ok(conn !== undefined);
      const now = () => performance.timeOrigin + performance.now() + skewMs;
      for (let sent = 0; sent < 4; sent++) {
        await delay(PERIOD_MS - (now() % PERIOD_MS), stop.signal);
        const at = now();
        await conn.emit(event, new Date(at), { uid: String(at % PERIOD_MS) });
      }
    });
    for (const run of await Promise.allSettled(runs)) {
      if (run.status === "rejected") throw run.reason;
    }
  } finally {
    stop.abort();
    await Promise.all(conns.map((conn) => conn.close()));
  }
  const messages = await readStream(server.url, event.stream);
  const counts = countTicks(messages);
  assert.equal(messages.length, 12, "every emit was stored: the ids never match");
  assert.ok([...counts.values()].some((count) => count > 1));
  assert.throws(() => assertEachTickOnce(counts), /ticks stored more than once/);
});
