/** A worker's view of its fleet (src/schedules/_fleet.ts), and the fleet of workers on the in-memory server, on fake time. */
import assert from "node:assert/strict";
import { fleetTiming, FleetView, liveMembers } from "../../src/schedules/_fleet.ts";
import type { Members } from "../../src/schedules/_rendezvous.ts";
import { Event, type FireReport, type FleetStore, SchedulesConnection } from "../../mod.ts";
import { MemoryFleetStore } from "../../testing/_memory_schedules.ts";
import { FakeTime, MemoryServer } from "../../testing/mod.ts";
import { worker } from "../_schedule_behaviours.ts";

Deno.test("liveMembers() keeps the members within the TTL of the newest beat, whatever the reader's clock says", () => {
  const beats = [
    { id: "a", beatMs: 10_000 },
    { id: "b", beatMs: 8_800 },
    { id: "c", beatMs: 8_799 },
  ];
  assert.deepEqual(liveMembers(beats, 1_200), ["a", "b"]);
  assert.deepEqual(liveMembers([], 1_200), []);
});

Deno.test("a FleetView sees the others join, die (after the TTL) and leave, and always counts itself", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const fleet = new MemoryFleetStore(time);
  const views: string[][] = [];
  const view = new FleetView(fleet, "me", time, (members: Members) => void views.push([...members.ids]));
  await fleet.beat("other");
  await fleet.beat("quitter");
  assert.equal(view.view, undefined);
  assert.ok(await view.refresh());
  await time.tickAsync(view.timing.memberTtlMs); // "other" and "quitter" do not beat: still live at exactly the TTL
  assert.ok(await view.refresh());
  await fleet.beat("quitter");
  await time.tickAsync(1);
  assert.ok(await view.refresh()); // "other" is 1 ms past the TTL
  await fleet.leave("quitter");
  assert.ok(await view.refresh());
  assert.deepEqual(views, [["me", "other", "quitter"], ["me", "quitter"], ["me"]]);
});

Deno.test("a FleetView that cannot beat keeps its last view; its run beats every interval and leaves when stopped", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const memory = new MemoryFleetStore(time);
  let down = false;
  let beats = 0;
  const fleet: FleetStore = {
    beat: (id) => down ? Promise.reject(new Error("down")) : (beats++, memory.beat(id)),
    members: () => memory.members(),
    leave: (id) => memory.leave(id),
  };
  await memory.beat("other");
  const view = new FleetView(fleet, "me", time, () => {});
  assert.ok(await view.refresh());
  down = true;
  await time.tickAsync(view.timing.memberTtlMs + 1);
  assert.equal(await view.refresh(), false);
  assert.deepEqual(view.view?.ids, ["me", "other"]);
  down = false;
  const stop = new AbortController();
  const running = view.run(stop.signal);
  await time.tickAsync(3 * view.timing.beatIntervalMs);
  assert.equal(beats, 1 + 3);
  assert.deepEqual(view.view?.ids, ["me"]);
  stop.abort();
  await running;
  assert.deepEqual((await memory.members()).map((member) => member.id), ["other"]);
});

Deno.test("a FleetView tells each new view with the start of the round before: a change may date from then", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const fleet = new MemoryFleetStore(time);
  const told: [string[], number, [string, number][]][] = [];
  const view = new FleetView(fleet, "me", time, (members, sinceMs, joined) => {
    told.push([[...members.ids], sinceMs, [...joined]]);
  });
  const start = time.now();
  assert.ok(await view.refresh()); // the first view: since this round's start
  await time.tickAsync(view.timing.beatIntervalMs);
  assert.ok(await view.refresh()); // no change: nothing told
  await fleet.beat("joiner");
  const joinerBeat = time.now();
  await time.tickAsync(view.timing.beatIntervalMs);
  assert.ok(await view.refresh()); // the joiner may have beaten just after the round before started
  await fleet.leave("joiner");
  assert.ok(await view.refresh());
  const interval = view.timing.beatIntervalMs;
  assert.deepEqual(told, [
    [["me"], start, []],
    [["joiner", "me"], start + interval, [["joiner", joinerBeat]]], // who joined, and when it beat
    [["me"], start + 2 * interval, []], // a leave: nobody joined
  ]);
});

