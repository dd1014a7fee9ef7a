/**
 * The behaviour a handler relies on, as one set of test bodies that run on
 * both backends: the in-memory server of `@walnats/clock/testing` on fake
 * time (tests/behaviour_test.ts) and a real nats-server on real time
 * (tests/nats/behaviour_test.ts), so that the double cannot drift from the
 * real thing.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Actor,
  type ActorOptions,
  Actors,
  type ActorsConnection,
  Clock,
  ErrorCode,
  Event,
  Events,
  type EventsConnection,
  filterTime,
  isWalnatsError,
  type JobEvent,
  type TickMessage,
  type TickReport,
} from "../mod.ts";
import type { Behaviour, TestBackend } from "./_backends.ts";
import { connectAndRegister } from "./_connected.ts";
import { settled, waitUntil } from "./_wait.ts";

/** Tolerance for the granularity of real timers when an interval must be at least some length, in ms. */
const TIMER_MARGIN_MS = 5;
/** Time given to a backend to show a delivery that must not happen, in ms. */
const QUIET_MS = 300;

/** Every behaviour, in the order they are written below. */
export const BEHAVIOURS: Behaviour[] = [];

function behaviour(name: string, body: (backend: TestBackend) => Promise<void>): void {
  BEHAVIOURS.push({ name, body });
}

/** Runs `listen()` in the background until disposed. */
function listening(actors: ActorsConnection, onEvent: (event: JobEvent) => void = () => {}): AsyncDisposable {
  const stop = new AbortController();
  const done = actors.listen({ signal: stop.signal, onEvent });
  return {
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await done;
    },
  };
}

behaviour("each actor name gets every message once, with its meta headers", async (backend) => {
  const placed = new Event("order-placed", Number);
  const seen: Record<string, [number, string | undefined][]> = { email: [], invoice: [] };
  const record = (name: string) => (n: number, { headers }: { headers: Readonly<Record<string, string>> }) =>
    void seen[name]!.push([n, headers["Trace-Id"]]);
  await using connected = await connectAndRegister(backend.target, [placed], [
    new Actor("email", placed, record("email")),
    new Actor("invoice", placed, record("invoice")),
  ]);
  const { events, actors } = connected;
  {
    await using _listening = listening(actors);
    for (const n of [1, 2, 3]) await events.emit(placed, n, { meta: { "Trace-Id": `t${n}` } });
    await waitUntil(() => seen.email!.length + seen.invoice!.length >= 6, {
      what: "6 handled messages",
      time: backend.wait,
    });
    await backend.wait.pass(QUIET_MS);
  }
  for (const name of ["email", "invoice"]) {
    assert.deepEqual(seen[name]!.toSorted(([a], [b]) => a - b), [[1, "t1"], [2, "t2"], [3, "t3"]], name);
  }
});

