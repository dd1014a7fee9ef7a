/**
 * What schedules as data guarantee, as one set of test bodies run on both
 * backends: the in-memory server on fake time (tests/schedules/behaviour_test.ts)
 * and a real nats-server (tests/nats/schedules_behaviour_test.ts and _rest_test.ts, half each). Periods
 * are 1 s so that the real server's runs stay short.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Actor,
  Actors,
  type AppliedChange,
  ErrorCode,
  Event,
  Events,
  type FireReport,
  type FleetStore,
  isWalnatsError,
  type JobEvent,
  Schedules,
  SchedulesConnection,
} from "../mod.ts";
import { fireMessage } from "../src/schedules/_fire.ts";
import { jitteredInstant } from "../src/schedules/_jitter.ts";
import { fleetTiming } from "../src/schedules/_fleet.ts";
import type { Behaviour, TestBackend } from "./_backends.ts";
import { waitUntil } from "./_wait.ts";

/** Every schedule behaviour, in the order written below. */
export const SCHEDULE_BEHAVIOURS: Behaviour[] = [];

function behaviour(name: string, body: (backend: TestBackend) => Promise<void>): void {
  SCHEDULE_BEHAVIOURS.push({ name, body });
}

const reminder = new Event("reminder", Object);

/** A connection with the bucket and the streams registered. */
async function connected(backend: TestBackend, ...events: Event[]): Promise<SchedulesConnection> {
  const schedules = await new Schedules(...(events.length > 0 ? events : [reminder])).connect(
    backend.target as never,
  );
  await schedules.register();
  return schedules;
}

/** Runs `count` workers until disposed; their reports are collected in `reports`. */
function workers(
  schedules: SchedulesConnection[],
  reports: FireReport[] = [],
): AsyncDisposable & { reports: FireReport[] } {
  const stop = new AbortController();
  const runs = schedules.map((connection) =>
    connection.run({ signal: stop.signal, onTick: (r) => void reports.push(r) })
  );
  return {
    reports,
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await Promise.all(runs);
    },
  };
}

/** The fires stored for a schedule: their ticks (epoch ms) in stream order, and whether each was late. */
async function fires(backend: TestBackend, event: Event, id: string): Promise<{ tick: number; late: boolean }[]> {
  return (await backend.stored(event))
    .filter((message) => message.headers["Walnats-Schedule"] === id)
    .map((message) => ({
      tick: Number(message.headers["Walnats-Tick"]),
      late: message.headers["Walnats-Late"] === "true",
    }));
}

async function waitForFires(backend: TestBackend, event: Event, id: string, count: number): Promise<void> {
  await waitUntil(async () => (await fires(backend, event, id)).length >= count, {
    what: `${count} fires of '${id}'`,
    time: backend.wait,
  });
}

/** Ticks strictly increasing, each once. */
function assertIncreasing(ticks: number[]): void {
  for (let i = 1; i < ticks.length; i++) {
    // The message only on failure: built at every step, it made a check of a few hundred ticks take seconds.
    if (!(ticks[i]! > ticks[i - 1]!)) {
      assert.fail(`ticks not increasing at ${i}: ${ticks.map((t) => new Date(t).toISOString())}`);
    }
  }
}

behaviour(
  "a schedule fires at its ticks once each with two workers: its value, subject, headers; an actor gets tick and schedule",
  async (backend) => {
    await using one = await connected(backend);
    await using two = await connected(backend);
    const handled: { value: unknown; tick: number | undefined; schedule: string | undefined }[] = [];
    const actor = new Actor("send-reminder", reminder, (value, { tick, schedule }) => {
      handled.push({ value, tick: tick?.getTime(), schedule });
    });
    await using actors = await new Actors(actor).connect(backend.target as never);
    await actors.register();
    const stopActors = new AbortController();
    const listening = actors.listen({ signal: stopActors.signal });
    try {
      await one.upsert("user-42", { event: reminder, period: 1, value: { user: 42 }, meta: { Tenant: "acme" } });
      {
        await using running = workers([one, two]);
        await waitForFires(backend, reminder, "user-42", 3);
        await waitUntil(() => handled.length >= 3, { what: "3 handled fires", time: backend.wait });
        const emitted = running.reports.filter((r) => r.outcome === "emitted");
        assert.ok(emitted.every((r) => r.schedule === "user-42" && r.event === "reminder"));
      }
    } finally {
      stopActors.abort();
      await listening;
    }
    const stored = (await backend.stored(reminder)).filter((m) => m.headers["Walnats-Schedule"] === "user-42");
    const ticks = stored.map((m) => Number(m.headers["Walnats-Tick"]));
    assertIncreasing(ticks);
    assert.ok(ticks.every((tick) => tick % 1000 === 0), String(ticks));
    for (const message of stored) {
      assert.equal(message.subject, "walnats-schedule.reminder.user-42.tick");
      assert.deepEqual(JSON.parse(message.payload), { user: 42 });
      assert.equal(message.headers["Tenant"], "acme");
    }
    const first = handled[0]!;
    assert.deepEqual(first.value, { user: 42 });
    assert.equal(first.schedule, "user-42");
    assert.ok(ticks.includes(first.tick!), `handled tick ${first.tick} not stored`);
  },
);

behaviour("pausing stops the fires; resuming fires from the next tick, none of the paused ones", async (backend) => {
  await using schedules = await connected(backend);
  await schedules.upsert("p", { event: reminder, period: 1, value: { n: 1 } });
  await using _running = workers([schedules]);
  await waitForFires(backend, reminder, "p", 1);
  const paused = await schedules.pause("p", "on holiday");
  assert.equal(paused.paused?.note, "on holiday");
  await backend.wait.pass(300); // a fire in flight at the pause may still land
  const atPause = (await fires(backend, reminder, "p")).length;
  await backend.wait.pass(2_500);
  assert.equal((await fires(backend, reminder, "p")).length, atPause, "fired while paused");
  const resumedAt = backend.time.now();
  await schedules.resume("p");
  await waitForFires(backend, reminder, "p", atPause + 1);
  const after = (await fires(backend, reminder, "p")).slice(atPause);
  assert.ok(after[0]!.tick > resumedAt, `fired a tick from the pause: ${new Date(after[0]!.tick).toISOString()}`);
  assert.ok(after.every((fire) => !fire.late));
});

behaviour(
  "resuming a schedule with catchUp fires the most recent paused ticks late, oldest first, then on time",
  async (backend) => {
    await using schedules = await connected(backend);
    await schedules.upsert("c", { event: reminder, period: 1, value: { n: 1 }, catchUp: 2 });
    await using _running = workers([schedules]);
    await waitForFires(backend, reminder, "c", 1);
    await schedules.pause("c");
    await backend.wait.pass(300);
    const atPause = (await fires(backend, reminder, "c")).length;
    await backend.wait.pass(4_000);
    await schedules.resume("c");
    await waitForFires(backend, reminder, "c", atPause + 3);
    const all = await fires(backend, reminder, "c");
    assertIncreasing(all.map((fire) => fire.tick));
    const [first, second, onTime] = all.slice(atPause, atPause + 3);
    assert.deepEqual([first!.late, second!.late, onTime!.late], [true, true, false]);
    // The two most recent ticks of the pause: the two before the first one on time.
    assert.deepEqual([first!.tick, second!.tick], [onTime!.tick - 2_000, onTime!.tick - 1_000]);
  },
);

