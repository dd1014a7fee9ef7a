import assert from "node:assert/strict";
import type { TickMessage } from "../../src/events/publisher.ts";
import { CLOCK_HEADER, TICK_HEADER } from "../../src/events/_headers.ts";
import { MemoryPublisher } from "../../testing/memory_publisher.ts";

const T0 = Date.parse("2026-11-26T16:15:00Z");

function tick(event: string, tickMs: number, clock = "clock-a"): TickMessage {
  return {
    subject: event,
    stream: event.replaceAll(".", "-"),
    tickMs,
    msgId: `${event}:${tickMs}`,
    payload: new Uint8Array(),
    headers: { [TICK_HEADER]: String(tickMs), [CLOCK_HEADER]: clock },
  };
}

Deno.test("MemoryPublisher stores new ticks in order with increasing sequences", async () => {
  const stream = new MemoryPublisher();
  assert.deepEqual(await stream.publishTick(tick("m", T0)), { seq: 1, duplicate: false });
  assert.deepEqual(await stream.publishTick(tick("m", T0 + 60_000)), { seq: 2, duplicate: false });
  assert.deepEqual(stream.messages.map((m) => m.tickMs), [T0, T0 + 60_000]);
});

Deno.test("MemoryPublisher drops a tick another clock stored, answering duplicate with its sequence", async () => {
  const stream = new MemoryPublisher();
  await stream.publishTick(tick("m", T0, "clock-a"));
  assert.deepEqual(await stream.publishTick(tick("m", T0, "clock-b")), { seq: 1, duplicate: true });
  assert.equal(stream.messages.length, 1);
});

Deno.test("MemoryPublisher answers a clock's repeated tick as its own, not a duplicate, and stores it once", async () => {
  const stream = new MemoryPublisher();
  await stream.publishTick(tick("m", T0, "clock-a"));
  assert.deepEqual(await stream.publishTick(tick("m", T0, "clock-a")), { seq: 1, duplicate: false });
  assert.equal(stream.messages.length, 1);
});

Deno.test("MemoryPublisher treats repeated ticks without a clock header as duplicates", async () => {
  const stream = new MemoryPublisher();
  const bare = { ...tick("m", T0), headers: { [TICK_HEADER]: String(T0) } };
  await stream.publishTick(bare);
  assert.deepEqual(await stream.publishTick(bare), { seq: 1, duplicate: true });
});

Deno.test("MemoryPublisher drops a tick older than the event's last one, with an unknown sequence", async () => {
  const stream = new MemoryPublisher();
  await stream.publishTick(tick("m", T0));
  await stream.publishTick(tick("m", T0 + 60_000));
  assert.deepEqual(await stream.publishTick(tick("m", T0 - 60_000, "clock-b")), { seq: 0, duplicate: true });
  assert.deepEqual(await stream.publishTick(tick("m", T0, "clock-b")), { seq: 0, duplicate: true });
  assert.equal(stream.messages.length, 2);
});

Deno.test("MemoryPublisher keeps events apart, numbering each stream from 1", async () => {
  const stream = new MemoryPublisher();
  assert.deepEqual(await stream.publishTick(tick("minute-passed", T0)), { seq: 1, duplicate: false });
  assert.deepEqual(await stream.publishTick(tick("clock.5m", T0)), { seq: 1, duplicate: false });
  assert.deepEqual(await stream.publishTick(tick("minute-passed", T0 + 60_000)), { seq: 2, duplicate: false });
  assert.deepEqual(await stream.publishTick(tick("clock.5m", T0, "clock-b")), { seq: 1, duplicate: true });
  assert.deepEqual(stream.messages.map((m) => [m.stream, m.tickMs]), [
    ["minute-passed", T0],
    ["clock-5m", T0],
    ["minute-passed", T0 + 60_000],
  ]);
});
