/**
 * The actor examples against a real nats-server: the midnight backup on a
 * time source shifted to just before a Berlin midnight, and the delayed
 * reminder with a 1 s delay.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { delay } from "../../src/_async.ts";
import { type JobContext, systemTime } from "../../mod.ts";
import { backupActor, clock, runBackupAtMidnight } from "../../examples/backup_at_midnight.ts";
import { type Reminder, reminderDue, remindLater } from "../../examples/remind_in_5_days.ts";

/** The longest a run may take before the test stops it, in milliseconds. */
const RUN_TIMEOUT_MS = 10_000;

/** The first instant after `afterMs` that is 00:00 on Berlin's wall clock (always 22:00 or 23:00 UTC). */
function nextBerlinMidnight(afterMs: number): number {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin",
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
  });
  const day = Math.floor(afterMs / 86_400_000) * 86_400_000;
  const candidates = [-1, 0, 1, 2].flatMap((d) => [22, 23].map((h) => day + d * 86_400_000 + h * 3_600_000));
  const midnight = candidates.sort((a, b) => a - b).find((t) => t > afterMs && format.format(t) === "00:00");
  assert.ok(midnight !== undefined);
  return midnight;
}

/** Aborts `stop` after `ms` unless `done` settles first; for runs that end themselves when they succeed. */
async function stopAfter(ms: number, stop: AbortController, done: Promise<void>): Promise<boolean> {
  const timer = new AbortController();
  let timedOut = false;
  try {
    await Promise.race([
      done,
      delay(ms, timer.signal).then(() => {
        timedOut = true;
        stop.abort();
      }, () => {}),
    ]);
    await done;
  } finally {
    timer.abort();
  }
  return timedOut;
}

const context: JobContext = { attempt: 1, seq: 1, signal: new AbortController().signal, headers: {} };

Deno.test("examples/backup_at_midnight.ts backs up at the tick of Berlin midnight", async () => {
  await using server = await startNatsServer();
  // Shift the example's time to 300 ms before the next Berlin midnight, where the hourly clock ticks.
  const midnight = nextBerlinMidnight(Date.now() + 1_000);
  const offset = midnight - 300 - Date.now();
  const time = { now: () => Date.now() + offset, sleep: systemTime.sleep };
  const stop = new AbortController();
  const backups: Date[] = [];
  const timedOut = await stopAfter(
    RUN_TIMEOUT_MS,
    stop,
    runBackupAtMidnight({ servers: server.url }, stop.signal, (tick) => {
      backups.push(tick);
      stop.abort();
    }, time),
  );

  assert.equal(timedOut, false, `no backup within ${RUN_TIMEOUT_MS} ms`);
  assert.deepEqual(backups.map((tick) => tick.getTime()), [midnight]);
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    assert.equal((await jsm.streams.info(clock.event.stream)).state.messages, 1);
    const consumer = await jsm.consumers.info(clock.event.stream, "backup");
    assert.equal(consumer.delivered.stream_seq, 1);
    assert.equal(consumer.num_ack_pending, 0, "the backup's tick was acknowledged");
  } finally {
    await nc.close();
  }
});

Deno.test("examples/backup_at_midnight.ts: the backup actor skips the ticks that are not Berlin midnight", async () => {
  const midnight = nextBerlinMidnight(Date.now());
  const backups: number[] = [];
  const actor = backupActor((tick) => void backups.push(tick.getTime()));
  for (
    const tick of [midnight - 3_600_000, midnight + 3_600_000, midnight + 12 * 3_600_000, midnight + 23 * 3_600_000]
  ) {
    await actor.handler(new Date(tick), context);
  }
  assert.deepEqual(backups, []);
  await actor.handler(new Date(midnight), context);
  assert.deepEqual(backups, [midnight]);
});

Deno.test("examples/remind_in_5_days.ts with a 1 s delay sends the reminder once, not before it is due", async () => {
  await using server = await startNatsServer();
  const stop = new AbortController();
  const sent: { reminder: Reminder; at: number }[] = [];
  const before = Date.now();
  const timedOut = await stopAfter(
    RUN_TIMEOUT_MS,
    stop,
    remindLater(server.url, stop.signal, (reminder) => {
      sent.push({ reminder, at: Date.now() });
      stop.abort();
    }, 1),
  );

  assert.equal(timedOut, false, `no reminder within ${RUN_TIMEOUT_MS} ms`);
  assert.equal(sent.length, 1);
  const [{ reminder, at }] = sent as [typeof sent[0]];
  assert.equal(reminder.to, "ada@example.com");
  assert.equal(reminder.text, "Your trial ends in 2 days");
  const due = Date.parse(reminder.dueAt);
  assert.ok(due >= before + 1_000, `due ${due - before} ms after the start`);
  assert.ok(at >= due, `sent ${due - at} ms before it was due`);
  assert.ok(at <= due + 1_000, `sent ${at - due} ms after it was due`);
  const nc = await connect({ servers: server.url });
  try {
    const consumer = await (await jetstreamManager(nc)).consumers.info(reminderDue.stream, "send-reminder");
    assert.equal(consumer.num_ack_pending, 0, "the reminder was acknowledged");
  } finally {
    await nc.close();
  }
});
