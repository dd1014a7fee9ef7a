/** The overlap gate (src/actors/_overlap.ts) on the testing kit's leases and fake time, one step at a time. */
import assert from "node:assert/strict";
import { LEASE_MS, OverlapGate, type OverlapPass } from "../../src/actors/_overlap.ts";
import { Actor, Event } from "../../mod.ts";
import { FakeTime } from "../../testing/mod.ts";
import { MemoryLeaseStore } from "../../testing/_memory_leases.ts";

Deno.test("cancelOther: a runner that ends on its own before its next renewal frees its key for the newer fire", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const actor = new Actor("sync", new Event("ticks", Number), () => {}, { overlap: "cancelOther" });
  const setup = {
    store: new MemoryLeaseStore(),
    time,
    park: <T>(wait: () => Promise<T>) => wait(),
    onWaiting: () => {},
    onWaited: () => {},
  };
  // Two processes of the actor, each with its own gate.
  const [older, newer] = [new OverlapGate(actor, "cancelOther", setup), new OverlapGate(actor, "cancelOther", setup)];
  const job = (seq: number) => ({ attempt: 1, seq, headers: {} });
  const running = await older.enter(1, job(1)) as OverlapPass;
  assert.ok("leave" in running);
  let entered: OverlapPass | undefined;
  const waiting = newer.enter(2, job(2)).then((pass) => entered = pass as OverlapPass);
  await time.tickAsync(10); // the newer fire asks the runner to stop (its lease's revision moves)
  await running.leave(); // the runner's handler ended by itself, before its renewal read the request
  const endedMs = time.now();
  while (entered === undefined && time.now() - endedMs < LEASE_MS) await time.tickAsync(50);
  await waiting;
  const waitedMs = time.now() - endedMs;
  await entered!.leave();
  assert.ok("leave" in entered!, JSON.stringify(entered));
  // Not at the old lease's expiry: the key was free once the runner left.
  assert.ok(waitedMs < LEASE_MS / 2, `the newer fire got the key ${waitedMs} ms after the runner left`);
});
