/**
 * The fires' log on a real nats-server (src/nats/fire_log.ts): manual fires
 * stored without the ledger check and deduplicated by their id, and a
 * schedule's fires read back on both its subjects, oldest first, from a
 * stored time.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { ErrorCode, Event, isWalnatsError } from "../../mod.ts";
import { fireMessage, manualFireMessage } from "../../src/schedules/_fire.ts";
import { dialOrAdopt } from "../../src/nats/connect.ts";
import { connectNatsSchedules } from "../../src/nats/schedule_store.ts";
import type { FireLog, StoredFire } from "../../src/schedules/stores.ts";

const reminder = new Event("reminder", Object);
const template = { id: "r", event: "reminder", stream: "reminder", payload: new Uint8Array([123, 125]), meta: {} };

async function all(log: FireLog, id: string, sinceMs?: number): Promise<StoredFire[]> {
  const fires: StoredFire[] = [];
  for await (const fire of log.read({ stream: "reminder", id }, sinceMs === undefined ? {} : { sinceMs })) {
    fires.push(fire);
  }
  return fires;
}

Deno.test("NatsFireLog stores manual fires by id and reads a schedule's fires on both subjects, oldest first", async () => {
  await using server = await startNatsServer();
  const conn = connectNatsSchedules(await dialOrAdopt({ servers: server.url }), [reminder]);
  try {
    await conn.events.register();
    assert.deepEqual(await all(conn.fires, "r"), [], "nothing stored yet");
    const scheduled = await conn.events.publishTick(fireMessage(template, 1_000, "worker-1", false), {
      timeoutMs: 5_000,
    });
    const manual = manualFireMessage(template, 500, { trigger: false });
    const first = await conn.fires.publish(manual, { timeoutMs: 5_000 });
    const again = await conn.fires.publish(manual, { timeoutMs: 5_000 });
    assert.equal(again.duplicate, true, "the same id twice is one message");
    const triggered = await conn.fires.publish(manualFireMessage(template, 1_234, { trigger: true }), {
      timeoutMs: 5_000,
    });
    // Another schedule's fires are not this one's.
    await conn.fires.publish(manualFireMessage({ ...template, id: "other" }, 1_000, { trigger: true }), {
      timeoutMs: 5_000,
    });
    const fires = await all(conn.fires, "r");
    assert.deepEqual(
      fires.map(({ seq, subject, tickMs, late }) => ({ seq, subject, tickMs, late })),
      [
        { seq: scheduled.seq, subject: "walnats-schedule.reminder.r.tick", tickMs: 1_000, late: false },
        { seq: first.seq, subject: "walnats-schedule.reminder.r.manual", tickMs: 500, late: true },
        { seq: triggered.seq, subject: "walnats-schedule.reminder.r.manual", tickMs: 1_234, late: false },
      ],
    );
    const now = Date.now();
    assert.ok(fires.every((fire) => Math.abs(fire.storedMs - now) < 60_000), "stored at the server's time");
    // From a stored time: everything stored after it, nothing stored before.
    assert.deepEqual(await all(conn.fires, "r", now + 60_000), []);
    assert.equal((await all(conn.fires, "r", fires[0]!.storedMs)).length, 3);
    assert.deepEqual(await all(conn.fires, "nobody"), []);
  } finally {
    await conn.events.close();
  }
});

Deno.test("NatsFireLog reads more fires than one batch, in order", async () => {
  await using server = await startNatsServer();
  const conn = connectNatsSchedules(await dialOrAdopt({ servers: server.url }), [reminder]);
  try {
    await conn.events.register();
    for (let tick = 1; tick <= 600; tick++) {
      await conn.fires.publish(manualFireMessage(template, tick, { trigger: false }), { timeoutMs: 5_000 });
    }
    const fires = await all(conn.fires, "r");
    assert.deepEqual(fires.map((fire) => fire.tickMs), Array.from({ length: 600 }, (_, i) => i + 1));
  } finally {
    await conn.events.close();
  }
});

Deno.test("NatsFireLog names a missing stream: STREAM_NOT_FOUND", async () => {
  await using server = await startNatsServer();
  const conn = connectNatsSchedules(await dialOrAdopt({ servers: server.url }), [reminder]);
  try {
    await assert.rejects(all(conn.fires, "r"), (error) => isWalnatsError(error, ErrorCode.StreamNotFound));
  } finally {
    await conn.events.close();
  }
});
