/**
 * What only the in-memory server has, or does its own way: its shared
 * behaviour with a real server is in behaviour_test.ts.
 */
import assert from "node:assert/strict";
import { Actor, Actors, Clock, Event, Events, StreamConflictError } from "../../mod.ts";
import { FakeTime, MemoryServer } from "../../testing/mod.ts";

Deno.test("MemoryServer refuses an event whose stream stores another subject, and changes nothing", async () => {
  const server = new MemoryServer();
  await using dotted = await new Events(new Event("order.placed", Number)).connect(server);
  await dotted.register();
  const dashed = new Event("order-placed", Number);
  const other = new Event("order-paid", Number);
  await using conn = await new Events(other, dashed).connect(server);
  await assert.rejects(
    conn.register(),
    (error: unknown) =>
      error instanceof StreamConflictError && error.stream === "order-placed" && error.field === "subjects",
  );
  assert.deepEqual(server.messages(other), []);
  await assert.rejects(conn.emit(other, 1), /no stream stores it/);
});

Deno.test("MemoryServer.messages() lists what a stream stores, with the headers; nothing for an unknown event", async () => {
  using time = new FakeTime("2026-11-26T16:14:30Z");
  const server = new MemoryServer(time);
  const clock = new Clock({ maxTicks: 2 });
  await using events = await new Events(clock.event).connect(server);
  await events.register();
  const running = clock.run(events);
  await time.tickAsync(2 * 60_000);
  await running;
  const stored = server.messages(clock.event);
  assert.deepEqual(stored.map((m) => [m.seq, m.subject, new TextDecoder().decode(m.data), m.headers["Walnats-Tick"]]), [
    [1, "minute-passed", "2026-11-26T16:15:00.000+00:00", String(Date.parse("2026-11-26T16:15:00Z"))],
    [2, "minute-passed", "2026-11-26T16:16:00.000+00:00", String(Date.parse("2026-11-26T16:16:00Z"))],
  ]);
  assert.deepEqual(stored.map((m) => m.storedMs), [
    Date.parse("2026-11-26T16:15:00Z"),
    Date.parse("2026-11-26T16:16:00Z"),
  ]);
  assert.deepEqual(server.messages(new Event("never", Date)), []);
});

Deno.test("A clock on a MemoryServer runs on the server's time without a time option", async () => {
  using time = new FakeTime("2026-11-26T16:14:59Z");
  await using events = await new Events(new Clock().event).connect(new MemoryServer(time));
  await events.register();
  const reports: string[] = [];
  const running = new Clock({ maxTicks: 1 }).run(events, { onTick: (r) => void reports.push(r.tick.toISOString()) });
  await time.tickAsync(1_000);
  await running;
  assert.deepEqual(reports, ["2026-11-26T16:15:00.000Z"]);
});

Deno.test("An actor listening on a MemoryServer when its FakeTime is disposed is reported, not left hanging", async () => {
  const time = new FakeTime("2026-11-26T16:00:00Z");
  const server = new MemoryServer(time);
  const placed = new Event("order-placed", Number);
  await using events = await new Events(placed).connect(server);
  await events.register();
  const flaky = new Actor("flaky", placed, () => {
    throw new Error("fails");
  }, { retryDelay: 60 });
  await using actors = await new Actors(flaky).connect(server);
  await actors.register();
  const stop = new AbortController();
  const listening = actors.listen({ signal: stop.signal });
  await events.emit(placed, 1);
  await time.tickAsync(1_000); // failed once, the retry waits a minute on fake time
  assert.throws(() => time[Symbol.dispose](), /FakeTime was disposed while 1 sleep\(s\) on it were pending/);
  await assert.rejects(listening, /a clock or an actor still runs/);
});