behaviour(
  "a deleted schedule never fires again; its id is then unknown to every operation but get()",
  async (backend) => {
    await using schedules = await connected(backend);
    await schedules.upsert("d", { event: reminder, period: 1, value: {} });
    await using _running = workers([schedules]);
    await waitForFires(backend, reminder, "d", 1);
    await schedules.delete("d");
    await backend.wait.pass(300);
    const atDelete = (await fires(backend, reminder, "d")).length;
    await backend.wait.pass(2_500);
    assert.equal((await fires(backend, reminder, "d")).length, atDelete, "fired after delete");
    assert.equal(await schedules.get("d"), undefined);
    for (
      const call of [
        () => schedules.pause("d"),
        () => schedules.resume("d"),
        () => schedules.describe("d"),
        () => schedules.delete("d"),
      ]
    ) {
      await assert.rejects(call(), (error) => isWalnatsError(error, ErrorCode.ScheduleNotFound));
    }
  },
);

behaviour("an upsert that changes the period applies from the next tick, with no tick fired twice", async (backend) => {
  await using schedules = await connected(backend);
  await schedules.upsert("u", { event: reminder, period: 1, value: { v: 1 } });
  await using _running = workers([schedules]);
  await waitForFires(backend, reminder, "u", 2);
  const changedAt = backend.time.now();
  await schedules.upsert("u", { event: reminder, period: 2, value: { v: 2 } });
  const before = (await fires(backend, reminder, "u")).length;
  await waitForFires(backend, reminder, "u", before + 2);
  const stored = (await backend.stored(reminder)).filter((m) => m.headers["Walnats-Schedule"] === "u");
  const ticks = stored.map((m) => Number(m.headers["Walnats-Tick"]));
  assertIncreasing(ticks);
  const later = stored.filter((m) => Number(m.headers["Walnats-Tick"]) > changedAt + 1_000);
  assert.ok(later.length >= 1);
  for (const message of later) {
    assert.equal(Number(message.headers["Walnats-Tick"]) % 2000, 0);
    assert.deepEqual(JSON.parse(message.payload), { v: 2 });
  }
});

behaviour(
  "a schedule created just before a tick fires that tick, even when the worker sees the change after it (a clock 0.6 s ahead)",
  async (backend) => {
    await using schedules = await connected(backend);
    // A worker whose time runs 600 ms ahead of the writer's sees an upsert made 150-550 ms before a whole second
    // after that second, with the tick's window (until the next second) still open.
    const ahead = { now: () => backend.time.now() + 600, sleep: backend.time.sleep.bind(backend.time) };
    const reports: FireReport[] = [];
    const stop = new AbortController();
    const running = schedules.run({ signal: stop.signal, time: ahead, onTick: (r) => void reports.push(r) });
    try {
      // Once the worker fires (it has loaded the schedules and joined the fleet), the next upsert is a live change.
      await schedules.upsert("warm-up", { event: reminder, period: 1, value: {} });
      await waitUntil(() => reports.length >= 1, { what: "the worker's first fire", time: backend.wait });
      await waitUntil(() => backend.time.now() % 1000 >= 450 && backend.time.now() % 1000 < 850, {
        what: "450-850 ms of a second",
        time: backend.wait,
      });
      await schedules.upsert("fresh", { event: reminder, period: 1, value: {} });
      const upsertMs = (await schedules.get("fresh"))!.updatedAt.getTime();
      const fresh = () => reports.filter((r) => r.schedule === "fresh");
      await waitUntil(() => fresh().length >= 1, { what: "the first fire", time: backend.wait });
      assert.deepEqual(
        { tick: fresh()[0]!.tick.getTime(), outcome: fresh()[0]!.outcome },
        { tick: Math.ceil((upsertMs + 1) / 1000) * 1000, outcome: "emitted" },
        `upserted at ${new Date(upsertMs).toISOString()}`,
      );
    } finally {
      stop.abort();
      await running;
    }
  },
);

behaviour("a failing fire is retried by its actor: attempt 1 fails, attempt 2 handles it", async (backend) => {
  await using schedules = await connected(backend);
  const attempts: [number, number][] = [];
  const flaky = new Actor("flaky", reminder, (_value, { attempt, tick }) => {
    attempts.push([tick!.getTime(), attempt]);
    if (attempt === 1) throw new Error("first attempt fails");
  }, { retryDelay: [0.2] });
  await using actors = await new Actors(flaky).connect(backend.target as never);
  await actors.register();
  const stop = new AbortController();
  const listening = actors.listen({ signal: stop.signal });
  try {
    await schedules.upsert("once", { event: reminder, at: new Date(backend.time.now() + 1_000), value: {} });
    await using _running = workers([schedules]);
    await waitUntil(() => attempts.length >= 2, { what: "2 attempts", time: backend.wait });
  } finally {
    stop.abort();
    await listening;
  }
  assert.deepEqual(attempts.map(([, attempt]) => attempt), [1, 2]);
  assert.equal(attempts[0]![0], attempts[1]![0]);
  assert.equal((await fires(backend, reminder, "once")).length, 1);
});

behaviour(
  "describe() gives the spec, the state, the next fires and the last fire stored; maxTicks ends the schedule",
  async (backend) => {
    await using schedules = await connected(backend);
    await schedules.upsert("m", { event: reminder, period: 1, value: { n: 1 }, maxTicks: 2 });
    const fresh = await schedules.describe("m", { next: 5 });
    assert.equal(fresh.state, "active");
    assert.equal(fresh.next.length, 2);
    assert.equal(fresh.lastFire, undefined);
    assert.deepEqual(fresh.schedule.value, { n: 1 });
    await using _running = workers([schedules]);
    await waitForFires(backend, reminder, "m", 2);
    await backend.wait.pass(1_500);
    const stored = await fires(backend, reminder, "m");
    assert.deepEqual(stored.map((fire) => fire.tick), fresh.next.map((date) => date.getTime()));
    const ended = await schedules.describe("m");
    assert.equal(ended.state, "ended");
    assert.deepEqual(ended.next, []);
    assert.equal(ended.lastFire?.tick?.getTime(), stored[1]!.tick);
    const seq = (await backend.stored(reminder)).find((m) => m.headers["Walnats-Tick"] === String(stored[1]!.tick))
      ?.seq;
    assert.equal(ended.lastFire?.seq, seq);
  },
);

behaviour("concurrent upserts of one id: the last one wins whole, never a mix", async (backend) => {
  await using one = await connected(backend);
  await using two = await connected(backend);
  await Promise.all([
    one.upsert("race", { event: reminder, period: 1, value: { from: "one" }, meta: { From: "one" } }),
    two.upsert("race", { event: reminder, cron: "*/5 * * * * *", value: { from: "two" }, meta: { From: "two" } }),
  ]);
  const stored = await one.get("race");
  const from = (stored?.value as { from: string }).from;
  assert.equal(stored?.meta["From"], from);
  assert.deepEqual([stored?.period, stored?.cron], from === "one" ? [1, undefined] : [undefined, "*/5 * * * * *"]);
});