behaviour("listeners of one actor name share its messages: each is handled once", async (backend) => {
  const placed = new Event("order-placed", Number);
  const handled: number[] = [];
  const worker = new Actor("worker", placed, (n) => void handled.push(n));
  await using connected = await connectAndRegister(backend.target, [placed], [worker]);
  const { events, actors } = connected;
  await using other = await new Actors(worker).connect(backend.target);
  {
    await using _first = listening(actors);
    await using _second = listening(other);
    for (let n = 1; n <= 10; n++) await events.emit(placed, n);
    await waitUntil(() => handled.length >= 10, { what: "10 handled messages", time: backend.wait });
    await backend.wait.pass(QUIET_MS);
  }
  assert.deepEqual(handled.toSorted((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

behaviour("a second emit with the same uid within the duplicate window is stored and handled once", async (backend) => {
  const placed = new Event("order-placed", Number);
  const handled: number[] = [];
  await using connected = await connectAndRegister(backend.target, [placed], [
    new Actor("email", placed, (n) => void handled.push(n)),
  ]);
  const { events, actors } = connected;
  const first = await events.emit(placed, 1, { uid: "order-1" });
  await backend.wait.pass(100);
  const second = await events.emit(placed, 2, { uid: "order-1" });
  assert.deepEqual([first.duplicate, second.duplicate, second.seq], [false, true, first.seq]);
  {
    await using _listening = listening(actors);
    await waitUntil(() => handled.length >= 1, { what: "the message handled", time: backend.wait });
    await backend.wait.pass(QUIET_MS);
  }
  assert.deepEqual(handled, [1]);
  assert.deepEqual((await backend.stored(placed)).map((m) => m.payload), ["1"]);
});

behaviour("a failed first attempt is retried after retryDelay, as attempt 2", async (backend) => {
  const placed = new Event("order-placed", Number);
  const attempts: { attempt: number; at: number }[] = [];
  const flaky = new Actor("flaky", placed, (_n, { attempt }) => {
    attempts.push({ attempt, at: backend.time.now() });
    if (attempt === 1) throw new Error("the first attempt fails");
  }, { retryDelay: 0.3 });
  await using connected = await connectAndRegister(backend.target, [placed], [flaky]);
  const { events, actors } = connected;
  const outcomes: string[] = [];
  {
    await using _listening = listening(actors, (event) => void outcomes.push(`${event.type}`));
    await events.emit(placed, 7);
    await waitUntil(() => outcomes.includes("success"), { what: "a success", time: backend.wait });
    await backend.wait.pass(QUIET_MS);
  }
  assert.deepEqual(attempts.map((a) => a.attempt), [1, 2]);
  assert.ok(attempts[1]!.at - attempts[0]!.at >= 300 - TIMER_MARGIN_MS, JSON.stringify(attempts));
  assert.deepEqual(outcomes, ["start", "failure", "start", "success"]);
});

behaviour("a handler that always fails is terminated after maxAttempts and never delivered again", async (backend) => {
  const placed = new Event("order-placed", Number);
  const attempts: number[] = [];
  const failing = new Actor("failing", placed, (_n, { attempt }) => {
    attempts.push(attempt);
    throw new Error("always");
  }, { maxAttempts: 3, retryDelay: 0.05 });
  await using connected = await connectAndRegister(backend.target, [placed], [failing]);
  const { events, actors } = connected;
  const terminated: JobEvent[] = [];
  {
    await using _listening = listening(actors, (event) => event.type === "terminated" && terminated.push(event));
    await events.emit(placed, 1);
    await waitUntil(() => terminated.length > 0, { what: "the termination", time: backend.wait });
    await backend.wait.pass(QUIET_MS);
  }
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.deepEqual(terminated.map((e) => e.type === "terminated" && [e.attempt, e.reason]), [[3, "attempts"]]);
});

behaviour("a delayed emit is handled once its time has come, as attempt 1 (waiting is no attempt)", async (backend) => {
  const reminder = new Event("reminder", String);
  const handled: { text: string; seq: number; attempt: number; at: number; notBefore: number }[] = [];
  const remind = new Actor("remind", reminder, (text, { seq, attempt, headers }) => {
    handled.push({ text, seq, attempt, at: backend.time.now(), notBefore: Number(headers["Walnats-Not-Before"]) });
  }, { maxAttempts: 1 });
  await using connected = await connectAndRegister(backend.target, [reminder], [remind]);
  const { events, actors } = connected;
  const delayed: Extract<JobEvent, { type: "delayed" }>[] = [];
  const beforeEmit = backend.time.now();
  const at = new Date(beforeEmit + 1_500);
  {
    await using _listening = listening(actors, (event) => event.type === "delayed" && delayed.push(event));
    const inASecond = await events.emit(reminder, "in a second", { delay: 1 });
    const afterEmit = backend.time.now();
    const atInstant = await events.emit(reminder, "at +1.5 s", { at });
    await waitUntil(() => handled.length >= 2, { what: "both reminders handled", time: backend.wait });
    await backend.wait.pass(QUIET_MS);

    const byText = (text: string) => handled.find((h) => h.text === text);
    const [first, second] = [byText("in a second"), byText("at +1.5 s")];
    assert.deepEqual([first?.seq, first?.attempt, second?.seq, second?.attempt], [inASecond.seq, 1, atInstant.seq, 1]);
    assert.ok(
      first!.notBefore >= beforeEmit + 1_000 && first!.notBefore <= afterEmit + 1_000,
      `Walnats-Not-Before ${first!.notBefore - beforeEmit} ms after the emit began`,
    );
    assert.equal(second!.notBefore, at.getTime());
  }
  assert.equal(handled.length, 2, JSON.stringify(handled));
  for (const { text, at, notBefore } of handled) assert.ok(at >= notBefore, `'${text}' ran ${notBefore - at} ms early`);
  assert.ok(delayed.length >= 2, "each was delivered early once at least, and given back");
  assert.ok(
    delayed.every((e) => handled.some((h) => h.seq === e.seq && h.notBefore === e.dueMs)),
    `a delayed event names a due time other than the message's: ${JSON.stringify(delayed)}`,
  );
});

behaviour("an actor gets only the messages stored after it was registered", async (backend) => {
  const placed = new Event("order-placed", Number);
  await using events = await new Events(placed).connect(backend.target);
  await events.register();
  await events.emit(placed, 1);
  const handled: number[] = [];
  await using actors = await new Actors(new Actor("late", placed, (n) => void handled.push(n))).connect(backend.target);
  await actors.register();
  await events.emit(placed, 2);
  {
    await using _listening = listening(actors);
    await waitUntil(() => handled.length >= 1, { what: "a handled message", time: backend.wait });
    await backend.wait.pass(QUIET_MS);
  }
  assert.deepEqual(handled, [2]);
});

behaviour("listen({ burst }) handles the messages there are, then returns", async (backend) => {
  const placed = new Event("order-placed", Number);
  const handled: number[] = [];
  await using connected = await connectAndRegister(backend.target, [placed], [
    new Actor("email", placed, (n) => void handled.push(n)),
  ]);
  const { events, actors } = connected;
  for (const n of [1, 2, 3]) await events.emit(placed, n);
  await actors.listen({ burst: true });
  assert.deepEqual(handled.toSorted((a, b) => a - b), [1, 2, 3]);
});

behaviour("emit and register on an event never registered fail with STREAM_NOT_FOUND", async (backend) => {
  const unknown = new Event("never.registered", Number);
  await using events = await new Events().connect(backend.target);
  await assert.rejects(
    events.emit(unknown, 1),
    (error: unknown) =>
      isWalnatsError(error, ErrorCode.StreamNotFound) &&
      error.message === "Cannot emit 'never.registered': no stream stores it; register the event first",
  );
  await using actors = await new Actors(new Actor("a", unknown, () => {})).connect(backend.target);
  await assert.rejects(
    actors.register(),
    (error: unknown) =>
      isWalnatsError(error, ErrorCode.StreamNotFound) &&
      error.message.startsWith("Cannot register actor 'a': stream 'never-registered' of event 'never.registered'"),
  );
});

behaviour("listen() for an actor never registered fails with CONSUMER_NOT_FOUND", async (backend) => {
  const placed = new Event("order-placed", Number);
  await using events = await new Events(placed).connect(backend.target);
  await events.register();
  await using actors = await new Actors(new Actor("email", placed, () => {})).connect(backend.target);
  await assert.rejects(
    actors.listen({ burst: true }),
    (error: unknown) =>
      isWalnatsError(error, ErrorCode.ConsumerNotFound) &&
      error.message ===
        "Cannot listen: actor 'email' has no consumer on stream 'order-placed'; register the actor first",
  );
});

behaviour("two clocks of one event store each tick once; exactly one of them reports it emitted", async (backend) => {
  const tick = new Event("tick-200ms", Date);
  const clocks = [
    new Clock({ event: tick, period: 0.2, maxTicks: 5 }),
    new Clock({ event: tick, period: 0.2, maxTicks: 5 }),
  ];
  await using events = await new Events(clocks[0]!.event).connect(backend.target);
  await events.register();
  const reports: TickReport[][] = clocks.map(() => []);
  await settled(
    Promise.all(clocks.map((clock, i) => clock.run(events, { onTick: (r) => void reports[i]!.push(r) }))),
    { what: "both clocks through their 5 ticks", time: backend.wait },
  );

  // Each clock reports every tick once, in order, none skipped (a tick it woke too late for is reported missed).
  for (const [i, own] of reports.entries()) {
    const ticks = own.map((r) => r.tick.getTime());
    assert.ok(ticks.length >= 5, `clock ${i} reported ${ticks.length} ticks`);
    assert.deepEqual(ticks, ticks.map((_, k) => ticks[0]! + k * 200), `clock ${i}: one report per tick`);
  }
  const stored = (await backend.stored(tick)).map((m) => Date.parse(m.payload));
  assert.ok(stored.length > 0, "no tick was stored");
  stored.forEach((ms, i) => assert.ok(ms % 200 === 0 && (i === 0 || ms > stored[i - 1]!), `stored ticks ${stored}`));
  // One `emitted` report per stored tick, from either clock; a `duplicate` names a stored tick.
  const all = reports.flat();
  const emitted = all.filter((r) => r.outcome === "emitted").map((r) => r.tick.getTime()).sort((a, b) => a - b);
  assert.deepEqual(emitted, stored);
  for (const report of all.filter((r) => r.outcome === "duplicate")) {
    const ms = report.tick.getTime();
    assert.ok(stored.includes(ms) || ms < stored[0]!, `a duplicate of ${report.tick.toISOString()}, not stored`);
  }
});

behaviour("a filterTime actor handles exactly the ticks whose wall-clock fields match", async (backend) => {
  const tick = new Event("tick-250ms", Date);
  const clock = new Clock({ event: tick, period: 0.25, maxTicks: 12 });
  const even = [...Array(30).keys()].map((n) => 2 * n);
  const handled: number[] = [];
  const onEven = new Actor(
    "on-even-seconds",
    clock.event,
    filterTime({ second: even }, (at) => void handled.push(at.getTime())),
  );
  await using connected = await connectAndRegister(backend.target, [clock.event], [onEven]);
  const { events, actors } = connected;
  let done = 0;
  let stored: number[] = [];
  {
    await using _listening = listening(actors, (event) => event.type === "success" && done++);
    await settled(clock.run(events), { what: "the clock's 12 ticks", time: backend.wait });
    stored = (await backend.stored(clock.event)).map((m) => Date.parse(m.payload));
    await waitUntil(() => done >= stored.length, {
      what: `${stored.length} ticks through the filter`,
      time: backend.wait,
    });
  }
  const matching = stored.filter((ms) => new Date(ms).getUTCSeconds() % 2 === 0);
  assert.ok(stored.length > 0 && stored.length <= 12, `${stored.length} ticks stored`);
  assert.ok(matching.length > 0 && matching.length < stored.length, "3 s of ticks hold even and odd seconds");
  assert.deepEqual(handled.toSorted((a, b) => a - b), matching);
});

behaviour("a uid is forgotten once the duplicate window has passed: the same uid is stored again", async (backend) => {
  const placed = new Event("order-placed", Number, { limits: { duplicateWindow: 0.5 } });
  await using events = await new Events(placed).connect(backend.target);
  await events.register();
  const first = await events.emit(placed, 1, { uid: "order-1" });
  await backend.wait.pass(700);
  const again = await events.emit(placed, 2, { uid: "order-1" });
  assert.deepEqual([first.duplicate, again.duplicate, again.seq], [false, false, first.seq + 1]);
  assert.deepEqual((await backend.stored(placed)).map((m) => m.payload), ["1", "2"]);
});

behaviour(
  "a handler past jobTimeout fails with its signal aborted, not before jobTimeout, and is retried",
  async (backend) => {
    const placed = new Event("order-placed", Number);
    const signals: AbortSignal[] = [];
    const slow = new Actor("slow", placed, (_n, { attempt, signal }) => {
      signals.push(signal);
      if (attempt === 1) return new Promise(() => {}); // never settles
    }, { jobTimeout: 0.2, retryDelay: 0.1 });
    await using connected = await connectAndRegister(backend.target, [placed], [slow]);
    const { events, actors } = connected;
    const outcomes: string[] = [];
    const seen: { type: string; at: number; aborted: boolean | undefined }[] = [];
    {
      await using _listening = listening(actors, (event) => {
        outcomes.push(event.type === "failure" ? `failure: ${(event.error as Error).message}` : event.type);
        seen.push({ type: event.type, at: backend.time.now(), aborted: signals.at(-1)?.aborted });
      });
      await events.emit(placed, 1);
      await waitUntil(() => outcomes.includes("success"), { what: "a success", time: backend.wait });
    }
    assert.deepEqual(outcomes, ["start", "failure: Job timed out after 200 ms", "start", "success"]);
    assert.deepEqual(signals.map((s) => s.aborted), [true, false]);
    const [start, failure] = seen as [typeof seen[0], typeof seen[0]];
    assert.ok(failure.at - start.at >= 200 - TIMER_MARGIN_MS, `failed ${failure.at - start.at} ms after the start`);
    assert.equal(failure.aborted, true, "the signal is aborted when the failure is reported");
  },
);

// --- the tick ledger's edge cases ------------------------------------------------

const MINUTE = new Event("minute-passed", Date);
/** One publish attempt, as a clock makes it. */
const ONE_ATTEMPT = { timeoutMs: 1_000 };

/** A connection to the backend with MINUTE registered. */
async function ledgerConnection(backend: TestBackend): Promise<EventsConnection> {
  const conn = await new Events(MINUTE).connect(backend.target);
  await conn.register();
  return conn;
}

/** A tick as another implementation (another language's clock) may store it: `Walnats-Tick`, no `Walnats-Clock`. */
function foreignTick(event: Event<DateConstructor>, tickMs: number): TickMessage {
  return {
    subject: event.subject,
    stream: event.stream,
    tickMs,
    msgId: `${event.name}:${tickMs}`,
    payload: event.encode(new Date(tickMs)),
    headers: { "Walnats-Tick": String(tickMs) },
  };
}

behaviour(
  "the ledger: a tick stored without Walnats-Clock covers that tick and older ones for every clock",
  async (backend) => {
    await using conn = await ledgerConnection(backend);
    const t0 = Math.ceil(backend.time.now() / 60_000) * 60_000;
    assert.deepEqual(await conn.publishTick(foreignTick(MINUTE, t0), ONE_ATTEMPT), { seq: 1, duplicate: false });
    // Without a clock id, no clock can take the stored tick for its own: every later try is a duplicate.
    assert.deepEqual(await conn.publishTick(foreignTick(MINUTE, t0), ONE_ATTEMPT), { seq: 1, duplicate: true });
    const ours = { ...foreignTick(MINUTE, t0), headers: { "Walnats-Tick": String(t0), "Walnats-Clock": "clock-a" } };
    assert.deepEqual(await conn.publishTick(ours, ONE_ATTEMPT), { seq: 1, duplicate: true });
    assert.deepEqual(await conn.publishTick(foreignTick(MINUTE, t0 - 60_000), ONE_ATTEMPT), {
      seq: 0,
      duplicate: true,
    });
    assert.equal(await conn.lastTick(MINUTE), t0);
    assert.deepEqual(await conn.publishTick(foreignTick(MINUTE, t0 + 60_000), ONE_ATTEMPT), {
      seq: 2,
      duplicate: false,
    });
    assert.deepEqual((await backend.stored(MINUTE)).map((m) => m.headers["Walnats-Tick"]), [
      String(t0),
      String(t0 + 60_000),
    ]);
  },
);

behaviour(
  "the ledger: after a message without Walnats-Tick, lastTick() is unknown and only msgID dedup stops a repeat",
  async (backend) => {
    await using conn = await ledgerConnection(backend);
    const t0 = Math.ceil(backend.time.now() / 60_000) * 60_000;
    assert.equal(await conn.lastTick(MINUTE), undefined, "an empty subject has no tick");
    assert.deepEqual(await conn.publishTick(foreignTick(MINUTE, t0), ONE_ATTEMPT), { seq: 1, duplicate: false });
    await conn.emit(MINUTE, new Date(t0)); // not a tick: no Walnats-Tick header
    assert.equal(await conn.lastTick(MINUTE), undefined, "the last message is not a tick");
    // The ledger no longer sees t0; within the duplicate window the stream still drops it by its id.
    assert.deepEqual(await conn.publishTick(foreignTick(MINUTE, t0), ONE_ATTEMPT), { seq: 1, duplicate: true });
    assert.deepEqual(await conn.publishTick(foreignTick(MINUTE, t0 + 60_000), ONE_ATTEMPT), {
      seq: 3,
      duplicate: false,
    });
    assert.equal(await conn.lastTick(MINUTE), t0 + 60_000);
    assert.deepEqual((await backend.stored(MINUTE)).map((m) => [m.seq, m.headers["Walnats-Tick"]]), [
      [1, String(t0)],
      [2, undefined],
      [3, String(t0 + 60_000)],
    ]);
  },
);

behaviour(
  "a clock's tick carries the ticks before and after it, as the handler's context gives them: none before startAt " +
    "or after stopAt",
  async (backend) => {
    const tick = new Event("tick-500ms", Date);
    const firstMs = (Math.floor(backend.time.now() / 500) + 2) * 500;
    const lastMs = firstMs + 1_000;
    const clock = new Clock({ event: tick, period: 0.5, startAt: new Date(firstMs), stopAt: new Date(lastMs) });
    const contexts = new Map<number, [number | undefined, number | undefined]>();
    const actor = new Actor("where-am-i", clock.event, (at, { previousTick, nextTick }) => {
      contexts.set(at.getTime(), [previousTick?.getTime(), nextTick?.getTime()]);
    });
    await using connected = await connectAndRegister(backend.target, [clock.event], [actor]);
    const { events, actors } = connected;
    let stored: number[] = [];
    {
      await using _listening = listening(actors);
      await settled(clock.run(events), { what: "the clock's 3 ticks", time: backend.wait });
      stored = (await backend.stored(clock.event)).map((m) => Date.parse(m.payload));
      await waitUntil(() => contexts.size >= stored.length, {
        what: `${stored.length} ticks handled`,
        time: backend.wait,
      });
    }
    assert.ok(stored.length > 0 && stored.every((ms) => ms >= firstMs && ms <= lastMs), `stored ${stored}`);
    const expected = (ms: number) => [ms > firstMs ? ms - 500 : undefined, ms < lastMs ? ms + 500 : undefined];
    assert.deepEqual([...contexts].toSorted(([a], [b]) => a - b), stored.map((ms) => [ms, expected(ms)]));
    const headers = (await backend.stored(clock.event))[0]!.headers;
    assert.equal(headers["Walnats-Next-Tick"], String(stored[0]! + 500), "the header on the wire");
  },
);

// --- overlap control (issue 22, item 1) -------------------------------------------

/** A handler that records each run's start and end and runs until the test lets the run of `n` end. */
function heldRuns(backend: TestBackend) {
  const runs: { n: number; start: number; end?: number; aborted?: boolean }[] = [];
  const releases = new Map<number, () => void>();
  return {
    runs,
    /** Lets the run of `n` end (when it started). */
    release: (n: number) => releases.get(n)?.(),
    handler: async (n: number, { signal }: { signal: AbortSignal }) => {
      const run: (typeof runs)[0] = { n, start: backend.time.now() };
      runs.push(run);
      await new Promise<void>((resolve) => {
        releases.set(n, resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      run.end = backend.time.now();
      run.aborted = signal.aborted;
      if (signal.aborted) throw signal.reason;
    },
  };
}

/** The runs' [start, end] intervals never overlap. */
function assertSequential(runs: { start: number; end?: number }[]): void {
  const sorted = runs.toSorted((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(sorted[i]!.start >= sorted[i - 1]!.end!, `runs overlap: ${JSON.stringify(sorted)}`);
  }
}

/** Two listeners of one actor (as two processes are) with `overlap`, and every job event they report. */
async function overlapFleet(backend: TestBackend, options: ActorOptions<NumberConstructor>, held = heldRuns(backend)) {
  const placed = new Event("order-placed", Number);
  const worker = new Actor("worker", placed, held.handler, options);
  const connected = await connectAndRegister(backend.target, [placed], [worker]);
  const other = await new Actors(worker).connect(backend.target);
  const seen: JobEvent[] = [];
  const first = listening(connected.actors, (event) => void seen.push(event));
  const second = listening(other, (event) => void seen.push(event));
  const of = (type: JobEvent["type"]) => seen.filter((event) => event.type === type);
  return {
    ...held,
    seen,
    of,
    emit: (n: number) => connected.events.emit(placed, n),
    /** Waits until the job events hold `count` of `type`. */
    until: (type: JobEvent["type"], count: number) =>
      waitUntil(() => of(type).length >= count, { what: `${count} ${type}`, time: backend.wait }),
    [Symbol.asyncDispose]: async () => {
      await first[Symbol.asyncDispose]();
      await second[Symbol.asyncDispose]();
      await other.close();
      await connected[Symbol.asyncDispose]();
    },
  };
}

behaviour("overlap 'allow' (the default) runs a key's messages at the same time", async (backend) => {
  await using fleet = await overlapFleet(backend, {});
  await fleet.emit(1);
  await fleet.emit(2);
  await fleet.until("start", 2);
  fleet.release(1);
  fleet.release(2);
  await fleet.until("success", 2);
  assert.deepEqual(fleet.runs.map((run) => run.n).toSorted(), [1, 2]);
  // Both started before either was let end (the same millisecond at most, on real time).
  assert.ok(fleet.runs.every((run) => run.start <= fleet.runs[0]!.end! && run.start <= fleet.runs[1]!.end!));
});

behaviour("overlap 'skip': a message whose key runs anywhere is acked unrun, reported skipped", async (backend) => {
  await using fleet = await overlapFleet(backend, { overlap: "skip" });
  await fleet.emit(1);
  await fleet.until("start", 1);
  await fleet.emit(2);
  await fleet.emit(3);
  await fleet.until("skipped", 2);
  fleet.release(1);
  await fleet.until("success", 1);
  await fleet.emit(4);
  await fleet.until("start", 2);
  fleet.release(4);
  await fleet.until("success", 2);
  await backend.wait.pass(QUIET_MS);
  assert.deepEqual(fleet.runs.map((run) => run.n), [1, 4]);
  // Messages 2 and 3 may go to either listener: their reports come in either order.
  assert.deepEqual(
    fleet.of("skipped").map((e) => e.type === "skipped" && [e.seq, e.attempt, e.key, e.reason]).sort(),
    [[2, 1, "order-placed", "running"], [3, 1, "order-placed", "running"]],
  );
  assert.deepEqual(fleet.of("failure"), []);
});

behaviour("overlap 'bufferOne': one message at most waits for its key, fleet-wide, then runs", async (backend) => {
  await using fleet = await overlapFleet(backend, { overlap: "bufferOne" });
  await fleet.emit(1);
  await fleet.until("start", 1);
  await fleet.emit(2);
  await fleet.until("waiting", 1);
  await fleet.emit(3);
  await fleet.until("skipped", 1);
  fleet.release(1);
  await fleet.until("start", 2);
  fleet.release(2);
  await fleet.until("success", 2);
  await backend.wait.pass(QUIET_MS);
  assert.deepEqual(fleet.runs.map((run) => run.n), [1, 2]);
  assertSequential(fleet.runs);
  assert.deepEqual(fleet.of("waiting").map((e) => e.type === "waiting" && e.seq), [2]);
  assert.deepEqual(fleet.of("skipped").map((e) => e.type === "skipped" && [e.seq, e.reason]), [[3, "waiting"]]);
});

behaviour("overlap 'bufferAll': every message of a busy key waits; they run one at a time", async (backend) => {
  await using fleet = await overlapFleet(backend, { overlap: "bufferAll", maxJobs: 1 });
  await fleet.emit(1);
  await fleet.until("start", 1);
  for (const n of [2, 3, 4]) await fleet.emit(n);
  // Waiting messages hold no job slot: with maxJobs 1 in each listener, all three wait.
  await fleet.until("waiting", 3);
  for (let started = 1; started <= 4; started++) {
    await fleet.until("start", started);
    fleet.release(fleet.runs.at(-1)!.n);
  }
  await fleet.until("success", 4);
  assert.deepEqual(fleet.runs.map((run) => run.n).toSorted(), [1, 2, 3, 4]);
  assertSequential(fleet.runs);
  assert.deepEqual(fleet.of("skipped"), []);
});

behaviour("overlap 'cancelOther': a newer message aborts the running handler, runs once it ended", async (backend) => {
  await using fleet = await overlapFleet(backend, { overlap: "cancelOther" });
  await fleet.emit(1);
  await fleet.until("start", 1);
  await fleet.emit(2);
  await fleet.until("cancelled", 1);
  await fleet.until("start", 2);
  fleet.release(2);
  await fleet.until("success", 1);
  await backend.wait.pass(QUIET_MS);
  assert.deepEqual(fleet.runs.map((run) => [run.n, run.aborted]), [[1, true], [2, false]]);
  assertSequential(fleet.runs);
  assert.deepEqual(fleet.of("cancelled").map((e) => e.type === "cancelled" && [e.seq, (e.error as Error).name]), [
    [1, "OverlapCancelled"],
  ]);
  assert.deepEqual(fleet.of("failure"), [], "a cancelled run is not retried");
});
