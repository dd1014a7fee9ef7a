import assert from "node:assert/strict";
import { Clock, Event, Events, type TickReport } from "../../mod.ts";
import { FakeTime, MemoryServer } from "../../testing/mod.ts";

const T0 = "2026-11-26T12:00:00Z";

/** Registers `registered`, emits one uid twice `apartMs` apart on fake time, and tells whether the second was dropped. */
async function secondEmitDropped(registered: Event<DateConstructor>, apartMs: number): Promise<boolean> {
  using time = new FakeTime(T0);
  await using conn = await new Events(registered).connect(new MemoryServer(time));
  await conn.register();
  await conn.emit(registered, new Date(time.now()), { uid: "once" });
  await time.tickAsync(apartMs);
  return (await conn.emit(registered, new Date(time.now()), { uid: "once" })).duplicate;
}

Deno.test("Registering clock.event gives the stream a window of one period; the event as given keeps 2 minutes", async () => {
  const given = new Event("5m-passed", Date);
  const clock = new Clock({ event: given, period: 300 });
  assert.notEqual(clock.event, given);
  // 200 s apart: inside the clock's 300 s window, outside the server's default 120 s.
  assert.equal(await secondEmitDropped(clock.event, 200_000), true);
  assert.equal(await secondEmitDropped(given, 200_000), false);
});

Deno.test("Two clocks store each tick once whether clock.event or the event as given was registered", async () => {
  for (const registerClockEvent of [true, false]) {
    const given = new Event("5m-passed", Date);
    const clocks = [new Clock({ event: given, period: 300 }), new Clock({ event: given, period: 300 })];
    using time = new FakeTime(T0);
    const server = new MemoryServer(time);
    const registered = registerClockEvent ? clocks[0]!.event : given;
    await using conn = await new Events(registered).connect(server);
    await conn.register();
    const reports: TickReport[] = [];
    const controller = new AbortController();
    const runs = clocks.map((clock) => clock.run(conn, { signal: controller.signal, onTick: (r) => reports.push(r) }));
    await time.tickAsync(5 * 300_000);
    controller.abort();
    await Promise.all(runs);
    const stored = server.messages(given).map((message) => message.headers["Walnats-Tick"]);
    assert.equal(stored.length, 5, `registered ${registerClockEvent ? "clock.event" : "the event as given"}`);
    assert.equal(new Set(stored).size, 5);
    assert.deepEqual(
      reports.map((r) => r.outcome).sort(),
      [...Array(5).fill("duplicate"), ...Array(5).fill("emitted")],
    );
  }
});
