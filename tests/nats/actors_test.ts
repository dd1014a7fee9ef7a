/**
 * Actors against a real nats-server, beyond the shared behaviour tests
 * (tests/_behaviours.ts): retry delays per attempt, termination as the
 * server sees it, in-progress pulses, concurrency, undecodable payloads,
 * a failing delayed message, a conflicting consumer, and stopping.
 */
import assert from "node:assert/strict";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, nanos } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { delay } from "../../src/_async.ts";
import { connectAndRegister } from "../_connected.ts";
import { waitUntil } from "../_wait.ts";
import {
  Actor,
  Actors,
  type ActorsConnection,
  ConsumerConflictError,
  ErrorCode,
  Event,
  Events,
  isWalnatsError,
  type JobEvent,
} from "../../mod.ts";
import { consumerInfo } from "./_stream.ts";

/** Tolerance for timer granularity when an interval must be at least some length, in milliseconds. */
const TIMER_MARGIN_MS = 5;

/** A job event and when the test saw it (`Date.now()`). */
type Seen = Exclude<JobEvent, { type: "pull-failure" }> & { at: number };

/** Records the job events of `listen()`. */
class Recorder {
  readonly events: Seen[] = [];
  readonly #tap: (event: JobEvent) => void;

  /** @param tap called first with each event, when it happens */
  constructor(tap: (event: JobEvent) => void = () => {}) {
    this.#tap = tap;
  }

  /** Pulls that failed (the server restarting, say), kept apart from the job events. */
  readonly pullFailures: unknown[] = [];

  readonly onEvent = (event: JobEvent): void => {
    this.#tap(event);
    if (event.type === "pull-failure") return void this.pullFailures.push(event.error);
    this.events.push({ ...event, at: Date.now() });
  };

  of<T extends Seen["type"]>(type: T): Extract<Seen, { type: T }>[] {
    return this.events.filter((e): e is Extract<Seen, { type: T }> => e.type === type);
  }

  /** Waits until `done()` holds; the error names `what` and lists the events seen. */
  until(done: () => boolean, what: string): Promise<void> {
    return waitUntil(done, { what, details: () => `events: ${this.describe()}` });
  }

  describe(): string {
    return JSON.stringify(this.events.map(({ error: _, ...rest }: Seen & { error?: unknown }) => rest));
  }
}

/** `listen()` in the background; disposing it aborts the signal and waits for `listen()` to resolve. */
function listen(sub: ActorsConnection, recorder: Recorder): AsyncDisposable & {
  readonly done: Promise<void>;
  readonly resolved: () => boolean;
  stop(): Promise<void>;
} {
  const controller = new AbortController();
  let resolved = false;
  const done = sub.listen({ signal: controller.signal, onEvent: recorder.onEvent }).then(() => void (resolved = true));
  const stop = async () => {
    controller.abort();
    await done;
  };
  return { done, resolved: () => resolved, stop, [Symbol.asyncDispose]: stop };
}

/** A job event as `[type, attempt]`, with `retryInMs` for failures and `reason` for terminations. */
function summary(event: Seen): unknown[] {
  switch (event.type) {
    case "failure":
      return [event.type, event.attempt, event.retryInMs];
    case "terminated":
      return [event.type, event.attempt, event.reason];
    case "delayed":
      return [event.type];
    case "unconfirmed":
      return [event.type, event.reply];
    case "bad-header":
      return [event.type, event.header, event.value];
    case "recreated":
      return [event.type, event.resource];
    default:
      return "attempt" in event ? [event.type, event.attempt] : [event.type];
  }
}

