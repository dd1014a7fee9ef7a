/**
 * Three clock processes of one event on a nats-server of their own for about 32 ticks of 1 s, with something done to
 * them meanwhile; then every message of the event's stream, read by sequence, checked against the clocks' reports.
 * The exactly-once tests (exactly_once_*_test.ts) share it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { delay } from "../../src/_async.ts";
import { Event } from "../../mod.ts";
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
export async function runThreeClocks(
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
