/** examples/clock_in_worker.ts on a real nats-server: its Worker ticks while the main thread is blocked. */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import type { TickReport } from "../../mod.ts";
import { busyFor, startClockInWorker } from "../../examples/clock_in_worker.ts";
import { waitUntil } from "../_wait.ts";

const PERIOD_MS = 200;
/** How long the main thread is blocked: many periods, so that a clock on this thread could not emit any tick in it. */
const BLOCKED_MS = 2_000;

Deno.test("examples/clock_in_worker.ts emits ticks while the main thread is blocked", async () => {
  await using server = await startNatsServer();
  const reports: TickReport[] = [];
  const clock = startClockInWorker(
    { servers: server.url, event: "fifth-passed", period: PERIOD_MS / 1_000 },
    (report) => void reports.push(report),
  );
  let blocked = { from: NaN, to: NaN };
  try {
    await waitUntil(() => reports.length > 0, { what: "the Worker's first tick" });
    blocked = { from: Date.now(), to: NaN };
    busyFor(BLOCKED_MS); // no report, timer or I/O on this thread meanwhile
    blocked.to = Date.now();
    await waitUntil(() => reports.some((r) => r.tick.getTime() > blocked.to), { what: "a tick after the block" });
  } finally {
    await clock.stop();
  }

  // The Worker reports every tick once, in order, none skipped (a tick it woke too late for is reported missed).
  const ticks = reports.map((report) => report.tick.getTime());
  assert.deepEqual(ticks, ticks.map((_, index) => ticks[0]! + index * PERIOD_MS), "one report per tick");
  // It stored ticks while this thread could not run: acknowledged (tick + lag) before the block ended.
  const duringBlock = reports.filter((r) =>
    r.outcome === "emitted" && r.tick.getTime() > blocked.from && r.tick.getTime() + r.lagMs < blocked.to
  );
  assert.ok(duringBlock.length > 0, `no tick was stored during the block: ${JSON.stringify(reports)}`);
});
