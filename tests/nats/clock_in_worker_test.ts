import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import type { TickReport } from "../../mod.ts";
import { busyFor, startClockInWorker } from "../../examples/clock_in_worker.ts";

Deno.test("examples/clock_in_worker.ts ticks on time while the main thread is blocked", async () => {
  const server = await startNatsServer();
  try {
    const reports: TickReport[] = [];
    const clock = startClockInWorker({ servers: server.url, event: "fifth-passed", period: 0.2 }, (report) => {
      reports.push(report);
    });
    const started = Date.now();
    while (reports.length < 4 && Date.now() - started < 10_000) {
      busyFor(500); // longer than two periods: a clock on this thread would miss ticks
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await clock.stop();

    assert.ok(reports.length >= 4, `${reports.length} reports`);
    assert.ok(reports.every((report) => report.outcome === "emitted"), JSON.stringify(reports));
    const ticks = reports.map((report) => report.tick.getTime());
    assert.deepEqual(ticks, ticks.map((_, index) => ticks[0]! + index * 200), "one tick every 200 ms, none skipped");
  } finally {
    await server.stop();
  }
});

Deno.test("examples/clock_in_worker.ts reports a Worker that cannot connect", async () => {
  const clock = startClockInWorker({ servers: "nats://127.0.0.1:1", event: "tenth-passed", period: 0.1 }, () => {});
  await assert.rejects(clock.stopped, /Cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
});