behaviour("list() gives every schedule, or those of one event", async (backend) => {
  const other = new Event("nightly", Date);
  await using schedules = await connected(backend, reminder, other);
  await schedules.upsert("a", { event: reminder, period: 60, value: {} });
  await schedules.upsert("b", { event: other, cron: "0 2 * * *", timezone: "Europe/Berlin" });
  const all = [];
  for await (const info of schedules.list()) all.push(info.id);
  const nightly = [];
  for await (const info of schedules.list({ event: other })) nightly.push(info.id);
  assert.deepEqual([all.toSorted(), nightly], [["a", "b"], ["b"]]);
});

behaviour("every worker applies every change, in order: upsert, pause, resume, delete", async (backend) => {
  await using one = await connected(backend);
  await using two = await connected(backend);
  const seen: Record<string, string[]> = { one: [], two: [] };
  const stop = new AbortController();
  const runs = [["one", one], ["two", two]].map(([name, connection]) =>
    (connection as SchedulesConnection).run({
      signal: stop.signal,
      onChange: ({ id, kind }) => void seen[name as string]!.push(`${kind} ${id}`),
    })
  );
  try {
    // A change made before a worker's watch began reaches it only as the state it left: wait for both watches first.
    await one.upsert("watching", { event: reminder, period: 60, value: {} });
    await waitUntil(() => seen.one!.length >= 1 && seen.two!.length >= 1, {
      what: "both workers watching",
      time: backend.wait,
    });
    await one.upsert("w", { event: reminder, period: 60, value: {} });
    await two.pause("w");
    await one.resume("w");
    await two.delete("w");
    await waitUntil(() => seen.one!.length >= 5 && seen.two!.length >= 5, {
      what: "4 changes applied by each worker",
      time: backend.wait,
      details: () => JSON.stringify(seen),
    });
  } finally {
    stop.abort();
    await Promise.all(runs);
  }
  const expected = ["put watching", "put w", "put w", "put w", "delete w"];
  assert.deepEqual(seen, { one: expected, two: expected });
});

/** The fires stored for a schedule with their subject's last token (`tick`, `manual`), in stream order. */
async function firesOn(backend: TestBackend, event: Event, id: string) {
  return (await backend.stored(event))
    .filter((message) => message.headers["Walnats-Schedule"] === id)
    .map((message) => ({
      seq: message.seq,
      on: message.subject.split(".").at(-1),
      tick: Number(message.headers["Walnats-Tick"]),
      late: message.headers["Walnats-Late"] === "true",
    }));
}

/** The grid ticks (every `periodMs`) from `fromMs` to `toMs`, both included. */
function grid(fromMs: number, toMs: number, periodMs = 1_000): number[] {
  const ticks = [];
  for (let tick = Math.ceil(fromMs / periodMs) * periodMs; tick <= toMs; tick += periodMs) ticks.push(tick);
  return ticks;
}

behaviour(
  "trigger() stores one fire now with its own id on the manual subject, also at a scheduled fire's instant",
  async (backend) => {
    await using schedules = await connected(backend);
    await schedules.upsert("t", { event: reminder, period: 1, value: { n: 1 }, meta: { Tenant: "acme" } });
    await using _running = workers([schedules]);
    await waitForFires(backend, reminder, "t", 1);
    await backend.wait.pass(1_000 - (backend.time.now() % 1_000)); // at a tick: a scheduled fire goes out too
    const triggered = await schedules.trigger("t");
    const before = (await firesOn(backend, reminder, "t")).filter((fire) => fire.on === "tick").length;
    await waitForFires(backend, reminder, "t", before + 3);
    const all = await firesOn(backend, reminder, "t");
    const manual = all.filter((fire) => fire.on === "manual");
    assert.deepEqual(manual, [{ seq: triggered.seq, on: "manual", tick: triggered.tick.getTime(), late: false }]);
    assert.equal(triggered.duplicate, false);
    const scheduled = all.filter((fire) => fire.on === "tick").map((fire) => fire.tick);
    assert.deepEqual(scheduled, grid(scheduled[0]!, scheduled.at(-1)!), "a scheduled fire is missing");
    assert.ok(scheduled.at(-1)! > triggered.tick.getTime() + 1_000, "the scheduled fires went on after the trigger");
    const message = (await backend.stored(reminder)).find((m) => m.seq === triggered.seq)!;
    assert.deepEqual(JSON.parse(message.payload), { n: 1 });
    assert.equal(message.headers["Tenant"], "acme");
    assert.equal(message.headers["Walnats-Tick"], String(triggered.tick.getTime()));
    // A paused schedule can be triggered; an unknown one cannot.
    await schedules.pause("t");
    const whilePaused = await schedules.trigger("t");
    assert.ok(whilePaused.seq > triggered.seq);
    await assert.rejects(schedules.trigger("nope"), (error) => isWalnatsError(error, ErrorCode.ScheduleNotFound));
  },
);

behaviour(
  "backfill() stores each missing tick of the range once, oldest first, late, on the manual subject; again: nothing",
  async (backend) => {
    await using schedules = await connected(backend);
    const upsertAt = backend.time.now();
    await schedules.upsert("b", { event: reminder, period: 1, value: { n: 2 } });
    {
      await using _running = workers([schedules]);
      await waitForFires(backend, reminder, "b", 2);
    }
    await backend.wait.pass(2_000); // no worker: these ticks are missed
    const held = (await firesOn(backend, reminder, "b")).map((fire) => fire.tick);
    const from = new Date(upsertAt - 3_000); // before the upsert: its spec had these ticks too
    const to = new Date(backend.time.now());
    const range = grid(from.getTime(), to.getTime());
    const first = await schedules.backfill("b", { from, to });
    assert.deepEqual(first.skipped.map((date) => date.getTime()), held);
    const missing = range.filter((tick) => !held.includes(tick));
    assert.deepEqual(first.stored.map((fire) => fire.tick.getTime()), missing);
    assert.ok(missing.length >= 5, `${missing.length} missing ticks`);
    const backfilled = (await firesOn(backend, reminder, "b")).filter((fire) => fire.on === "manual");
    assert.deepEqual(
      backfilled,
      first.stored.map(({ tick, seq }) => ({ seq, on: "manual", tick: tick.getTime(), late: true })),
    );
    const message = (await backend.stored(reminder)).find((m) => m.seq === first.stored[0]!.seq)!;
    assert.deepEqual(JSON.parse(message.payload), { n: 2 });
    const storedBefore = (await backend.stored(reminder)).length;
    const second = await schedules.backfill("b", { from, to });
    assert.deepEqual(second.stored, []);
    assert.deepEqual(second.skipped.map((date) => date.getTime()), range);
    assert.equal((await backend.stored(reminder)).length, storedBefore, "the second backfill stored something");
  },
);

