/**
 * The schedules worker on the in-memory server and fake time, where a test
 * controls what the stream answers.
 */
import assert from "node:assert/strict";
import { Event, type EventsConnection, type FireReport, type FleetStore, SchedulesConnection } from "../../mod.ts";
import { FakeTime, MemoryServer } from "../../testing/mod.ts";

Deno.test("a fire tried in vain until its deadline (the next tick) is reported missed, and the schedule fires on at its next ticks", async () => {
  using time = new FakeTime("2026-12-01T12:00:00.500Z");
  const server = new MemoryServer(time);
  const event = new Event("reminder", Object);
  const { events, store, fleet } = await server.connectSchedules([event]);
  let refusing = false;
  const refusingEvents: EventsConnection = {
    time,
    register: () => events.register(),
    recordPayloadKind: (...args) => events.recordPayloadKind(...args),
    emit: (...args) => events.emit(...args),
    lastTick: (target) => events.lastTick(target),
    publishTick: (...args) => refusing ? Promise.reject(new Error("refused")) : events.publishTick(...args),
    close: () => events.close(),
    [Symbol.asyncDispose]: () => events.close(),
  };
  await using schedules = new SchedulesConnection([event], refusingEvents, store, { fleet });
  await schedules.register();
  await schedules.upsert("r", { event, period: 1, value: {} });
  const reports: FireReport[] = [];
  const stop = new AbortController();
  const worker = schedules.run({ signal: stop.signal, onTick: (report) => void reports.push(report) });
  await time.tickAsync(1_000); // 12:00:01 emitted
  refusing = true;
  await time.tickAsync(2_500); // 12:00:02 and 12:00:03 refused until their deadlines, 12:00:04's first attempt too
  refusing = false;
  await time.tickAsync(1_500); // 12:00:04 on its next attempt, 12:00:05
  stop.abort();
  await worker;
  assert.deepEqual(
    reports.map((r) => [r.tick.toISOString().slice(11, 19), r.outcome, r.reason]),
    [
      ["12:00:01", "emitted", undefined],
      ["12:00:02", "missed", "unacknowledged"],
      ["12:00:03", "missed", "unacknowledged"],
      ["12:00:04", "emitted", undefined],
      ["12:00:05", "emitted", undefined],
    ],
  );
});

Deno.test("workers that cannot beat in the fleet's store fire every schedule, as a worker alone does: each fire stored once", async () => {
  using time = new FakeTime("2026-12-01T12:00:00.500Z");
  const server = new MemoryServer(time);
  const event = new Event("reminder", Object);
  const unreachable: FleetStore = {
    beat: () => Promise.reject(new Error("no fleet bucket")),
    members: () => Promise.reject(new Error("no fleet bucket")),
    leave: () => Promise.reject(new Error("no fleet bucket")),
  };
  const opened = await Promise.all([1, 2].map(() => server.connectSchedules([event])));
  await using one = new SchedulesConnection([event], opened[0]!.events, opened[0]!.store, { fleet: unreachable });
  await using two = new SchedulesConnection([event], opened[1]!.events, opened[1]!.store, { fleet: unreachable });
  await one.register();
  await one.upsert("r", { event, period: 1, value: {} });
  const reports: string[] = [];
  const stop = new AbortController();
  const runs = [one, two].map((schedules) =>
    schedules.run({ signal: stop.signal, onTick: (r) => void reports.push(`${r.tick.toISOString()} ${r.outcome}`) })
  );
  await time.tickAsync(2_000);
  stop.abort();
  await Promise.all(runs);
  assert.deepEqual(reports.toSorted(), [
    "2026-12-01T12:00:01.000Z duplicate",
    "2026-12-01T12:00:01.000Z emitted",
    "2026-12-01T12:00:02.000Z duplicate",
    "2026-12-01T12:00:02.000Z emitted",
  ]);
  assert.equal(server.messages(event).length, 2);
});

Deno.test("a worker with 600 fires due at one instant has at most 256 in flight, and stores every one", async () => {
  using time = new FakeTime("2026-12-01T12:00:00.500Z");
  const server = new MemoryServer(time);
  const event = new Event("reminder", Object);
  const { events, store, fleet } = await server.connectSchedules([event]);
  let inFlight = 0;
  let mostInFlight = 0;
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => open = resolve);
  const gatedEvents: EventsConnection = {
    time,
    register: () => events.register(),
    recordPayloadKind: (...args) => events.recordPayloadKind(...args),
    emit: (...args) => events.emit(...args),
    lastTick: (target) => events.lastTick(target),
    publishTick: async (...args) => {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        await gate;
        return await events.publishTick(...args);
      } finally {
        inFlight--;
      }
    },
    close: () => events.close(),
    [Symbol.asyncDispose]: () => events.close(),
  };
  await using schedules = new SchedulesConnection([event], gatedEvents, store, { fleet });
  await schedules.register();
  for (let index = 0; index < 600; index++) await schedules.upsert(`r-${index}`, { event, period: 1, value: {} });
  const outcomes = new Map<string, number>();
  const stop = new AbortController();
  const worker = schedules.run({
    signal: stop.signal,
    onTick: (report) => {
      const key = `${report.tick.toISOString().slice(11, 19)} ${report.outcome}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    },
  });
  await time.tickAsync(600); // 12:00:01.100: the fires of 12:00:01 wait at the gate
  assert.equal(inFlight, 256);
  open();
  await time.tickAsync(100);
  stop.abort();
  await worker;
  assert.equal(mostInFlight, 256);
  assert.deepEqual([...outcomes], [["12:00:01 emitted", 600]]);
});
