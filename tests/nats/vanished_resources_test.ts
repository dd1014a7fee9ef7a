/**
 * Each resource the library uses, deleted while in use on a real nats-server: the library's own internals
 * (the attempts bucket, the workers bucket) are made again and counted; what a user registers (an event's
 * stream, an actor's consumer, the schedules bucket) is not made again behind their back, and its loss is
 * reported with a code for as long as it lasts, until `register()`, after which everything runs again.
 *
 * The bounds of the issue (5 s to heal, to say so, and to recover) are asserted by counting rounds: how many
 * failed attempts or reports came before the heal or the recovery. The waits' safety stops are generous.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import {
  Actor,
  Actors,
  Clock,
  ErrorCode,
  Event,
  Events,
  isWalnatsError,
  type JobEvent,
  type TickReport,
} from "../../mod.ts";
import { settled, waitUntil } from "../_wait.ts";

/** The stream behind the actors' attempts bucket. */
const ATTEMPTS_STREAM = "KV_walnats-attempts";
/** The safety stop of a wait for something that must come within the 5 s. */
const BOUND_STOP_MS = 20_000;

/** What a row runs while its resource is deleted, as the harness drives it. */
interface Running {
  /** Deletes the resource, behind the library's back, with a connection of its own. */
  vanish(): Promise<void>;
  /** Makes work that needs the resource: a message to handle, say (nothing when it flows on its own). */
  poke(): Promise<void>;
  /** How many units of work got done so far: messages handled, ticks emitted. */
  done(): number;
  /** How many reports so far said, with the resource's code, that it is missing. */
  loud(): number;
  /** How many reports so far said that the resource was made again. */
  recreated(): number;
  /** How many failures so far (any report that is not a success), for counting rounds. */
  failures(): number;
  /** The user's `register()` of the resource (user resources only). */
  register?(): Promise<void>;
  /** Stops everything: resolves when `listen()` or `run()` returned. */
  stop(): Promise<void>;
  /** What was seen, for the failure messages. */
  seen(): string;
}

/** One resource: how to run something that uses it. */
interface Row {
  resource: string;
  /** `internal`: made again by the library; `user`: loud until `register()`. */
  kind: "internal" | "user";
  start(url: string): Promise<Running & AsyncDisposable>;
}

/** Deletes a stream (or, given `consumer`, that consumer) with a connection of its own. */
async function deleteOnServer(url: string, stream: string, consumer?: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    if (consumer === undefined) await jsm.streams.delete(stream);
    else await jsm.consumers.delete(stream, consumer);
  } finally {
    await nc.close();
  }
}

/** Job events, counted as a row needs them. */
function jobRecorder() {
  const events: JobEvent[] = [];
  return {
    events,
    onEvent: (event: JobEvent) => void events.push(event),
    count: (test: (event: JobEvent) => boolean) => events.filter(test).length,
    seen: () => {
      const counts: Record<string, number> = {};
      for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
      const last = events.slice(-4).map((e) => ({ ...e, error: "error" in e ? String(e.error) : undefined }));
      return `job events: ${JSON.stringify(counts)}, the last: ${JSON.stringify(last)}`;
    },
  };
}

/** An actor of a `String` event, listening; `delayS` sends each poke's message that much later. */
async function listeningActor(url: string, delayS: number | undefined) {
  const event = new Event("vanishing-jobs", String);
  const actor = new Actor("vanishing-worker", event, () => {}, { retryDelay: 0.5 });
  const events = await new Events(event).connect({ servers: url });
  await events.register();
  const actors = await new Actors(actor).connect({ servers: url });
  await actors.register();
  const jobs = jobRecorder();
  const stop = new AbortController();
  const listening = actors.listen({ signal: stop.signal, onEvent: jobs.onEvent });
  let pokes = 0;
  return {
    actors,
    jobs,
    poke: async () => void await events.emit(event, `job ${++pokes}`, delayS === undefined ? {} : { delay: delayS }),
    done: () => jobs.count((e) => e.type === "success"),
    failures: () => jobs.count((e) => e.type === "failure" || e.type === "pull-failure" || e.type === "unconfirmed"),
    stop: async () => {
      stop.abort();
      await settled(listening, { what: "listen() to return after its signal aborted", timeoutMs: BOUND_STOP_MS });
    },
    seen: jobs.seen,
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await listening.catch(() => {});
      await actors.close();
      await events.close();
    },
  };
}