behaviour(
  "manual fires keep the ledger clean: after a backfill of older ticks and a trigger, a lagging worker's scheduled " +
    "fire of a stored tick is a duplicate past the duplicate window",
  async (backend) => {
    const brief = new Event("brief", Object, { limits: { duplicateWindow: 0.2 } });
    await using schedules = await connected(backend, brief);
    await schedules.upsert("l", { event: brief, period: 1, value: {} });
    {
      await using _running = workers([schedules]);
      await waitForFires(backend, brief, "l", 2);
    }
    const ledgerTick = (await firesOn(backend, brief, "l")).at(-1)!.tick;
    const backfilled = await schedules.backfill("l", {
      from: new Date(ledgerTick - 10_000),
      to: new Date(ledgerTick - 8_000),
    });
    assert.equal(backfilled.stored.length, 3);
    await schedules.trigger("l");
    await backend.wait.pass(500); // past the duplicate window: only the ledger can refuse the tick now
    await using lagging = await new Events(brief).connect(backend.target as never);
    const template = { id: "l", event: "brief", stream: "brief", payload: new TextEncoder().encode("{}"), meta: {} };
    const late = await lagging.publishTick(fireMessage(template, ledgerTick, "lagging-worker", false), {
      timeoutMs: 5_000,
    });
    assert.equal(late.duplicate, true, "a manual fire became the ledger: the scheduled tick was stored again");
    const copies = (await firesOn(backend, brief, "l")).filter((fire) =>
      fire.on === "tick" && fire.tick === ledgerTick
    );
    assert.equal(copies.length, 1);
    // Control: a tick after the ledger's is stored by the same publish.
    const next = await lagging.publishTick(fireMessage(template, ledgerTick + 1_000, "lagging-worker", false), {
      timeoutMs: 5_000,
    });
    assert.equal(next.duplicate, false);
  },
);

behaviour(
  "describe() shows the recent fires as the stream holds them: scheduled, caught-up, triggered, backfilled",
  async (backend) => {
    await using schedules = await connected(backend);
    const upsertAt = backend.time.now();
    await schedules.upsert("h", { event: reminder, period: 1, value: {}, catchUp: 1 });
    {
      await using _running = workers([schedules]);
      await waitForFires(backend, reminder, "h", 2);
    }
    await backend.wait.pass(2_500); // an outage: the next worker catches up one tick, late
    {
      const count = (await fires(backend, reminder, "h")).length;
      await using _running = workers([schedules]);
      await waitForFires(backend, reminder, "h", count + 2);
    }
    await schedules.trigger("h");
    await schedules.backfill("h", { from: new Date(upsertAt - 2_000), to: new Date(upsertAt) });
    const stored = await firesOn(backend, reminder, "h");
    const kind = (fire: { on: string | undefined; late: boolean }) =>
      fire.on === "manual" ? (fire.late ? "backfilled" : "triggered") : (fire.late ? "caught-up" : "scheduled");
    const { recent } = await schedules.describe("h", { recent: 100 });
    assert.deepEqual(
      recent.map(({ seq, tick, kind }) => ({ seq, tick: tick?.getTime(), kind })),
      stored.map((fire) => ({ seq: fire.seq, tick: fire.tick, kind: kind(fire) })),
    );
    assert.deepEqual(
      new Set(recent.map((fire) => fire.kind)),
      new Set(["scheduled", "caught-up", "triggered", "backfilled"]),
    );
    for (const fire of recent) {
      assert.equal(fire.lagMs, fire.storedAt.getTime() - fire.tick!.getTime());
      if (fire.kind === "backfilled") assert.ok(fire.lagMs! >= 1_000, `backfilled lag ${fire.lagMs}`);
    }
    const lastTwo = await schedules.describe("h", { recent: 2 });
    assert.deepEqual(lastTwo.recent, recent.slice(-2));
    assert.deepEqual((await schedules.describe("h")).recent, recent.slice(-10));
    assert.deepEqual((await schedules.describe("h", { recent: 0 })).recent, []);
  },
);

/** The ticks of a 1 s schedule in (fromMs, toMs]. */
function secondsIn(fromMs: number, toMs: number): number[] {
  const ticks = [];
  for (let tick = Math.floor(fromMs / 1000) * 1000 + 1000; tick <= toMs; tick += 1000) ticks.push(tick);
  return ticks;
}

/** A worker's run with its own stop, collecting its reports. */
export function worker(
  schedules: SchedulesConnection,
): AsyncDisposable & { reports: FireReport[]; stop(): Promise<void> } {
  const reports: FireReport[] = [];
  const stop = new AbortController();
  const run = schedules.run({ signal: stop.signal, onTick: (r) => void reports.push(r) });
  const stopped = async () => {
    stop.abort();
    await run;
  };
  return { reports, stop: stopped, [Symbol.asyncDispose]: stopped };
}

const fireKey = (r: FireReport) => `${r.schedule}@${r.tick.getTime()}`;

behaviour(
  "two workers share 20 schedules, each fire attempted by one of them; when one stops, it leaves and the other fires them all",
  async (backend) => {
    await using one = await connected(backend);
    await using two = await connected(backend);
    const ids = Array.from({ length: 20 }, (_, i) => `share-${i}`);
    for (const id of ids) await one.upsert(id, { event: reminder, period: 1, value: {} });
    await using first = worker(one);
    await using second = worker(two);
    await backend.wait.pass(2_000); // both have seen each other
    const steadyFrom = backend.time.now();
    await backend.wait.pass(3_000);
    const steadyTo = backend.time.now() - 1_000; // ticks whose fires are over
    const inSteady = (r: FireReport) => r.tick.getTime() > steadyFrom && r.tick.getTime() <= steadyTo;
    const attempted = [...first.reports, ...second.reports].filter(inSteady);
    const expected = ids.length * secondsIn(steadyFrom, steadyTo).length;
    assert.equal(new Set(attempted.map(fireKey)).size, expected, "fires not attempted");
    assert.equal(attempted.length, expected, "fires attempted by both workers");
    assert.ok(attempted.every((r) => r.outcome === "emitted"), JSON.stringify(attempted.map((r) => r.outcome)));
    assert.ok(first.reports.some(inSteady) && second.reports.some(inSteady), "one worker fired every schedule");

    // The backend's handover: 0.5 s on NATS, at once in memory (its store tells the others of the leave).
    const opened = await backend.connectSchedules([reminder]);
    const { handoverMs } = fleetTiming(opened.fleet);
    await opened.events.close();
    await first.stop();
    const stoppedAt = backend.time.now();
    await backend.wait.pass(handoverMs + 3_000);
    const takenTo = backend.time.now() - 1_000;
    const taken = second.reports.filter((r) =>
      r.tick.getTime() > stoppedAt + handoverMs && r.tick.getTime() <= takenTo && r.outcome === "emitted"
    );
    assert.equal(new Set(taken.map(fireKey)).size, ids.length * secondsIn(stoppedAt + handoverMs, takenTo).length);
  },
);