Deno.test("a FleetView joining tells its view (itself among the members) before its first beat lands", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const memory = new MemoryFleetStore(time);
  await memory.beat("incumbent");
  const beatenWhenTold: boolean[] = [];
  const view = new FleetView(memory, "joiner", time, () => {
    memory.members().then((beats) => beatenWhenTold.push(beats.some((b) => b.id === "joiner")));
  });
  assert.ok(await view.join());
  assert.deepEqual(view.view?.ids, ["incumbent", "joiner"]);
  assert.deepEqual(beatenWhenTold, [false]);
  assert.ok((await memory.members()).some((b) => b.id === "joiner"), "the joiner's beat after the view");
});

Deno.test("a fleet store's beat interval must be a positive number of milliseconds", () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const memory = new MemoryFleetStore(time);
  for (const [beatIntervalMs, shown] of [[0, "0"], [-300, "-300"], [NaN, "NaN"], ["300", "'300'"]] as const) {
    const fleet = { beat: memory.beat, members: memory.members, leave: memory.leave, beatIntervalMs } as FleetStore;
    assert.throws(() => new FleetView(fleet, "me", time, () => {}), {
      name: "RangeError",
      message:
        `Cannot run the schedules worker: the fleet store's 'beatIntervalMs' must be a positive number of milliseconds, got ${shown}`,
    });
  }
});

// The fleet on the in-memory server, as docs/testing.md states it: workers beat once a minute of
// fake time, the others see a join and a leave at the same fake instant, and a death within the takeover time.

/** A worker on `server`, its reports collected ({@link worker}); `fleet` replaces the server's fleet store. */
async function memoryWorker(
  server: MemoryServer,
  fleet?: (memory: FleetStore) => FleetStore,
): Promise<ReturnType<typeof worker>> {
  const opened = await server.connectSchedules([reminder]);
  const schedules = new SchedulesConnection([reminder], opened.events, opened.store, {
    fleet: fleet?.(opened.fleet) ?? opened.fleet,
    fires: opened.fires,
  });
  await schedules.register();
  return worker(schedules); // closing an in-memory connection does nothing: it is left open
}

const reminder = new Event("reminder", Object);
/** 20 schedules; every 0.1 s, a share left unfired (or fired twice) for a round of 0.3 s shows in the reports. */
const IDS = Array.from({ length: 20 }, (_, i) => `s-${i}`);

async function upsertEvery(server: MemoryServer, periodMs: number): Promise<void> {
  const opened = await server.connectSchedules([reminder]);
  await using schedules = new SchedulesConnection([reminder], opened.events, opened.store, { fleet: opened.fleet });
  await schedules.register();
  for (const id of IDS) await schedules.upsert(id, { event: reminder, period: periodMs / 1_000, value: {} });
}

const key = (report: FireReport) => `${report.schedule}@${report.tick.getTime()}`;
/** The (schedule, tick) pairs of the 20 schedules every `periodMs` in (fromMs, toMs], sorted. */
function firesIn(fromMs: number, toMs: number, periodMs: number): string[] {
  const fires = [];
  for (let tick = Math.floor(fromMs / periodMs) * periodMs + periodMs; tick <= toMs; tick += periodMs) {
    for (const id of IDS) fires.push(`${id}@${tick}`);
  }
  return fires.sort();
}

