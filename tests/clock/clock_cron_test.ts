import assert from "node:assert/strict";
import { Clock } from "../../src/clock/clock.ts";
import type { TickReport } from "../../src/clock/tick_report.ts";
import { Event } from "../../src/events/event.ts";
import { FakeTime } from "../../testing/fake_time.ts";
import { MemoryPublisher } from "../../testing/memory_publisher.ts";

/** Runs `clock` on fake time from `from` to `to` (ISO instants); returns the stored ticks as ISO text. */
async function ticksBetween(
  clock: Clock,
  from: string,
  to: string,
): Promise<{ ticks: string[]; reports: TickReport[] }> {
  using time = new FakeTime(from);
  const stream = new MemoryPublisher();
  const reports: TickReport[] = [];
  const stop = new AbortController();
  const done = clock.run(stream, { time, signal: stop.signal, onTick: (report) => reports.push(report) });
  await time.tickAsync(Date.parse(to) - Date.parse(from));
  stop.abort();
  await time.tickAsync(0);
  await done;
  return { ticks: stream.messages.map((m) => new Date(m.tickMs).toISOString()), reports };
}

Deno.test("A cron clock emits '30 * * * *' at all 25 real hours of the Berlin fall-back day", async () => {
  const clock = new Clock({ event: new Event("hourly-berlin", Date), cron: "30 * * * *", timezone: "Europe/Berlin" });
  // 2026-10-25 in Berlin: from 00:00 CEST (22:00Z the day before) to 00:00 CET (23:00Z).
  const { ticks, reports } = await ticksBetween(clock, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
  assert.equal(ticks.length, 25);
  assert.deepEqual(ticks.slice(0, 4), [
    "2026-10-24T22:30:00.000Z", // 00:30 CEST
    "2026-10-24T23:30:00.000Z", // 01:30 CEST
    "2026-10-25T00:30:00.000Z", // 02:30 CEST
    "2026-10-25T01:30:00.000Z", // 02:30 CET, the repeated hour
  ]);
  assert.ok(reports.every((r) => r.outcome === "emitted" && r.lagMs === 0));
});

Deno.test("A cron clock emits '30 2 * * *' once on the Berlin spring-forward day, at 03:00 CEST", async () => {
  const clock = new Clock({ event: new Event("nightly-berlin", Date), cron: "30 2 * * *", timezone: "Europe/Berlin" });
  const { ticks } = await ticksBetween(clock, "2026-03-27T12:00:00Z", "2026-03-30T12:00:00Z");
  assert.deepEqual(ticks, [
    "2026-03-28T01:30:00.000Z", // 02:30 CET
    "2026-03-29T01:00:00.000Z", // 02:30 does not exist: 03:00 CEST, just after the gap
    "2026-03-30T00:30:00.000Z", // 02:30 CEST
  ]);
});

Deno.test("A cron clock emits '30 1 * * *' once on the New York fall-back day, the first 01:30", async () => {
  const clock = new Clock({ cron: "30 1 * * *", timezone: "America/New_York" });
  const { ticks } = await ticksBetween(clock, "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z");
  assert.deepEqual(ticks, [
    "2026-11-01T05:30:00.000Z", // 01:30 EDT; 01:30 EST (06:30Z) does not run again
    "2026-11-02T06:30:00.000Z", // 01:30 EST
  ]);
});

Deno.test("A cron clock emits '30 * * * *' at the 23 real hours of the New York spring-forward day", async () => {
  const clock = new Clock({ cron: "30 * * * *", timezone: "America/New_York" });
  // 2026-03-08 in New York: from 00:00 EST (05:00Z) to 00:00 EDT the next day (04:00Z).
  const { ticks } = await ticksBetween(clock, "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z");
  assert.equal(ticks.length, 23);
  assert.deepEqual(ticks.slice(0, 3), [
    "2026-03-08T05:30:00.000Z", // 00:30 EST
    "2026-03-08T06:30:00.000Z", // 01:30 EST
    "2026-03-08T07:30:00.000Z", // 03:30 EDT: 02:30 does not exist
  ]);
});