behaviour(
  "a worker that dies without leaving is taken over after the TTL: no fire lost after the takeover time, none at all with catchUp",
  async (backend) => {
    await using survivor = await connected(backend);
    const opened = await backend.connectSchedules([reminder]);
    const neverLeaves: FleetStore = {
      beat: (id) => opened.fleet.beat(id),
      members: () => opened.fleet.members(),
      leave: () => Promise.resolve(), // dies: its last beat stays in the store
    };
    await using doomed = new SchedulesConnection([reminder], opened.events, opened.store, { fleet: neverLeaves });
    const { takeoverMs } = fleetTiming(opened.fleet); // the backend's: 2 s on NATS, 6 min in memory
    const lossy = Array.from({ length: 10 }, (_, i) => `lossy-${i}`);
    const caught = Array.from({ length: 10 }, (_, i) => `caught-${i}`);
    for (const id of lossy) await survivor.upsert(id, { event: reminder, period: 1, value: {} });
    for (const id of caught) {
      await survivor.upsert(id, { event: reminder, period: 1, value: {}, catchUp: Math.ceil(takeoverMs / 1_000) + 3 });
    }
    await using surviving = worker(survivor);
    const dying = worker(doomed);
    await backend.wait.pass(2_000);
    await dying.stop();
    const diedAt = backend.time.now();
    await backend.wait.pass(takeoverMs + 3_000);
    const endAt = backend.time.now() - 1_000;
    await surviving.stop();

    const takenOver = new Set(
      surviving.reports.filter((r) => r.tick.getTime() > diedAt && r.outcome === "emitted").map((r) => r.schedule),
    );
    const deadOwned = new Set(dying.reports.filter((r) => r.outcome === "emitted").map((r) => r.schedule));
    assert.deepEqual(takenOver, new Set([...lossy, ...caught]), "schedules the survivor did not fire");
    assert.ok(deadOwned.size > 0, "the dead worker stored nothing: the test did not test a takeover");
    for (const [ids, from] of [[lossy, diedAt + takeoverMs], [caught, -Infinity]] as const) {
      for (const id of ids) {
        const ticks = (await fires(backend, reminder, id)).map((fire) => fire.tick);
        assertIncreasing(ticks);
        const expected = secondsIn(Math.max(from, ticks[0]! - 1), endAt);
        const missing = expected.filter((tick) => !ticks.includes(tick));
        assert.deepEqual(missing.map((tick) => new Date(tick).toISOString()), [], `${id} lost fires`);
      }
    }
  },
);

behaviour(
  "a worker whose first fleet round is slow loses no fire when it joins: the others drop its share at its beat, it fires from then",
  async (backend) => {
    await using incumbent = await connected(backend);
    const opened = await backend.connectSchedules([reminder]);
    /** Sleeps until `ms` past the next whole second. */
    const untilNextSecond = (ms: number) => backend.time.sleep(1_000 - backend.time.now() % 1_000 + ms);
    let beats = 0;
    let rounds = 0;
    // The joiner's first round is slow: its beat lands 100 ms into a second, its members read ends 200 ms past a
    // tick. The incumbent drops the joiner's share within a round of seeing that beat, whatever the joiner does.
    const slowFirstRound: FleetStore = {
      beat: async (id) => {
        if (beats++ === 0) await untilNextSecond(100);
        await opened.fleet.beat(id);
      },
      members: async () => {
        if (rounds++ === 0) await untilNextSecond(200);
        return await opened.fleet.members();
      },
      leave: (id) => opened.fleet.leave(id),
    };
    await using joiner = new SchedulesConnection([reminder], opened.events, opened.store, { fleet: slowFirstRound });
    const ids = Array.from({ length: 20 }, (_, i) => `join-${i}`);
    for (const id of ids) await incumbent.upsert(id, { event: reminder, period: 1, value: {} });
    await using first = worker(incumbent);
    await backend.wait.pass(2_000);
    await using second = worker(joiner);
    await backend.wait.pass(5_000);
    const endAt = backend.time.now() - 1_000;
    await first.stop();
    await second.stop();

    assert.ok(second.reports.some((r) => r.outcome === "emitted"), "the joiner fired nothing: it did not join");
    // The ticks before the one the incumbent dropped were the incumbent's: the joiner reports none of them missed.
    const missed = [...first.reports, ...second.reports].filter((r) => r.outcome === "missed");
    assert.deepEqual(missed.map((r) => `${fireKey(r)}: ${r.reason}`), [], "fires reported missed");
    for (const id of ids) {
      const ticks = (await fires(backend, reminder, id)).map((fire) => fire.tick);
      assertIncreasing(ticks);
      const missing = secondsIn(ticks[0]! - 1, endAt).filter((tick) => !ticks.includes(tick));
      assert.deepEqual(missing.map((tick) => new Date(tick).toISOString()), [], `${id} lost fires`);
    }
  },
);

