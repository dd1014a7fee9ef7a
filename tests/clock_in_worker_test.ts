/** examples/clock_in_worker.ts without a server to reach; tests/nats/clock_in_worker_test.ts runs it on one. */
import assert from "node:assert/strict";
import { startClockInWorker } from "../examples/clock_in_worker.ts";

Deno.test("examples/clock_in_worker.ts reports a Worker that cannot connect", async () => {
  const clock = startClockInWorker({ servers: "nats://127.0.0.1:1", event: "tenth-passed", period: 0.1 }, () => {});
  await assert.rejects(clock.stopped, /Cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
});
