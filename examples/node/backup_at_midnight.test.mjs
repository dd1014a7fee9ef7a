/**
 * examples/testing_a_periodic_job_test.ts for Node.js, with `node:test`: the
 * nightly backup of `backup_at_midnight.mjs`, on fake time and an in-memory
 * server. Three days pass in milliseconds, with no network.
 *
 *     npx jsr add @walnats/clock
 *     node --test backup_at_midnight.test.mjs
 *
 * Run by tests/node_test.ts on the package built with esbuild.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeTime, MemoryServer } from "@walnats/clock/testing";
import { runBackupAtMidnight } from "./backup_at_midnight.mjs";

test("the backup runs at midnight in Berlin, once a night, across the end of summer time", async () => {
  const time = new FakeTime("2026-10-24T12:00:00Z");
  try {
    const server = new MemoryServer(time); // or { servers: "nats://127.0.0.1:4222" }
    const nights = [];
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
  } finally {
    time[Symbol.dispose](); // what `using` does, where Node has it
  }
});

test("a backup that fails is tried again a minute later, for the same night", async () => {
  const time = new FakeTime("2026-10-24T21:59:00Z");
  try {
    const server = new MemoryServer(time);
    const attempts = [];
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
  } finally {
    time[Symbol.dispose]();
  }
});
