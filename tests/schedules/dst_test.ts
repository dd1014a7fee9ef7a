/**
 * DST policies on the testing kit: schedules and clocks on FakeTime + MemoryServer across real 2026 changes, which
 * a run on a real nats-server cannot reach in real time (tests/_schedule_behaviours.ts runs a `dst` schedule on both
 * backends away from a change). The instants are written by hand (see tests/core/cron_schedule_test.ts).
 */
import assert from "node:assert/strict";
import { Clock, Event, type FireReport, Schedules } from "../../mod.ts";
import { FakeTime, MemoryPublisher, MemoryServer } from "../../testing/mod.ts";
import { decodeRecord, encodeRecord, scheduleRecord } from "../../src/schedules/_schedule_record.ts";

const nightly = new Event("nightly", Date);

/** The ticks (ISO) of the fires stored for each schedule, in stream order. */
function firesById(server: MemoryServer): Record<string, string[]> {
  const fires: Record<string, string[]> = {};
  for (const { headers } of server.messages(nightly)) {
    const id = headers["Walnats-Schedule"] ?? "?";
    (fires[id] ??= []).push(new Date(Number(headers["Walnats-Tick"])).toISOString());
  }
  return fires;
}

/** Runs one worker from `start` for `ms` of fake time on the schedules `upsert` makes, and returns the fires. */
async function runAcross(
  start: string,
  ms: number,
  upsert: (schedules: Awaited<ReturnType<Schedules["connect"]>>) => Promise<void>,
): Promise<{ fires: Record<string, string[]>; reports: FireReport[] }> {
  using time = new FakeTime(start);
  const server = new MemoryServer(time);
  await using schedules = await new Schedules(nightly).connect(server);
  await schedules.register();
  await upsert(schedules);
  const stop = new AbortController();
  const reports: FireReport[] = [];
  const running = schedules.run({ signal: stop.signal, onTick: (report) => void reports.push(report) });
  await time.tickAsync(ms);
  stop.abort();
  await running;
  return { fires: firesById(server), reports };
}

Deno.test("schedules with dst fire across Berlin's spring gap as chosen: shift once at 03:00, skip not at all", async () => {
  // 02:00:00, 02:20:00 and 02:40:00 do not exist on 2026-03-29: the clocks jump from 02:00 (+1) to 03:00 (+2).
  const cron = "0 */20 2 * * *";
  const { fires, reports } = await runAcross("2026-03-29T00:59:00Z", 3 * 60_000, async (schedules) => {
    await schedules.upsert("shift", { event: nightly, cron, timezone: "Europe/Berlin", dst: { gap: "shift" } });
    await schedules.upsert("skip", { event: nightly, cron, timezone: "Europe/Berlin", dst: { gap: "skip" } });
    await schedules.upsert("classic", { event: nightly, cron, timezone: "Europe/Berlin" });
    // describe() previews the chosen behaviour.
    const shift = await schedules.describe("shift", { next: 2, recent: 0 });
    assert.deepEqual(shift.next.map((date) => date.toISOString()), [
      "2026-03-29T01:00:00.000Z", // 03:00 CEST, once for the three wall times in the gap
      "2026-03-30T00:00:00.000Z", // 02:00 CEST the next day
    ]);
    assert.deepEqual(shift.schedule.dst, { gap: "shift" });
    const skip = await schedules.describe("skip", { next: 1, recent: 0 });
    assert.deepEqual(skip.next.map((date) => date.toISOString()), ["2026-03-30T00:00:00.000Z"]);
  });
  assert.deepEqual(fires, { shift: ["2026-03-29T01:00:00.000Z"] });
  assert.deepEqual(reports.map((r) => [r.schedule, r.outcome]), [["shift", "emitted"]]);
});

Deno.test("schedules with dst fire across Lord Howe's 30-minute fall-back as chosen: first, last or both", async () => {
  // 2026-04-05 01:45 happens at 14:45Z (+11) and again at 15:15Z (+10:30) of 04-04.
  const cron = "0 45 1 * * *";
  const zone = "Australia/Lord_Howe";
  const { fires } = await runAcross("2026-04-04T14:44:00Z", 32 * 60_000, async (schedules) => {
    for (const repeat of ["first", "last", "both"] as const) {
      await schedules.upsert(repeat, { event: nightly, cron, timezone: zone, dst: { repeat } });
    }
    const last = await schedules.describe("last", { next: 2, recent: 0 });
    assert.deepEqual(last.next.map((date) => date.toISOString()), [
      "2026-04-04T15:15:00.000Z",
      "2026-04-05T15:15:00.000Z",
    ]);
  });
  assert.deepEqual(fires, {
    first: ["2026-04-04T14:45:00.000Z"],
    both: ["2026-04-04T14:45:00.000Z", "2026-04-04T15:15:00.000Z"],
    last: ["2026-04-04T15:15:00.000Z"],
  });
});

Deno.test("a cron clock with dst previews and emits its ticks across Santiago's midnight gap as chosen", async () => {
  // 2026-09-06 00:00-00:59 does not exist in Santiago: the day starts at 01:00 (-3), 04:00Z.
  const options = { event: new Event("santiago-midnight", Date), cron: "@daily", timezone: "America/Santiago" };
  const skip = new Clock({ ...options, dst: { gap: "skip" } });
  const shift = new Clock({ ...options, dst: { gap: "shift" } });
  assert.deepEqual(skip.dst, { gap: "skip" });
  const from = new Date("2026-09-05T12:00:00Z");
  assert.deepEqual(skip.nextTicks(2, from).map((date) => date.toISOString()), [
    "2026-09-07T03:00:00.000Z", // 09-07 00:00 (-3); none on 09-06
    "2026-09-08T03:00:00.000Z",
  ]);
  assert.deepEqual(shift.nextTicks(2, from).map((date) => date.toISOString()), [
    "2026-09-06T04:00:00.000Z", // 01:00 (-3), the first instant after the gap
    "2026-09-07T03:00:00.000Z",
  ]);
  using time = new FakeTime("2026-09-06T03:59:00Z");
  const stream = new MemoryPublisher();
  const done = skip.run(stream, { burst: true, time });
  await time.tickAsync(2 * 60_000);
  assert.equal(stream.messages.length, 0, "no tick at the gap with skip");
  await time.tickAsync(24 * 3_600_000);
  await done;
  assert.deepEqual(stream.messages.map((message) => message.msgId), ["santiago-midnight:1788750000000"]);
  assert.equal(new Date(1788750000000).toISOString(), "2026-09-07T03:00:00.000Z");
});

Deno.test("a schedule record with dst is version 2 and keeps the fields given; one without stays as before", () => {
  const events = new Map([[nightly.name, nightly]]);
  const now = Date.parse("2026-12-01T12:00:00Z");
  const record = scheduleRecord("n", { event: nightly, cron: "30 2 * * *", dst: { repeat: "last" } }, events, now);
  assert.equal(record.v, 2);
  assert.deepEqual(record.dst, { repeat: "last" });
  assert.deepEqual(decodeRecord(encodeRecord(record)).dst, { repeat: "last" });
  const plain = scheduleRecord("n", { event: nightly, cron: "30 2 * * *", dst: {} }, events, now);
  assert.equal(plain.v, 1);
  assert.equal(Object.hasOwn(plain, "dst"), false);
  // A stored policy this version does not know is refused, never fired without it.
  const unknown = new TextEncoder().encode(JSON.stringify({ ...record, dst: { repeat: "middle" } }));
  assert.throws(() => decodeRecord(unknown), /Cannot read schedule 'n': 'dst\.repeat' must be .*got 'middle'/);
});