Deno.test("a handler that fails twice is retried after each retryDelay and succeeds at attempt 3", async () => {
  await using server = await startNatsServer();
  const job = new Event("job", Number);
  const runs: { attempt: number; at: number }[] = [];
  const flaky = new Actor("flaky", job, (_n, context) => {
    runs.push({ attempt: context.attempt, at: performance.now() });
    if (runs.length <= 2) throw new Error(`failure ${runs.length}`);
  }, { retryDelay: [0.2, 0.4], maxAttempts: 5 });
  await using connected = await connectAndRegister({ servers: server.url }, [job], [flaky]);
  const { events: conn, actors: sub } = connected;

  const recorder = new Recorder();
  await using listening = listen(sub, recorder);
  const { seq } = await conn.emit(job, 1);
  await recorder.until(() => recorder.of("success").length > 0, "the success");
  await listening.stop();

  assert.deepEqual(recorder.events.map(summary), [
    ["start", 1],
    ["failure", 1, 200],
    ["start", 2],
    ["failure", 2, 400],
    ["start", 3],
    ["success", 3],
  ]);
  assert.ok(recorder.events.every((e) => e.actor === "flaky" && e.type !== "delayed" && e.seq === seq));
  assert.deepEqual(recorder.of("failure").map((e) => (e.error as Error).message), ["failure 1", "failure 2"]);
  assert.deepEqual(runs.map((r) => r.attempt), [1, 2, 3]);
  const [first, second, third] = runs as [typeof runs[0], typeof runs[0], typeof runs[0]];
  assert.ok(second.at - first.at >= 200 - TIMER_MARGIN_MS, `attempt 2 came ${second.at - first.at} ms after attempt 1`);
  assert.ok(third.at - second.at >= 400 - TIMER_MARGIN_MS, `attempt 3 came ${third.at - second.at} ms after attempt 2`);
});

Deno.test("maxAttempts 2: a handler that always fails is terminated after attempt 2 and not redelivered", async () => {
  await using server = await startNatsServer();
  const job = new Event("job", Number);
  let runs = 0;
  const doomed = new Actor("doomed", job, () => {
    runs++;
    throw new Error("always");
  }, { maxAttempts: 2, retryDelay: 0.1, ackWait: 1 });
  await using connected = await connectAndRegister({ servers: server.url }, [job], [doomed]);
  const { events: conn, actors: sub } = connected;

  const recorder = new Recorder();
  await using listening = listen(sub, recorder);
  await conn.emit(job, 1);
  await recorder.until(() => recorder.of("terminated").length > 0, "the termination");
  // Twice the ack wait: a message still pending at the server would be redelivered by then, a third start.
  await delay(2_000);
  await listening.stop();

  assert.deepEqual(recorder.events.map(summary), [
    ["start", 1],
    ["failure", 1, 100],
    ["start", 2],
    ["terminated", 2, "attempts"],
  ]);
  assert.equal((recorder.of("terminated")[0]!.error as Error).message, "always");
  assert.equal(runs, 2);
  const info = await consumerInfo(server.url, job.stream, "doomed");
  assert.equal(info.num_ack_pending, 0);
  assert.equal(info.num_pending, 0);
});

Deno.test("a handler running longer than ackWait keeps its message: no second listener gets it", async () => {
  await using server = await startNatsServer();
  const job = new Event("job", Number);
  let runs = 0;
  const slow = new Actor("slow", job, async () => {
    runs++;
    await delay(2_500);
  }, { ackWait: 1, maxAttempts: 5 });
  await using conn = await new Events(job).connect({ servers: server.url });
  await conn.register();
  await using subA = await new Actors(slow).connect({ servers: server.url });
  await subA.register();
  await using subB = await new Actors(slow).connect({ servers: server.url });
  await subB.register();

  const recorder = new Recorder();
  await using listeningA = listen(subA, recorder);
  await using listeningB = listen(subB, recorder);
  await conn.emit(job, 1);
  await recorder.until(() => recorder.of("success").length > 0, "the success");
  // Longer than ackWait again: a redelivery after the success would show up too.
  await delay(1_500);
  await Promise.all([listeningA.stop(), listeningB.stop()]);

  assert.deepEqual(recorder.events.map(summary), [["start", 1], ["success", 1]]);
  assert.equal(runs, 1);
  assert.ok(recorder.of("success")[0]!.durationMs >= 2_500 - TIMER_MARGIN_MS);
});