Deno.test("a worker alone on the in-memory server beats once a minute of fake time: 1,441 beats in a fake day", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const server = new MemoryServer(time);
  const opened = await server.connectSchedules([reminder]);
  await using schedules = new SchedulesConnection([reminder], opened.events, opened.store, { fleet: opened.fleet });
  await schedules.register();
  await schedules.upsert("hourly", { event: reminder, cron: "0 * * * *", value: {} });
  let beats = 0;
  const counting = (memory: FleetStore): FleetStore => ({
    beatIntervalMs: memory.beatIntervalMs!,
    followChanges: (listener) => memory.followChanges!(listener),
    beat: (id) => (beats++, memory.beat(id)),
    members: () => memory.members(),
    leave: (id) => memory.leave(id),
  });
  await using worker = await memoryWorker(server, counting);
  await time.tickAsync(24 * 3_600_000);
  await worker.stop();
  assert.equal(beats, 1 + 24 * 60, "the join's beat and one a minute");
  assert.equal(worker.reports.filter((report) => report.outcome === "emitted").length, 24);
});

Deno.test("two workers on the in-memory server share the work; a join is seen by the other at the same fake instant", async () => {
  using time = new FakeTime("2026-12-01T12:00:00.050Z");
  const server = new MemoryServer(time);
  await upsertEvery(server, 100);
  await using first = await memoryWorker(server);
  await time.tickAsync(1_000);
  const joinedMs = time.now();
  await using second = await memoryWorker(server);
  await time.tickAsync(2_000);
  const endMs = time.now();
  const after = (report: FireReport) => report.tick.getTime() > joinedMs;
  const attempted = [...first.reports, ...second.reports].filter(after);
  assert.deepEqual(attempted.map(key).sort(), firesIn(joinedMs, endMs, 100), "each fire attempted once, by one worker");
  assert.ok(attempted.every((report) => report.outcome === "emitted"));
  assert.ok(first.reports.some(after) && second.reports.some(after), "one worker fired every schedule");
});

Deno.test("a worker leaving the in-memory server's fleet is seen at the same fake instant: no fire of its share lost", async () => {
  using time = new FakeTime("2026-12-01T12:00:00.050Z");
  const server = new MemoryServer(time);
  await upsertEvery(server, 100);
  await using staying = await memoryWorker(server);
  const leaving = await memoryWorker(server);
  await time.tickAsync(1_000);
  assert.ok(leaving.reports.length > 0, "the leaving worker had no share: the test tests no leave");
  await leaving.stop();
  const leftMs = time.now();
  await time.tickAsync(2_000);
  const taken = staying.reports.filter((report) => report.tick.getTime() > leftMs);
  assert.deepEqual(taken.map(key).sort(), firesIn(leftMs, time.now(), 100));
  assert.ok(taken.every((report) => report.outcome === "emitted"));
});

Deno.test("a worker dying on the in-memory server (no leave) is taken over within 6 min 0.2 s of fake time", async () => {
  using time = new FakeTime("2026-12-01T12:00:00.050Z");
  const server = new MemoryServer(time);
  await upsertEvery(server, 1_000);
  const neverLeaves = (memory: FleetStore): FleetStore => ({
    beatIntervalMs: memory.beatIntervalMs!,
    followChanges: (listener) => memory.followChanges!(listener),
    beat: (id) => memory.beat(id),
    members: () => memory.members(),
    leave: () => Promise.resolve(), // dies: its last beat stays in the store
  });
  await using surviving = await memoryWorker(server);
  const dying = await memoryWorker(server, neverLeaves);
  await time.tickAsync(1_000);
  const dyingShare = new Set(dying.reports.map((report) => report.schedule));
  assert.ok(dyingShare.size > 0, "the dying worker had no share: the test tests no takeover");
  await dying.stop();
  const diedMs = time.now();
  const { takeoverMs } = fleetTiming(new MemoryFleetStore(time));
  assert.equal(takeoverMs, 6 * 60_000 + 200, "the bound docs/testing.md states");
  await time.tickAsync(takeoverMs + 1_000);
  const takenFrom = diedMs + takeoverMs;
  const taken = surviving.reports.filter((report) => report.tick.getTime() > takenFrom);
  assert.deepEqual(taken.map(key).sort(), firesIn(takenFrom, time.now(), 1_000));
  const before = surviving.reports.filter((report) => report.tick.getTime() <= diedMs + 1_000);
  assert.ok(before.every((report) => !dyingShare.has(report.schedule)), "taken over before the TTL passed");
});