const ROWS: Row[] = [
  {
    resource: "the attempts bucket (KV_walnats-attempts)",
    kind: "internal",
    async start(url) {
      const running = await listeningActor(url, 0.2);
      return {
        ...running,
        vanish: () => deleteOnServer(url, ATTEMPTS_STREAM),
        loud: () => 0,
        recreated: () => running.jobs.count((e) => e.type === "recreated" && e.resource === ATTEMPTS_STREAM),
      };
    },
  },
  {
    resource: "an actor's consumer",
    kind: "user",
    async start(url) {
      const running = await listeningActor(url, undefined);
      return {
        ...running,
        vanish: () => deleteOnServer(url, "vanishing-jobs", "vanishing-worker"),
        loud: () =>
          running.jobs.count((e) =>
            e.type === "pull-failure" && isWalnatsError(e.error, ErrorCode.ConsumerNotFound) &&
            e.error.message.includes("'vanishing-worker'") && e.error.message.includes("'vanishing-jobs'")
          ),
        recreated: () => running.jobs.count((e) => e.type === "recreated"),
        register: () => running.actors.register(),
      };
    },
  },
  {
    resource: "an event's stream",
    kind: "user",
    async start(url) {
      const clock = new Clock({ event: new Event("vanishing-tick", Date), period: 0.1 });
      const conn = await new Events(clock.event).connect({ servers: url });
      await conn.register();
      const reports: TickReport[] = [];
      const stop = new AbortController();
      const running = clock.run(conn, { signal: stop.signal, onTick: (report) => void reports.push(report) });
      const count = (test: (report: TickReport) => boolean) => reports.filter(test).length;
      return {
        vanish: () => deleteOnServer(url, "vanishing-tick"),
        poke: () => Promise.resolve(),
        done: () => count((r) => r.outcome === "emitted"),
        loud: () =>
          count((r) =>
            r.outcome === "missed" && isWalnatsError(r.error, ErrorCode.StreamNotFound) &&
            r.error.message.includes("'vanishing-tick'")
          ),
        recreated: () => 0,
        failures: () => count((r) => r.outcome !== "emitted"),
        register: () => conn.register(),
        stop: async () => {
          stop.abort();
          await settled(running, { what: "run() to return after its signal aborted", timeoutMs: BOUND_STOP_MS });
        },
        seen: () => `reports: ${JSON.stringify(reports.slice(-4).map((r) => ({ ...r, error: String(r.error) })))}`,
        [Symbol.asyncDispose]: async () => {
          stop.abort();
          await running.catch(() => {});
          await conn.close();
        },
      };
    },
  },
];

for (const row of ROWS) {
  const promise = row.kind === "internal"
    ? "is made again and counted"
    : "is reported with its code while it is missing, and everything runs again after register()";
  Deno.test(`${row.resource} deleted in use ${promise}`, async () => {
    await using server = await startNatsServer();
    await using running = await row.start(server.url);
    const what = (text: string) => ({ what: text, details: running.seen, timeoutMs: BOUND_STOP_MS });
    await running.poke();
    await waitUntil(() => running.done() >= 1, what("work done before the delete"));

    await running.vanish();
    const failuresBefore = running.failures();
    if (row.kind === "internal") {
      const doneBefore = running.done();
      await running.poke();
      await waitUntil(() => running.done() > doneBefore, what(`work done again once ${row.resource} is back`));
      assert.equal(running.recreated(), 1, running.seen());
      // Made again at the first retry: one failed round at most.
      assert.ok(running.failures() - failuresBefore <= 1, running.seen());
    } else {
      await running.poke();
      // Loud, and stays loud: report after report while it is missing.
      await waitUntil(() => running.loud() >= 3, what(`3 reports that ${row.resource} is missing`));
      const doneWhileMissing = running.done();
      await running.register!();
      const failuresAtRegister = running.failures();
      await running.poke();
      await waitUntil(() => running.done() > doneWhileMissing, what("work done again after register()"));
      // Back at the next round: the one in flight at register() may still fail.
      assert.ok(running.failures() - failuresAtRegister <= 1, running.seen());
      assert.equal(running.recreated(), 0, "a user's resource is not made again by the library");
    }
    await running.stop();
  });
}

Deno.test("listen() returns soon after its signal aborts though its last ack gets no answer (consumer deleted)", async () => {
  await using server = await startNatsServer();
  const event = new Event("vanishing-acks", String);
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  // The default ack wait, 30 s: the ack of the job in flight would be tried that long.
  const actor = new Actor("slow-worker", event, () => released);
  await using events = await new Events(event).connect({ servers: server.url });
  await events.register();
  await using actors = await new Actors(actor).connect({ servers: server.url });
  await actors.register();
  const jobs = jobRecorder();
  const stop = new AbortController();
  const listening = actors.listen({ signal: stop.signal, onEvent: jobs.onEvent });
  try {
    await events.emit(event, "job");
    await waitUntil(() => jobs.count((e) => e.type === "start") === 1, { what: "the job to start" });
    await deleteOnServer(server.url, "vanishing-acks", "slow-worker");
    release();
    await waitUntil(() => jobs.count((e) => e.type === "success") === 1, { what: "the job's success" });
    stop.abort();
    // Far less than the 30 s ack wait, which it waited before.
    await settled(listening, { what: "listen() to return", timeoutMs: 10_000, details: jobs.seen });
    assert.deepEqual(jobs.events.filter((e) => e.type === "unconfirmed").map((e) => [e.type, e.seq]), [[
      "unconfirmed",
      1,
    ]]);
  } finally {
    stop.abort();
    release();
    await listening.catch(() => {});
  }
});

Deno.test("a stream squatting the attempts bucket's name is reported as STREAM_CONFLICT at each delayed message's try", async () => {
  await using server = await startNatsServer();
  {
    const nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).streams.add({ name: ATTEMPTS_STREAM, subjects: ["squatter"] });
    await nc.close();
  }
  await using running = await listeningActor(server.url, 0.1);
  await running.poke();
  const conflicts = () =>
    running.jobs.count((e) =>
      e.type === "failure" && isWalnatsError(e.error, ErrorCode.StreamConflict) &&
      e.error.message.includes(`'${ATTEMPTS_STREAM}'`)
    );
  // Each retry says it again; none is handled uncounted.
  await waitUntil(() => conflicts() >= 2, { what: "2 failures naming the squatting stream", details: running.seen });
  assert.equal(running.done(), 0);
  await running.stop();
});