Deno.test("maxJobs 2: never more than 2 handlers of the actor run at once", async () => {
  await using server = await startNatsServer();
  const job = new Event("job", Number);
  let running = 0;
  let peak = 0;
  const handled: number[] = [];
  const limited = new Actor("limited", job, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await delay(300);
    running--;
    handled.push(n);
  }, { maxJobs: 2 });
  await using connected = await connectAndRegister({ servers: server.url }, [job], [limited]);
  const { events: conn, actors: sub } = connected;
  for (let n = 1; n <= 5; n++) await conn.emit(job, n);

  const recorder = new Recorder();
  await using listening = listen(sub, recorder);
  await recorder.until(() => recorder.of("success").length >= 5, "5 successes");
  await listening.stop();

  assert.equal(peak, 2, "2 handlers ran at once, never more");
  assert.deepEqual(handled.toSorted(), [1, 2, 3, 4, 5]);
  assert.equal(recorder.of("start").length, 5);
});

Deno.test("a message waiting for a free job slot is handled once, though the job before it outlasts ackWait", async () => {
  await using server = await startNatsServer();
  const job = new Event("job", Number);
  const handled: number[] = [];
  const single = new Actor("single", job, async (n) => {
    await delay(1_500);
    handled.push(n);
  }, { maxJobs: 1, ackWait: 1 });
  await using connected = await connectAndRegister({ servers: server.url }, [job], [single]);
  const { events: conn, actors: sub } = connected;

  const recorder = new Recorder();
  await using listening = listen(sub, recorder);
  await conn.emit(job, 1);
  await conn.emit(job, 2);
  await recorder.until(() => recorder.of("success").length >= 2, "2 successes");
  // Longer than the ack wait: a second copy of a message would be running by then.
  await delay(1_200);
  await listening.stop();

  assert.deepEqual(recorder.of("start").map((e) => [e.seq, e.attempt]), [[1, 1], [2, 1]]);
  assert.deepEqual(handled, [1, 2]);
});

Deno.test("a payload that cannot be decoded is terminated with reason 'decode', the handler not called", async () => {
  await using server = await startNatsServer();
  const placed = new Event("order-placed", Object);
  const handled: unknown[] = [];
  const actor = new Actor("email", placed, (order) => void handled.push(order), { ackWait: 1 });
  await using connected = await connectAndRegister({ servers: server.url }, [placed], [actor]);
  const { events: conn, actors: sub } = connected;

  // Bytes that are not JSON, from a plain nats.js publisher.
  const nc = await connect({ servers: server.url });
  let badSeq: number;
  try {
    badSeq = (await jetstream(nc).publish(placed.subject, new TextEncoder().encode("{not json"))).seq;
  } finally {
    await nc.close();
  }
  const good = await conn.emit(placed, { order: 42 });

  const recorder = new Recorder();
  await using listening = listen(sub, recorder);
  await recorder.until(
    () => recorder.of("success").length > 0 && recorder.of("terminated").length > 0,
    "the termination and the success",
  );
  // Longer than the ack wait: a message still pending at the server would be redelivered by then.
  await delay(1_500);
  await listening.stop();

  assert.deepEqual(handled, [{ order: 42 }]);
  const terminated = recorder.of("terminated");
  assert.deepEqual(terminated.map((e) => [e.seq, e.reason]), [[badSeq, "decode"]]);
  assert.ok(terminated[0]!.error instanceof Error);
  assert.deepEqual(recorder.of("start").map((e) => e.seq), [good.seq]);
  assert.equal((await consumerInfo(server.url, placed.stream, "email")).num_ack_pending, 0);
});

