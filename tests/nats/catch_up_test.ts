/**
 * Catch-up against a real server: every clock stops for 5 ticks, then two
 * clocks with `catchUp: 3` start and emit the 3 most recent missed ticks,
 * late, once.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { delay } from "../../src/_async.ts";
import { allReady, countTicks, killAll, PERIOD_MS, startClock, stopClock, untilAfterTick } from "./_clocks.ts";
import { readStream } from "./_stream.ts";

Deno.test("two clocks with catchUp 3 emit the 3 most recent of 5 missed ticks once each, late, oldest first", async () => {
  await using server = await startNatsServer();
  const event = "catch-up";
  const first = [startClock("first", server.url, event)];
  try {
    await allReady(first);
    await delay(3 * PERIOD_MS);
    await untilAfterTick(300);
    for (const clock of first) await stopClock(clock);
  } finally {
    await killAll(first);
  }
  const before = await readStream(server.url, event);
  const lastBefore = Math.max(...before.map((m) => Number(m.headers["Walnats-Tick"])));
  assert.ok(before.length >= 2, `only ${before.length} ticks before the outage`);

  // Down for 5 ticks at least: the new clocks start after the 5th missed tick.
  await delay(lastBefore + 5 * PERIOD_MS + 200 - Date.now());
  const second = [
    startClock("second-a", server.url, event, { catchUp: 3 }),
    startClock("second-b", server.url, event, { catchUp: 3 }),
  ];
  try {
    await allReady(second);
    await delay(3 * PERIOD_MS);
    await untilAfterTick(300);
    for (const clock of second) await stopClock(clock);
  } finally {
    await killAll(second);
  }

  const messages = await readStream(server.url, event);
  const counts = countTicks(messages);
  assert.deepEqual([...counts.values()].filter((n) => n > 1), [], "a tick was stored twice");
  const after = messages.filter((m) => Number(m.headers["Walnats-Tick"]) > lastBefore);
  const late = after.filter((m) => m.headers["Walnats-Late"] === "true").map((m) => Number(m.headers["Walnats-Tick"]));
  const onTime = after.filter((m) => m.headers["Walnats-Late"] === undefined).map((m) =>
    Number(m.headers["Walnats-Tick"])
  );
  const firstOnTime = onTime[0];
  assert.ok(firstOnTime !== undefined && onTime.length >= 3, `on-time ticks after the outage: ${onTime}`);
  assert.ok(firstOnTime - lastBefore >= 6 * PERIOD_MS, "fewer than 5 ticks were missed");
  // The 3 most recent missed ticks, oldest first, stored before the first on-time tick; then no gap.
  assert.deepEqual(late, [3, 2, 1].map((k) => firstOnTime - k * PERIOD_MS));
  assert.deepEqual(after.map((m) => Number(m.headers["Walnats-Tick"])), [...late, ...onTime]);
  assert.deepEqual(onTime, onTime.map((_, i) => firstOnTime + i * PERIOD_MS));
  const lateEmitted = second.flatMap((clock) => clock.lines).filter((r) => r.late && r.outcome === "emitted");
  assert.deepEqual(lateEmitted.map((r) => r.tick).sort((a, b) => a - b), late);
});
