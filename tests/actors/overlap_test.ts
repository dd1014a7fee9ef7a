/** The overlap gate (src/actors/_overlap.ts) on the testing kit's leases and fake time, one step at a time. */
import assert from "node:assert/strict";
import { type Delivery, handleDelivery } from "../../src/actors/_delivery.ts";
import { LEASE_MS, OverlapGate, type OverlapPass, type OverlapSkip } from "../../src/actors/_overlap.ts";
import { Actor, Event, type JobEvent } from "../../mod.ts";
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

Deno.test("a failed run frees its key before its message is given back: the retry, a run of the key, is not skipped", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const actor = new Actor("sync", new Event("ticks", Number), () => {
    throw new Error("crm down");
  }, { overlap: "skip", retryDelay: 0 });
  const setup = { store: new MemoryLeaseStore(), time, park: <T>(wait: () => Promise<T>) => wait() };
  const gate = () => new OverlapGate(actor, "skip", { ...setup, onWaiting: () => {}, onWaited: () => {} });
  // The retry, delivered at once to another process, enters its gate the moment the message is given back.
  let retry: OverlapPass | OverlapSkip | undefined;
  const delivery: Delivery = {
    seq: 1,
    subject: "ticks",
    data: new TextEncoder().encode("1"),
    headers: {},
    deliveryCount: 1,
    ack: () => Promise.resolve(),
    nak: async () => void (retry = await gate().enter(1, { attempt: 2, seq: 1, headers: {} })),
    term: () => Promise.resolve(),
  };
  const events: JobEvent[] = [];
  await handleDelivery(actor, delivery, {
    time,
    notes: { first: () => Promise.resolve(1), forget: () => Promise.resolve() },
    onEvent: (event) => void events.push(event),
    overlap: gate(),
  });
  assert.deepEqual(events.map((event) => event.type), ["start", "failure"]);
  if (retry !== undefined && "leave" in retry) await retry.leave();
  assert.ok(retry !== undefined && "leave" in retry, `the retry found its key ${JSON.stringify(retry)}`);
});

Deno.test("an overlapKey that throws fails the attempt like a handler: retried, then terminated after maxAttempts", async () => {
  using time = new FakeTime("2026-12-01T12:00:00Z");
  const handled: number[] = [];
  const actor = new Actor("sync", new Event("ticks", Number), (n) => void handled.push(n), {
    overlap: "skip",
    overlapKey: () => {
      throw new Error("no customer in the payload");
    },
    maxAttempts: 2,
    retryDelay: 1,
  });
  const gate = new OverlapGate(actor, "skip", {
    store: new MemoryLeaseStore(),
    time,
    park: <T>(wait: () => Promise<T>) => wait(),
    onWaiting: () => {},
    onWaited: () => {},
  });
  const replies: string[] = [];
  const events: JobEvent[] = [];
  for (const deliveryCount of [1, 2]) {
    await handleDelivery(actor, {
      seq: 7,
      subject: "ticks",
      data: new TextEncoder().encode("1"),
      headers: {},
      deliveryCount,
      ack: () => Promise.resolve(void replies.push("ack")),
      nak: (delayMs) => Promise.resolve(void replies.push(`nak ${delayMs}`)),
      term: () => Promise.resolve(void replies.push("term")),
    }, {
      time,
      notes: { first: () => Promise.resolve(1), forget: () => Promise.resolve() },
      onEvent: (event) => void events.push(event),
      overlap: gate,
    });
  }
  assert.deepEqual(replies, ["nak 1000", "term"]);
  assert.deepEqual(events.map((event) => [event.type, "attempt" in event ? event.attempt : undefined]), [
    ["failure", 1],
    ["terminated", 2],
  ]);
  const error = (events[1] as { error: unknown }).error;
  assert.match(String(error), /'overlapKey' threw on message 7/);
  assert.match(String((error as Error).cause), /no customer in the payload/);
  assert.deepEqual(handled, []);
});