Deno.test("a delayed message with maxAttempts 1 runs once, as attempt 1, whether it succeeds or fails", async () => {
  await using server = await startNatsServer();
  const reminder = new Event("reminder", String);
  const runs: [string, number][] = [];
  const actor = new Actor("send", reminder, (text, context) => {
    runs.push([text, context.attempt]);
    if (text === "fail") throw new Error("cannot send");
  }, { maxAttempts: 1, retryDelay: 0.1, ackWait: 1 });
  await using connected = await connectAndRegister({ servers: server.url }, [reminder], [actor]);
  const { events: conn, actors: sub } = connected;

  const recorder = new Recorder();
  await using listening = listen(sub, recorder);
  const ok = await conn.emit(reminder, "ok", { delay: 1 });
  const fail = await conn.emit(reminder, "fail", { delay: 1 });
  await recorder.until(
    () => recorder.of("success").length + recorder.of("terminated").length >= 2,
    "a success and a termination",
  );
  // Longer than the ack wait: a message still pending at the server would be redelivered by then.
  await delay(1_500);
  await listening.stop();

  assert.deepEqual(runs.toSorted(), [["fail", 1], ["ok", 1]]);
  assert.deepEqual(recorder.of("success").map((e) => [e.seq, e.attempt]), [[ok.seq, 1]]);
  assert.deepEqual(recorder.of("terminated").map((e) => [e.seq, e.attempt, e.reason]), [[fail.seq, 1, "attempts"]]);
  assert.deepEqual(recorder.of("failure"), []);
  assert.ok(recorder.of("delayed").length >= 2, recorder.describe());
});

Deno.test("register() leaves a consumer of the previous version, filtering the event's subject, alone: CONSUMER_CONFLICT saying to delete it", async () => {
  await using server = await startNatsServer();
  const placed = new Event("order-placed", Object);
  await using conn = await new Events(placed).connect({ servers: server.url });
  await conn.register();
  // The consumer the previous version made: it filters the event's subject, and would miss the schedules' fires.
  const nc = await connect({ servers: server.url });
  try {
    await (await jetstreamManager(nc)).consumers.add(placed.stream, {
      durable_name: "email",
      filter_subject: placed.subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: nanos(7_000),
    });
  } finally {
    await nc.close();
  }
  const before = await consumerInfo(server.url, placed.stream, "email");

  await using sub = await new Actors(new Actor("email", placed, () => {})).connect({ servers: server.url });
  await assert.rejects(
    sub.register(),
    (error: unknown) =>
      error instanceof ConsumerConflictError && isWalnatsError(error, ErrorCode.ConsumerConflict) &&
      error.message.includes("'email'") && /Delete the consumer/.test(error.message) &&
      error.stream === placed.stream && error.consumer === "email" && error.field === "filter_subject" &&
      error.expected === undefined && error.actual === placed.subject,
  );

  const after = await consumerInfo(server.url, placed.stream, "email");
  assert.deepEqual(after.config, before.config);
  assert.equal(after.config.ack_wait, nanos(7_000));
  assert.equal(after.config.filter_subject, placed.subject);
});

