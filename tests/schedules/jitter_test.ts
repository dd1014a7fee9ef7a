import assert from "node:assert/strict";
import { jitteredInstant } from "../../src/schedules/_jitter.ts";
import { Event, Schedules } from "../../mod.ts";
import { FakeTime, MemoryServer } from "../../testing/mod.ts";

const MIDNIGHT = Date.parse("2026-12-01T00:00:00Z");
const DAY_MS = 86_400_000;

Deno.test("jitteredInstant() is the tick without jitter, and within [tick, tick + jitter) with it", () => {
  assert.equal(jitteredInstant("a", MIDNIGHT, 0, MIDNIGHT + DAY_MS), MIDNIGHT);
  for (let i = 0; i < 1_000; i++) {
    const at = jitteredInstant(`s-${i}`, MIDNIGHT, 60_000, MIDNIGHT + DAY_MS);
    assert.ok(at >= MIDNIGHT && at < MIDNIGHT + 60_000, `s-${i}: ${at - MIDNIGHT}`);
  }
});

Deno.test("jitteredInstant() is capped below the next tick: a short gap shrinks the spread", () => {
  for (let i = 0; i < 1_000; i++) {
    const at = jitteredInstant(`s-${i}`, MIDNIGHT, 60_000, MIDNIGHT + 1_500);
    assert.ok(at >= MIDNIGHT && at < MIDNIGHT + 1_500, `s-${i}: ${at - MIDNIGHT}`);
  }
  assert.equal(jitteredInstant("a", MIDNIGHT, 60_000, MIDNIGHT + 1), MIDNIGHT);
});

Deno.test("jitteredInstant() depends on the id and the tick only, and changes from tick to tick", () => {
  const offsets = Array.from(
    { length: 10 },
    (_, day) =>
      jitteredInstant("nightly", MIDNIGHT + day * DAY_MS, 60_000, MIDNIGHT + (day + 1) * DAY_MS) - day * DAY_MS,
  );
  assert.deepEqual(
    offsets,
    offsets.map((_, day) => jitteredInstant("nightly", MIDNIGHT + day * DAY_MS, 60_000, Infinity) - day * DAY_MS),
  );
  assert.ok(new Set(offsets).size >= 9, String(offsets.map((at) => at - MIDNIGHT)));
});

Deno.test("jitteredInstant() spreads 10,000 schedules due at one midnight over the 60 seconds of a 60 s jitter", () => {
  const perSecond = new Array<number>(60).fill(0);
  for (let i = 0; i < 10_000; i++) {
    perSecond[Math.floor((jitteredInstant(`user-${i}`, MIDNIGHT, 60_000, MIDNIGHT + DAY_MS) - MIDNIGHT) / 1000)]!++;
  }
  // 10,000 / 60 = 167 a second on average; a hash that clusters would fill a few seconds.
  assert.ok(Math.max(...perSecond) < 230 && Math.min(...perSecond) > 110, String(perSecond));
});

Deno.test("describe() shows a tick's jittered fire as the next one until it goes out, for a period and an at", async () => {
  const reminder = new Event("reminder", Object);
  const start = Date.parse("2026-12-01T11:59:00Z");
  using time = new FakeTime(start);
  const server = new MemoryServer(time);
  await using schedules = await new Schedules(reminder).connect(server);
  await schedules.register();
  await schedules.upsert("every-minute", { event: reminder, period: 60, jitter: 50, value: {} });
  const atMs = Date.parse("2026-12-01T12:00:00Z");
  await schedules.upsert("once", { event: reminder, at: new Date(atMs), jitter: 50, value: {} });
  // 1 ms past the tick: neither fire has gone out (each offset is a hash in [0, 50 s), here above 1 ms).
  const sendAt = (id: string, tickMs: number) => jitteredInstant(id, tickMs, 50_000, tickMs + 60_000);
  for (const id of ["every-minute", "once"]) assert.ok(sendAt(id, atMs) > atMs + 1, id);
  await time.tickAsync(atMs + 1 - start);
  const periodic = await schedules.describe("every-minute", { next: 2, recent: 0 });
  assert.deepEqual(periodic.next.map((at) => at.getTime()), [
    sendAt("every-minute", atMs),
    sendAt("every-minute", atMs + 60_000),
  ]);
  const once = await schedules.describe("once", { next: 2, recent: 0 });
  assert.deepEqual([once.state, once.next.map((at) => at.getTime())], ["active", [sendAt("once", atMs)]]);
});
