/** A worker's view of its fleet (src/_fleet.ts), on fake time and the in-memory fleet store. */
import assert from "node:assert/strict";
import { BEAT_INTERVAL_MS, FleetView, liveMembers, MEMBER_TTL_MS } from "../src/_fleet.ts";
import type { Members } from "../src/_rendezvous.ts";
import type { FleetStore } from "../mod.ts";
import { MemoryFleetStore } from "../testing/_memory_schedules.ts";
import { FakeTime } from "../testing/mod.ts";

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
  await time.tickAsync(MEMBER_TTL_MS); // "other" and "quitter" do not beat: still live at exactly the TTL
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
  await time.tickAsync(MEMBER_TTL_MS + 1);
  assert.equal(await view.refresh(), false);
  assert.deepEqual(view.view?.ids, ["me", "other"]);
  down = false;
  const stop = new AbortController();
  const running = view.run(stop.signal);
  await time.tickAsync(3 * BEAT_INTERVAL_MS);
  assert.equal(beats, 1 + 3);
  assert.deepEqual(view.view?.ids, ["me"]);
  stop.abort();
  await running;
  assert.deepEqual((await memory.members()).map((member) => member.id), ["other"]);
});

Deno.test("a FleetView tells each new view with the start of the round before: a change may date from then", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const fleet = new MemoryFleetStore(time);
  const told: [string[], number][] = [];
  const view = new FleetView(fleet, "me", time, (members, sinceMs) => void told.push([[...members.ids], sinceMs]));
  const start = time.now();
  assert.ok(await view.refresh()); // the first view: since this round's start
  await time.tickAsync(BEAT_INTERVAL_MS);
  assert.ok(await view.refresh()); // no change: nothing told
  await fleet.beat("joiner");
  await time.tickAsync(BEAT_INTERVAL_MS);
  assert.ok(await view.refresh()); // the joiner may have beaten just after the round before started
  assert.deepEqual(told, [[["me"], start], [["joiner", "me"], start + BEAT_INTERVAL_MS]]);
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