Deno.test("an actor's consumer has no filter subject: it gets the event's messages and its schedules' fires", async () => {
  await using server = await startNatsServer();
  const placed = new Event("order-placed", Object);
  await using conn = await new Events(placed).connect({ servers: server.url });
  await conn.register();
  const runs: [unknown, string | undefined][] = [];
  const actor = new Actor(
    "email",
    placed,
    (value, context) => void runs.push([value, context.headers["Walnats-Schedule"]]),
  );
  await using sub = await new Actors(actor).connect({ servers: server.url });
  await sub.register();
  assert.equal((await consumerInfo(server.url, placed.stream, "email")).config.filter_subject ?? "", "");

  await conn.emit(placed, { order: 1 });
  const nc = await connect({ servers: server.url });
  try {
    const headers = natsHeaders();
    headers.set("Walnats-Schedule", "weekly");
    await jetstream(nc).publish("walnats-schedule.order-placed.weekly", JSON.stringify({ order: 2 }), { headers });
  } finally {
    await nc.close();
  }
  const recorder = new Recorder();
  const listening = listen(sub, recorder);
  await recorder.until(() => recorder.of("success").length >= 2, "two successes");
  await listening.stop();
  assert.deepEqual(runs.toSorted((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [
    [{ order: 1 }, undefined],
    [{ order: 2 }, "weekly"],
  ]);
});

/**
 * Two messages for an actor with maxJobs 1 whose first job waits for the test;
 * the listener is stopped while it runs, the second message not started (and,
 * as the listener pulls only for free job slots, not taken either); a second
 * listener (same actor, other connection) starts after.
 */
async function runStop() {
  await using server = await startNatsServer();
  const job = new Event("job", String);
  let markStarted = () => {};
  const started = new Promise<void>((resolve) => markStarted = resolve);
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  let firstDoneAt = NaN;
  const later: [string, number][] = [];
  const actor = new Actor("worker", job, async (text, context) => {
    if (text !== "first") return void later.push([text, context.attempt]);
    markStarted();
    await released;
    firstDoneAt = Date.now();
  }, { maxJobs: 1 }); // ackWait 30 s: a message held by the first listener would not come back within the test
  await using conn = await new Events(job).connect({ servers: server.url });
  await conn.register();
  await using subA = await new Actors(actor).connect({ servers: server.url });
  await subA.register();

  const recorderA = new Recorder();
  const listeningA = listen(subA, recorderA);
  let listenResolvedAt = NaN;
  void listeningA.done.then(() => listenResolvedAt = Date.now(), () => {});
  let stoppedEarly: boolean;
  let fetched: number;
  try {
    await conn.emit(job, "first");
    await conn.emit(job, "second");
    await started;
    fetched = (await consumerInfo(server.url, job.stream, "worker")).num_ack_pending;
    const stopping = listeningA.stop();
    await delay(300);
    stoppedEarly = listeningA.resolved();
    release();
    await stopping;
  } finally {
    release();
    await listeningA.stop();
  }

  await using subB = await new Actors(actor).connect({ servers: server.url });
  const recorderB = new Recorder();
  await using listeningB = listen(subB, recorderB);
  await recorderB.until(() => recorderB.of("success").length > 0, "the second message at the second listener");
  await listeningB.stop();
  return { fetched, stoppedEarly, firstDoneAt, listenResolvedAt, later, recorderA, recorderB };
}

Deno.test("abort stops listen() after the running handler; a message not yet taken goes to another listener", async () => {
  const { fetched, stoppedEarly, firstDoneAt, listenResolvedAt, later, recorderA, recorderB } = await runStop();
  // An actor pulls no more messages than it has free job slots (maxJobs 1): the second was never taken.
  assert.equal(fetched, 1, "the first listener holds only the message it runs");
  assert.equal(stoppedEarly, false, "listen() resolved while its handler still ran");
  assert.ok(listenResolvedAt >= firstDoneAt, "listen() resolved after the handler finished");
  assert.deepEqual(recorderA.events.map((e) => [e.type, e.seq]), [["start", 1], ["success", 1]]);
  assert.deepEqual(recorderB.of("success").map((e) => e.seq), [2]);
  assert.deepEqual(later.map(([text]) => text), ["second"]);
});

Deno.test("a message left when a listener stops counts no attempt: its first run elsewhere is attempt 1", async () => {
  const { fetched, later, recorderB } = await runStop();
  assert.equal(fetched, 1, "the first listener holds only the message it runs");
  assert.deepEqual(later, [["second", 1]]);
  assert.deepEqual(recorderB.of("start").map((e) => [e.seq, e.attempt]), [[2, 1]]);
});