behaviour(
  "a worker joining while the incumbent holds a tick's fires in its backlog loses none: the incumbent sends those due before the joiner's beat",
  async (backend) => {
    await using setup = await connected(backend);
    const opened = await backend.connectSchedules([reminder]);
    // The incumbent's publishes of one tick wait until it has seen the joiner: more fires are due than it sends at
    // once (256), so the rest wait in its backlog, and it drops the joiner's share of them when it sees the joiner.
    let blockedTick = Infinity;
    let blocked = 0;
    let seen = false;
    let seeJoiner!: () => void;
    const joinerSeen = new Promise<void>((resolve) => seeJoiner = resolve).then(() => void (seen = true));
    const publisher = new Proxy(opened.events, {
      get(target, name) {
        if (name === "publishTick") {
          return async (message: Parameters<typeof target.publishTick>[0], options: { timeoutMs: number }) => {
            if (message.tickMs === blockedTick && !seen) {
              blocked++;
              await joinerSeen;
            }
            return await target.publishTick(message, options);
          };
        }
        const value = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const fleet = new Proxy(opened.fleet, {
      get(target, name) {
        if (name === "members") {
          return async () => {
            const beats = await target.members();
            // Released a moment after this read: the incumbent takes the view with the joiner first.
            if (beats.length > 1) void backend.time.sleep(10).then(seeJoiner);
            return beats;
          };
        }
        const value = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await using incumbent = new SchedulesConnection([reminder], publisher, opened.store, { fleet });
    const ids = Array.from({ length: 300 }, (_, i) => `backlog-${i}`);
    for (const id of ids) await setup.upsert(id, { event: reminder, period: 1, value: {} });
    await using first = worker(incumbent);
    await backend.wait.pass(1_500);
    blockedTick = Math.ceil(backend.time.now() / 1_000) * 1_000 + 1_000;
    await waitUntil(() => blocked > 0, { what: "the incumbent to send the blocked tick", time: backend.wait });
    await using joiner = await connected(backend);
    await using second = worker(joiner);
    await waitUntil(() => second.reports.length > 0, { what: "the joiner's first fire", time: backend.wait });
    await backend.wait.pass(2_000);
    await first.stop();
    await second.stop();

    assert.ok(blocked > 0 && blocked < ids.length, `${blocked} fires in flight: no backlog to test`);
    const stored = new Set(
      (await backend.stored(reminder))
        .filter((message) => Number(message.headers["Walnats-Tick"]) === blockedTick)
        .map((message) => message.headers["Walnats-Schedule"]),
    );
    const lost = ids.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `fires of ${new Date(blockedTick).toISOString()} lost`);
  },
);

behaviour(
  "a backfill of a paused schedule's gap is not caught up again on resume, even past the duplicate window",
  async (backend) => {
    const brief = new Event("brief", Object, { limits: { duplicateWindow: 0.2 } });
    await using schedules = await connected(backend, brief);
    await schedules.upsert("g", { event: brief, period: 1, value: {}, catchUp: 3 });
    {
      await using _running = workers([schedules]);
      await waitForFires(backend, brief, "g", 1);
      await schedules.pause("g");
      await backend.wait.pass(300); // a fire in flight at the pause lands
    }
    const before = (await firesOn(backend, brief, "g")).length;
    const lastTick = (await firesOn(backend, brief, "g")).at(-1)!.tick;
    await backend.wait.pass(4_000);
    const backfilled = await schedules.backfill("g", {
      from: new Date(lastTick + 1_000),
      to: new Date(backend.time.now() - 500),
    });
    assert.ok(backfilled.stored.length >= 3, JSON.stringify(backfilled));
    await backend.wait.pass(500); // past the duplicate window: only the worker's own check can keep a copy out
    await schedules.resume("g");
    {
      await using _running = workers([schedules]);
      await waitUntil(
        async () => (await firesOn(backend, brief, "g")).some((fire) => fire.on === "tick" && fire.tick > lastTick),
        { what: "a scheduled fire after the resume", time: backend.wait },
      );
    }
    const ticks = (await firesOn(backend, brief, "g")).map((fire) => fire.tick);
    assert.equal(
      new Set(ticks).size,
      ticks.length,
      `a tick stored twice: ${ticks.map((t) => new Date(t).toISOString())}`,
    );
    assert.ok(ticks.length > before + backfilled.stored.length);
  },
);

behaviour(
  "a one-off schedule whose instant passed before any worker ran fires once, late, within its window",
  async (backend) => {
    await using schedules = await connected(backend);
    const at = new Date(backend.time.now() + 500);
    await schedules.upsert("once-late", { event: reminder, at, value: {} });
    await backend.wait.pass(1_500); // no worker yet: the instant passes
    await using running = workers([schedules]);
    await waitForFires(backend, reminder, "once-late", 1);
    await backend.wait.pass(500);
    assert.deepEqual((await fires(backend, reminder, "once-late")).map((fire) => fire.tick), [at.getTime()]);
    assert.deepEqual(
      running.reports.filter((r) => r.schedule === "once-late").map((r) => r.outcome),
      ["emitted"],
    );
  },
);

// --- one event, one payload kind (issue 18, item 3) -------------------------------

/** Whether `error` is the refusal of event 'ping' of kind `given` on a stream that records 'date'. */
function kindMismatch(error: unknown, given: string): boolean {
  assert.ok(isWalnatsError(error, ErrorCode.PayloadKindMismatch), String(error));
  assert.match(error.message, new RegExp(`event 'ping' has payload kind 'date' .*got '${given}'`));
  return true;
}

behaviour(
  "an event has one payload kind: an upsert, a register of schedules or of clocks with another schema is refused " +
    "(PAYLOAD_KIND_MISMATCH naming the event and both kinds), and nothing is stored or created",
  async (backend) => {
    const ping = new Event("ping", Date);
    const pingJson = new Event("ping", Object);
    const pong = new Event("pong", Object);
    await using first = await connected(backend, ping);
    await first.upsert("a", { event: ping, period: 3 });

    await using second = await new Schedules(pingJson).connect(backend.target as never);
    await assert.rejects(
      second.upsert("b", { event: pingJson, period: 5, value: { n: 5 } }),
      (e) => kindMismatch(e, "json"),
    );
    await assert.rejects(second.register(), (e) => kindMismatch(e, "json"));
    await using clocks = await new Events(pong, new Event("ping", String)).connect(backend.target as never);
    await assert.rejects(clocks.register(), (e) => kindMismatch(e, "string"));

    assert.equal(await first.get("b"), undefined);
    await assert.rejects(
      clocks.emit(pong, {}),
      (error) => isWalnatsError(error, ErrorCode.StreamNotFound),
      "a refused register created another event's stream",
    );
    // The same kind, from another process, is welcome.
    const pingAgain = new Event("ping", Date);
    await using third = await connected(backend, pingAgain);
    assert.equal((await third.upsert("c", { event: pingAgain, period: 5 })).kind, "date");
    const listed = [];
    for await (const info of third.list()) listed.push([info.id, info.kind, info.mixedKinds]);
    assert.deepEqual(listed.toSorted(), [["a", "date", undefined], ["c", "date", undefined]]);
  },
);

behaviour(
  "a fire an actor cannot decode is terminated and reported with its stream sequence and its schedule",
  async (backend) => {
    const ping = new Event("ping", Object);
    await using _registered = await connected(backend, ping);
    const reports: JobEvent[] = [];
    const actor = new Actor("ping-json", ping, () => {});
    await using actors = await new Actors(actor).connect(backend.target as never);
    await actors.register();
    // A fire of a date schedule, as a worker of a version that did not check kinds stored it.
    await using old = await new Events(ping).connect(backend.target as never);
    const tickMs = Math.floor(backend.time.now() / 1000) * 1000;
    const payload = new Event("ping", Date).encode(new Date(tickMs));
    const template = { id: "a", event: "ping", stream: "ping", payload, meta: {} };
    const { seq } = await old.publishTick(fireMessage(template, tickMs, "old-worker", false), { timeoutMs: 5_000 });
    const stop = new AbortController();
    const listening = actors.listen({ signal: stop.signal, onEvent: (event) => void reports.push(event) });
    try {
      await waitUntil(() => reports.some((r) => r.type === "terminated"), {
        what: "a termination",
        time: backend.wait,
      });
    } finally {
      stop.abort();
      await listening;
    }
    const terminated = reports.filter((r) => r.type === "terminated");
    assert.deepEqual(terminated.map((r) => [r.seq, r.reason]), [[seq, "decode"]]);
    assert.match(
      String((terminated[0] as { error: unknown }).error),
      new RegExp(`message ${seq} of stream 'ping' \\(fired by schedule 'a'\\) as payload kind 'json': .*JSON`),
    );
  },
);

behaviour(
  "list() flags the schedules of an event that mix payload kinds (stored by a version that did not check them)",
  async (backend) => {
    const ping = new Event("ping", Object);
    const other = new Event("other", Object);
    await using schedules = await connected(backend, ping, other);
    await schedules.upsert("b", { event: ping, period: 5, value: { n: 5 } });
    await schedules.upsert("o", { event: other, period: 5, value: {} });
    // Older records name no kind: one without a value (its fires carry their tick) and one with a value.
    const { events, store } = await backend.connectSchedules([ping]);
    await using _closed = events;
    const older = (id: string, event: Event, payload?: string) =>
      new TextEncoder().encode(JSON.stringify({
        v: 1,
        id,
        event: event.name,
        period: 3,
        catchUp: 0,
        meta: {},
        ...(payload === undefined ? {} : { payload }),
        updatedAt: new Date(backend.time.now()).toISOString(),
      }));
    assert.ok(await store.write("a", older("a", ping), 0));
    assert.ok(await store.write("p", older("p", other, btoa("{}")), 0));
    const listed = new Map<string, unknown>();
    for await (const info of schedules.list()) listed.set(info.id, [info.kind, info.mixedKinds]);
    assert.deepEqual(
      listed,
      new Map([
        ["a", ["date", ["date", "json"]]],
        ["b", ["json", ["date", "json"]]],
        ["o", ["json", undefined]],
        ["p", ["value", undefined]], // a value of a kind not recorded agrees with json
      ]),
    );
  },
);

behaviour(
  "a record of a newer version, or with a field the worker does not know, is refused with a report and never " +
    "fired; the others fire",
  async (backend) => {
    await using schedules = await connected(backend);
    await schedules.upsert("plain", { event: reminder, period: 1, value: {} });
    const { events, store } = await backend.connectSchedules([reminder]);
    await using _closed = events;
    const record = (id: string, fields: Record<string, unknown>) =>
      new TextEncoder().encode(JSON.stringify({
        id,
        event: reminder.name,
        period: 1,
        catchUp: 0,
        meta: {},
        payload: btoa("{}"),
        updatedAt: new Date(backend.time.now()).toISOString(),
        ...fields,
      }));
    assert.ok(await store.write("newer", record("newer", { v: 3, jitter: 0.5 }), 0));
    assert.ok(await store.write("unknown", record("unknown", { v: 1, overlapKey: "tenant" }), 0));
    const changes: AppliedChange[] = [];
    const stop = new AbortController();
    const run = schedules.run({ signal: stop.signal, onChange: (change) => void changes.push(change) });
    try {
      await waitForFires(backend, reminder, "plain", 3);
    } finally {
      stop.abort();
      await run;
    }
    assert.deepEqual(await fires(backend, reminder, "newer"), []);
    assert.deepEqual(await fires(backend, reminder, "unknown"), []);
    const refused = changes.filter((change) => change.kind === "refused").sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(refused.map(({ id }) => id), ["newer", "unknown"]);
    assert.match(refused[0]!.reason!, /'newer': its record is version 3, .* reads versions up to 2/);
    assert.match(refused[1]!.reason!, /'unknown': its record has a field .* does not know \('overlapKey'\)/);
    assert.ok(changes.some((change) => change.id === "plain" && change.kind === "put"));
    await assert.rejects(schedules.describe("newer"), { name: "TypeError", message: /version 3/ });
    // An upsert by this version writes the record anew, one this version reads (docs/policies.md).
    const replaced = await schedules.upsert("newer", { event: reminder, period: 2, value: {} });
    assert.deepEqual([replaced.period, replaced.jitter], [2, undefined]);
    assert.equal((await schedules.describe("newer", { next: 1, recent: 0 })).state, "active");
  },
);

// --- the handler knows where it is (issue 22, item 6) -------------------------------

/** Each stored fire of `id`: its tick and the ticks it carries before and after it (epoch ms; undefined: none). */
async function placed(backend: TestBackend, id: string) {
  const number = (text: string | undefined) => text === undefined ? undefined : Number(text);
  return (await backend.stored(reminder))
    .filter((message) => message.headers["Walnats-Schedule"] === id)
    .map(({ seq, headers }) => ({
      seq,
      tick: Number(headers["Walnats-Tick"]),
      previous: number(headers["Walnats-Previous-Tick"]),
      next: number(headers["Walnats-Next-Tick"]),
    }));
}

behaviour(
  "each fire carries the ticks before and after it, as the handler's context gives them: none before the first of " +
    "maxTicks or after its last, none for an at, a trigger's around it, a backfilled one's around its tick",
  async (backend) => {
    await using schedules = await connected(backend);
    const contexts = new Map<number, { previous: number | undefined; next: number | undefined }>();
    const actor = new Actor("where-am-i", reminder, (_value, { seq, previousTick, nextTick }) => {
      contexts.set(seq, { previous: previousTick?.getTime(), next: nextTick?.getTime() });
    });
    await using actors = await new Actors(actor).connect(backend.target as never);
    await actors.register();
    const stop = new AbortController();
    const listening = actors.listen({ signal: stop.signal });
    try {
      await schedules.upsert("three", { event: reminder, period: 1, value: {}, maxTicks: 3 });
      await schedules.upsert("once", { event: reminder, at: new Date(backend.time.now() + 1_500), value: {} });
      await schedules.upsert("gap", { event: reminder, period: 1, value: {}, startAt: new Date(0) });
      await schedules.pause("gap");
      {
        await using _running = workers([schedules]);
        await waitForFires(backend, reminder, "three", 3);
        await waitForFires(backend, reminder, "once", 1);
      }
      await backend.wait.pass(200);
      const triggered = await schedules.trigger("three"); // after its last tick: no next
      const backfilled = await schedules.backfill("gap", {
        from: new Date(backend.time.now() - 2_500),
        to: new Date(backend.time.now()),
      });
      const all = [
        ...await placed(backend, "three"),
        ...await placed(backend, "once"),
        ...await placed(backend, "gap"),
      ];
      await waitUntil(() => all.every(({ seq }) => contexts.has(seq)), {
        what: `${all.length} fires handled`,
        time: backend.wait,
      });

      const [first, second, third, trigger] = await placed(backend, "three");
      assert.deepEqual(first, { seq: first!.seq, tick: first!.tick, previous: undefined, next: second!.tick });
      assert.deepEqual(second, {
        seq: second!.seq,
        tick: first!.tick + 1_000,
        previous: first!.tick,
        next: third!.tick,
      });
      assert.deepEqual(third, { seq: third!.seq, tick: second!.tick + 1_000, previous: second!.tick, next: undefined });
      assert.deepEqual(trigger, {
        seq: triggered.seq,
        tick: triggered.tick.getTime(),
        previous: third!.tick,
        next: undefined,
      });
      assert.deepEqual((await placed(backend, "once")).map(({ previous, next }) => ({ previous, next })), [{
        previous: undefined,
        next: undefined,
      }]);
      const gap = await placed(backend, "gap");
      assert.deepEqual(gap.map(({ tick }) => tick), backfilled.stored.map(({ tick }) => tick.getTime()));
      assert.ok(gap.length >= 2, `${gap.length} backfilled fires`);
      for (const { tick, previous, next } of gap) assert.deepEqual([previous, next], [tick - 1_000, tick + 1_000]);
      // The handler's context says what the headers say.
      for (const { seq, previous, next } of all) assert.deepEqual(contexts.get(seq), { previous, next }, `seq ${seq}`);
    } finally {
      stop.abort();
      await listening;
    }
  },
);

behaviour(
  "jitter: each fire is stored once, never before its tick plus the schedule's offset for it, never at or after " +
    "the next tick, whichever worker sends it; describe() shows the jittered instants",
  async (backend) => {
    await using one = await connected(backend);
    await using two = await connected(backend);
    // 16 schedules: both workers own some (all on one has odds of 2 in 65,536).
    const ids = Array.from({ length: 16 }, (_, i) => `jittered-${i}`);
    for (const id of ids) await one.upsert(id, { event: reminder, period: 2, jitter: 1, value: {} });
    const sendAt = (id: string, tick: number) => jitteredInstant(id, tick, 1_000, tick + 2_000);
    const { schedule, next } = await one.describe("jittered-0", { next: 3, recent: 0 });
    assert.equal(schedule.jitter, 1);
    const tickOf = (at: Date) => Math.floor(at.getTime() / 2_000) * 2_000;
    assert.deepEqual(next.map((at) => at.getTime()), next.map((at) => sendAt("jittered-0", tickOf(at))));
    {
      await using first = worker(one);
      await using second = worker(two);
      for (const id of ids) await waitForFires(backend, reminder, id, 2);
      await first.stop();
      await second.stop();
      for (const { reports } of [first, second]) {
        assert.ok(reports.some((r) => r.outcome === "emitted"), "each worker sent some of the fires");
      }
    }
    const offsets = new Set<number>();
    for (const id of ids) {
      const { recent } = await two.describe(id, { recent: 100 });
      const ticks = recent.map((fire) => fire.tick!.getTime());
      assertIncreasing(ticks); // stored once each
      for (const { tick, storedAt, kind } of recent) {
        assert.equal(kind, "scheduled");
        const tickMs = tick!.getTime();
        assert.equal(tickMs % 2_000, 0, "the fire's tick stays the scheduled tick");
        const at = `${id}@${tick!.toISOString()} stored at ${storedAt.toISOString()}`;
        assert.ok(storedAt.getTime() >= sendAt(id, tickMs), `before its jittered instant: ${at}`);
        assert.ok(storedAt.getTime() < tickMs + 2_000, `at or after the next tick: ${at}`);
        offsets.add(Math.floor((sendAt(id, tickMs) - tickMs) / 250));
      }
    }
    assert.ok(offsets.size >= 3, `the offsets spread over the second of jitter: ${[...offsets]}`);
  },
);

// --- pause on failure (issue 22, item 2) -------------------------------------------

behaviour(
  "pauseOnFailure: two actors that give up the same fire (maxAttempts 2) pause the schedule once, with a note naming " +
    "the actor, the attempts and the error; describe() and list() show it",
  async (backend) => {
    await using schedules = await connected(backend);
    const failing = ["fail-a", "fail-b"].map((name) =>
      new Actor(name, reminder, () => {
        throw new Error(`no mail server for ${name}`);
      }, { maxAttempts: 2, retryDelay: [0.2] })
    );
    await using actors = await new Actors(...failing).connect(backend.target as never);
    await actors.register();
    const events: JobEvent[] = [];
    const stop = new AbortController();
    const listening = actors.listen({ signal: stop.signal, onEvent: (event) => void events.push(event) });
    const at = new Date(backend.time.now() + 1_000);
    try {
      const stored = await schedules.upsert("p", { event: reminder, at, value: {}, pauseOnFailure: true });
      assert.equal(stored.pauseOnFailure, true);
      await using _running = workers([schedules]);
      const outcomes = () => events.filter((event) => event.type === "paused" || event.type === "pause-skipped");
      await waitUntil(() => outcomes().length >= 2, { what: "both actors' pause outcomes", time: backend.wait });
    } finally {
      stop.abort();
      await listening;
    }
    const [fire] = await placed(backend, "p");
    assert.equal(
      (await backend.stored(reminder)).find(({ seq }) => seq === fire!.seq)?.headers["Walnats-Pause-On-Failure"],
      `walnats-schedules/p/${(await schedules.get("p"))!.revision - 1}`,
      "the fire names the bucket, the key and the revision that fired",
    );
    const paused = events.filter((event) => event.type === "paused");
    assert.equal(paused.length, 1, JSON.stringify(events));
    assert.equal(events.filter((event) => event.type === "pause-skipped").length, 1);
    assert.equal(events.filter((event) => event.type === "terminated").length, 2);
    const [pause] = paused as Extract<JobEvent, { type: "paused" }>[];
    const actor = pause!.actor;
    const note = `Paused on failure: actor '${actor}' gave up the fire of ${at.toISOString()} (message ${
      fire!.seq
    }) after 2 attempts: no mail server for ${actor}`;
    assert.equal(pause!.note, note);
    const { state, schedule } = await schedules.describe("p");
    assert.deepEqual([state, schedule.paused?.note], ["paused", note]);
    const listed = [];
    for await (const info of schedules.list()) listed.push(info);
    assert.deepEqual(listed.map((info) => [info.id, info.paused?.note]), [["p", note]]);
  },
);

behaviour(
  "pauseOnFailure: a schedule upserted again between its fire and the actor's give-up is left alone (pause-skipped)",
  async (backend) => {
    await using schedules = await connected(backend);
    const spec = { event: reminder, value: {}, pauseOnFailure: true };
    const actor = new Actor("fail-late", reminder, async (_value, { attempt }) => {
      if (attempt === 2) await schedules.upsert("q", { ...spec, at: new Date(backend.time.now() + 60_000) });
      throw new Error("still failing");
    }, { maxAttempts: 2, retryDelay: [0.2] });
    await using actors = await new Actors(actor).connect(backend.target as never);
    await actors.register();
    const events: JobEvent[] = [];
    const stop = new AbortController();
    const listening = actors.listen({ signal: stop.signal, onEvent: (event) => void events.push(event) });
    try {
      const fired = await schedules.upsert("q", { ...spec, at: new Date(backend.time.now() + 1_000) });
      await using _running = workers([schedules]);
      await waitUntil(() => events.some((event) => event.type === "pause-skipped"), {
        what: "the pause skipped",
        time: backend.wait,
      });
      const [fire] = await placed(backend, "q");
      assert.deepEqual(events.filter((event) => event.type.startsWith("pause")), [
        { type: "pause-skipped", actor: "fail-late", seq: fire!.seq, schedule: "q", revision: fired.revision },
      ]);
    } finally {
      stop.abort();
      await listening;
    }
    const { schedule } = await schedules.describe("q");
    assert.equal(schedule.paused, undefined);
  },
);

behaviour(
  "pauseOnFailure with overlap 'skip': a fire skipped because its schedule's run goes on is no give-up, nothing pauses",
  async (backend) => {
    await using schedules = await connected(backend);
    let release = () => {};
    const actor = new Actor("one-at-a-time", reminder, () => new Promise<void>((resolve) => release = resolve), {
      overlap: "skip",
      maxAttempts: 1,
    });
    await using actors = await new Actors(actor).connect(backend.target as never);
    await actors.register();
    const events: JobEvent[] = [];
    const stop = new AbortController();
    const listening = actors.listen({ signal: stop.signal, onEvent: (event) => void events.push(event) });
    const until = (type: JobEvent["type"]) =>
      waitUntil(() => events.some((event) => event.type === type), { what: type, time: backend.wait });
    try {
      await schedules.upsert("s", { event: reminder, period: 3600, value: {}, pauseOnFailure: true });
      await schedules.trigger("s");
      await until("start");
      const skipped = await schedules.trigger("s");
      await until("skipped");
      release();
      await until("success");
      assert.deepEqual(
        events.filter((event) => event.type === "skipped").map((event) => event.seq),
        [skipped.seq],
      );
    } finally {
      stop.abort();
      await listening;
    }
    assert.deepEqual(events.filter((event) => event.type.startsWith("pause")), []);
    assert.equal((await schedules.describe("s")).schedule.paused, undefined);
  },
);

behaviour(
  "dst: a cron schedule with a DST policy keeps it (get, describe) and fires each tick once away from a change " +
    "(across a change: tests/schedules/dst_test.ts, fake time only)",
  async (backend) => {
    await using schedules = await connected(backend);
    const dst = { gap: "skip", repeat: "last" } as const;
    // A 6-field cron whose hour field names every hour, so that the policy applies: every second, no change near.
    await schedules.upsert("dst", {
      event: reminder,
      cron: "* * 0-23 * * *",
      timezone: "Europe/Berlin",
      dst,
      value: {},
    });
    assert.deepEqual((await schedules.get("dst"))?.dst, dst);
    const { next, schedule } = await schedules.describe("dst", { next: 3, recent: 0 });
    assert.deepEqual(schedule.dst, dst);
    assert.deepEqual(next.map((date) => date.getTime() - next[0]!.getTime()), [0, 1_000, 2_000]);
    {
      await using _running = workers([schedules]);
      await waitForFires(backend, reminder, "dst", 2);
    }
    const ticks = (await fires(backend, reminder, "dst")).map(({ tick }) => tick);
    assertIncreasing(ticks);
    assert.ok(ticks.every((tick) => tick % 1_000 === 0), `whole seconds: ${ticks}`);
  },
);
