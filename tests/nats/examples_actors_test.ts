/**
 * The actor examples against a real nats-server: the midnight backup on a
 * time source that starts just before a Berlin midnight, and the delayed
 * reminder with a 1 s delay.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { clock, runBackupAtMidnight } from "../../examples/backup_at_midnight.ts";
import { type Reminder, reminderDue, remindLater } from "../../examples/remind_in_5_days.ts";
import { nextBerlinMidnight, startingAt } from "../_examples.ts";
import { waitUntil } from "../_wait.ts";

Deno.test("examples/backup_at_midnight.ts backs up at the tick of Berlin midnight", async () => {
  await using server = await startNatsServer();
  // The example's time starts 300 ms before the next Berlin midnight, where the hourly clock ticks.
  const midnight = nextBerlinMidnight(Date.now() + 1_000);
  const stop = new AbortController();
  const backups: Date[] = [];
  const running = runBackupAtMidnight(
    { servers: server.url },
    stop.signal,
    (tick) => void backups.push(tick),
    startingAt(midnight - 300),
  );
  try {
    await waitUntil(() => backups.length > 0, { what: "the backup" });
  } finally {
    stop.abort();
    await running;
  }

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

Deno.test("examples/remind_in_5_days.ts with a 1 s delay sends the reminder once, not before it is due", async () => {
  await using server = await startNatsServer();
  const stop = new AbortController();
  const sent: { reminder: Reminder; at: number }[] = [];
  const before = Date.now();
  const running = remindLater(server.url, stop.signal, (reminder) => void sent.push({ reminder, at: Date.now() }), 1);
  try {
    await waitUntil(() => sent.length > 0, { what: "the reminder" });
  } finally {
    stop.abort();
    await running;
  }

  assert.equal(sent.length, 1);
  const [{ reminder, at }] = sent as [typeof sent[0]];
  assert.equal(reminder.to, "ada@example.com");
  assert.equal(reminder.text, "Your trial ends in 2 days");
  const due = Date.parse(reminder.dueAt);
  assert.ok(due >= before + 1_000, `due ${due - before} ms after the start`);
  assert.ok(at >= due, `sent ${due - at} ms before it was due`);
  const nc = await connect({ servers: server.url });
  try {
    const consumer = await (await jetstreamManager(nc)).consumers.info(reminderDue.stream, "send-reminder");
    assert.equal(consumer.num_ack_pending, 0, "the reminder was acknowledged");
  } finally {
    await nc.close();
  }
});
