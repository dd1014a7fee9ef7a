/**
 * Testing a periodic job: the nightly backup of `backup_at_midnight.ts`, on
 * fake time and an in-memory server. Three days pass in milliseconds, with
 * no network; the same code runs against a real server when it is given
 * `{ servers: "nats://..." }` instead of the MemoryServer.
 *
 *     deno test examples/testing_a_periodic_job_test.ts
 */
import assert from "node:assert/strict";
import { FakeTime, MemoryServer } from "../testing/mod.ts";
import { runBackupAtMidnight } from "./backup_at_midnight.ts";

Deno.test("the backup runs at midnight in Berlin, once a night, across the end of summer time", async () => {
  using time = new FakeTime("2026-10-24T12:00:00Z");
  const server = new MemoryServer(time); // or { servers: "nats://127.0.0.1:4222" }
  const nights: string[] = [];
  const stop = new AbortController();
  const running = runBackupAtMidnight(server, stop.signal, (tick) => void nights.push(tick.toISOString()));

  await time.tickAsync(3 * 24 * 3600_000);
  stop.abort();
  await running;

  assert.deepEqual(nights, [
    "2026-10-24T22:00:00.000Z", // 00:00 summer time (UTC+2)
    "2026-10-25T23:00:00.000Z", // 00:00 winter time (UTC+1): summer time ended at 03:00 that night
    "2026-10-26T23:00:00.000Z",
  ]);
});

Deno.test("a backup that fails is tried again a minute later, for the same night", async () => {
  using time = new FakeTime("2026-10-24T21:59:00Z");
  const server = new MemoryServer(time);
  const attempts: string[] = [];
  const stop = new AbortController();
  const running = runBackupAtMidnight(server, stop.signal, (tick, { attempt }) => {
    attempts.push(`night of ${tick.toISOString()}: attempt ${attempt} at ${new Date(time.now()).toISOString()}`);
    if (attempt === 1) throw new Error("the backup disk is full");
  });

  await time.tickAsync(10 * 60_000);
  stop.abort();
  await running;

  assert.deepEqual(attempts, [
    "night of 2026-10-24T22:00:00.000Z: attempt 1 at 2026-10-24T22:00:00.000Z",
    "night of 2026-10-24T22:00:00.000Z: attempt 2 at 2026-10-24T22:01:00.000Z",
  ]);
});
