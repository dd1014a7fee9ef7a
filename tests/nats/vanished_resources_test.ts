/**
 * Each resource the library uses, deleted while in use on a real nats-server: the library's own internals
 * (the attempts bucket, the overlap leases bucket, the workers bucket) are made again and counted; what a user registers (an event's
 * stream, an actor's consumer, the schedules bucket) is not made again behind their back, and its loss is
 * reported with a code for as long as it lasts, until `register()`, after which everything runs again.
 *
 * The bounds of the issue (5 s to heal, to say so, and to recover) are asserted by counting rounds: how many
 * failed attempts or reports came before the heal or the recovery. The waits' safety stops are generous.
 */
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { Metrics } from "../../src/metrics.ts";
import {
  Actor,
  type ActorOptions,
  Actors,
  Clock,
  ErrorCode,
  Event,
  Events,
  type FireReport,
  isWalnatsError,
  type JobEvent,
  type ResourceReport,
  Schedules,
  type SchedulesConnection,
  type TickReport,
} from "../../mod.ts";
import { settled, waitUntil } from "../_wait.ts";

/** The stream behind the actors' attempts bucket. */
const ATTEMPTS_STREAM = "KV_walnats-attempts";
/** The stream behind the actors' overlap leases bucket. */
const LEASES_STREAM = "KV_walnats-leases";
/** The stream behind the schedules' bucket. */
const SCHEDULES_STREAM = "KV_walnats-schedules";
/** The stream behind the fleet's bucket. */
const WORKERS_STREAM = "KV_walnats-workers";
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
  /** The user's `register()` of the resource (user resources only), and the work that needs it again. */
  register?(): Promise<void>;
  /** How many stores may each find an internal resource deleted and make it again (default 1). */
  makers?: number;
  /** The row's own assertions, at the end. */
  verify?(): void | Promise<void>;
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

/**
 * An actor of a `String` event, listening, its job events also counted by `metrics`; `delayS` sends each
 * poke's message that much later.
 */
async function listeningActor(url: string, delayS: number | undefined, options: Pick<ActorOptions, "overlap"> = {}) {
  const event = new Event("vanishing-jobs", String);
  const actor = new Actor("vanishing-worker", event, () => {}, { retryDelay: 0.5, ...options });
  const events = await new Events(event).connect({ servers: url });
  await events.register();
  const actors = await new Actors(actor).connect({ servers: url });
  await actors.register();
  const jobs = jobRecorder();
  const metrics = new Metrics({ runs: ["actors"] });
  const stop = new AbortController();
  const listening = actors.listen({
    signal: stop.signal,
    onEvent: (event) => {
      jobs.onEvent(event);
      metrics.onEvent(event);
    },
  });
  let pokes = 0;
  return {
    actors,
    jobs,
    metrics,
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

/** A schedules worker running on `conn`, its fire reports and resource reports recorded. */
function scheduleWorker(conn: SchedulesConnection) {
  const fires: FireReport[] = [];
  const resources: ResourceReport[] = [];
  const stop = new AbortController();
  const running = conn.run({
    signal: stop.signal,
    onTick: (report) => void fires.push(report),
    onResource: (report) => void resources.push(report),
  });
  return {
    fires,
    resources,
    recreated: (resource: string) => resources.filter((r) => r.type === "recreated" && r.resource === resource).length,
    stop: async () => {
      stop.abort();
      await settled(running, { what: "run() to return after its signal aborted", timeoutMs: BOUND_STOP_MS });
    },
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await running.catch(() => {});
    },
  };
}

/** What a schedules row shows when it fails: the counts of fire outcomes by schedule, the last reports. */
function schedulesSeen(fires: readonly FireReport[], resources: readonly ResourceReport[]): string {
  const counts: Record<string, number> = {};
  for (const fire of fires) {
    counts[`${fire.schedule} ${fire.outcome}`] = (counts[`${fire.schedule} ${fire.outcome}`] ?? 0) + 1;
  }
  const last = resources.slice(-3).map((r) => ({ ...r, error: "error" in r ? String(r.error) : undefined }));
  return `fires: ${JSON.stringify(counts)}, resource reports: ${resources.length}, the last: ${JSON.stringify(last)}`;
}

const ROWS: Row[] = [
  {
    resource: "the schedules' bucket (KV_walnats-schedules, 5 revisions)",
    kind: "user",
    async start(url) {
      const event = new Event("vanishing-reminder", Date);
      const conn = await new Schedules(event).connect({ servers: url });
      await conn.register();
      for (let revision = 1; revision <= 5; revision++) {
        await conn.upsert("before", { event, period: 0.2 + revision / 100 });
      }
      const worker = scheduleWorker(conn);
      const emitted = (schedule?: string) =>
        worker.fires.filter((f) => f.outcome === "emitted" && (schedule === undefined || f.schedule === schedule));
      let firesAtRegister = -1;
      return {
        vanish: () => deleteOnServer(url, SCHEDULES_STREAM),
        poke: () => Promise.resolve(),
        done: () => emitted().length,
        loud: () =>
          worker.resources.filter((r) =>
            r.type === "missing" && r.resource === SCHEDULES_STREAM &&
            isWalnatsError(r.error, ErrorCode.StreamNotFound) && r.error.message.includes("'walnats-schedules'")
          ).length,
        recreated: () => worker.recreated(SCHEDULES_STREAM),
        failures: () => worker.fires.filter((f) => f.outcome === "missed").length,
        register: async () => {
          await conn.register();
          firesAtRegister = worker.fires.length;
          await conn.upsert("after", { event, period: 0.2 });
        },
        verify: () => {
          // The bucket made again holds 'after' only: 'before' is gone with the old one.
          const since = worker.fires.slice(firesAtRegister);
          assert.deepEqual(
            [...new Set(since.filter((f) => f.outcome === "emitted").map((f) => f.schedule))],
            ["after"],
            schedulesSeen(worker.fires, worker.resources),
          );
        },
        stop: worker.stop,
        seen: () => schedulesSeen(worker.fires, worker.resources),
        [Symbol.asyncDispose]: async () => {
          await worker[Symbol.asyncDispose]();
          await conn.close();
        },
      };
    },
  },
  {
    resource: "the fleet's bucket (KV_walnats-workers)",
    kind: "internal",
    async start(url) {
      // Two workers on connections of their own: a worker that leaves no longer drops the other's watch.
      const event = new Event("vanishing-fleet", Date);
      const first = await new Schedules(event).connect({ servers: url });
      const second = await new Schedules(event).connect({ servers: url });
      await first.register();
      const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
      for (const id of ids) await first.upsert(id, { event, period: 0.2 });
      // The one that leaves first fires alone; the other joins it, so that its view holds both.
      const leaving = scheduleWorker(second);
      const firedBy = (worker: { fires: FireReport[] }, from = 0) =>
        new Set(worker.fires.slice(from).filter((f) => f.outcome !== "missed").map((f) => f.schedule));
      await waitUntil(() => firedBy(leaving).size === ids.length, { what: "a lone worker firing every schedule" });
      const staying = scheduleWorker(first);
      const fires = () => [...staying.fires, ...leaving.fires];
      // Done once per poke: after the first, when the joiner fired its share and the two every schedule; after
      // the second, which stops the other worker, when the one staying fired every schedule.
      let pokes = 0;
      let completed = 0;
      let stayingFrom = 0;
      let leavingFrom = 0;
      const done = () => {
        const own = firedBy(staying, stayingFrom);
        const all = pokes === 1 ? new Set([...own, ...firedBy(leaving, leavingFrom)]) : own;
        if (completed < pokes && own.size > 0 && all.size === ids.length) completed++;
        return completed;
      };
      return {
        vanish: () => deleteOnServer(url, WORKERS_STREAM),
        poke: async () => {
          if (++pokes === 2) await leaving.stop();
          stayingFrom = staying.fires.length;
          leavingFrom = leaving.fires.length;
        },
        done,
        loud: () => 0,
        recreated: () => staying.recreated(WORKERS_STREAM) + leaving.recreated(WORKERS_STREAM),
        makers: 2,
        failures: () => fires().filter((f) => f.outcome === "missed").length,
        stop: staying.stop,
        seen: () => schedulesSeen(fires(), [...staying.resources, ...leaving.resources]),
        [Symbol.asyncDispose]: async () => {
          await staying[Symbol.asyncDispose]();
          await leaving[Symbol.asyncDispose]();
          await first.close();
          await second.close();
        },
      };
    },
  },
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
    resource: "the overlap leases bucket (KV_walnats-leases)",
    kind: "internal",
    async start(url) {
      // Each message takes its key's lease before its handler runs, and releases it after.
      const running = await listeningActor(url, undefined, { overlap: "skip" });
      const recreated = () => running.jobs.count((e) => e.type === "recreated" && e.resource === LEASES_STREAM);
      return {
        ...running,
        vanish: () => deleteOnServer(url, LEASES_STREAM),
        loud: () => 0,
        recreated,
        verify: async () => {
          // Counted in the metric as each time it was told.
          const counted = (await running.metrics.text()).match(
            /^walnats_internal_recreated_total\{resource="KV_walnats-leases"\} (\d+)$/m,
          );
          assert.equal(Number(counted?.[1]), recreated(), running.seen());
          assert.equal(running.jobs.count((e) => e.type === "skipped"), 0, running.seen());
        },
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
      // The work may be done again before the beat that finds the fleet's bucket gone (the worker left alone
      // fires every schedule at once): wait for that beat too.
      await waitUntil(() => running.recreated() >= 1, what(`${row.resource} made again`));
      // Made again once; by each store that found it missing, when several raced to.
      assert.ok(running.recreated() >= 1 && running.recreated() <= (running.makers ?? 1), running.seen());
      // Made again at the first retry: one failed round at most.
      assert.ok(running.failures() - failuresBefore <= 1, running.seen());
    } else {
      await running.poke();
      // Loud, and stays loud: report after report while it is missing, and no work done meanwhile.
      await waitUntil(() => running.loud() >= 1, what(`a report that ${row.resource} is missing`));
      const doneWhileMissing = running.done();
      await waitUntil(() => running.loud() >= 3, what(`3 reports that ${row.resource} is missing`));
      assert.equal(running.done(), doneWhileMissing, `no work done while it is missing; ${running.seen()}`);
      await running.register!();
      const failuresAtRegister = running.failures();
      await running.poke();
      await waitUntil(() => running.done() > doneWhileMissing, what("work done again after register()"));
      // Back at the next round: the one in flight at register() may still fail.
      assert.ok(running.failures() - failuresAtRegister <= 1, running.seen());
      assert.equal(running.recreated(), 0, "a user's resource is not made again by the library");
    }
    await running.verify?.();
    await running.stop();
  });
}

Deno.test("the overlap leases bucket deleted while a lease is held: its holder writes it again, and the key stays held", async () => {
  await using server = await startNatsServer();
  const event = new Event("vanishing-lease", Number);
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const actor = new Actor("lease-holder", event, (n) => n === 1 ? released : undefined, { overlap: "skip" });
  await using events = await new Events(event).connect({ servers: server.url });
  await events.register();
  await using actors = await new Actors(actor).connect({ servers: server.url });
  await actors.register();
  const jobs = jobRecorder();
  const stop = new AbortController();
  const listening = actors.listen({ signal: stop.signal, onEvent: jobs.onEvent });
  const what = (text: string) => ({ what: text, details: jobs.seen, timeoutMs: BOUND_STOP_MS });
  const nc = await connect({ servers: server.url });
  try {
    const { seq: first } = await events.emit(event, 1);
    await waitUntil(() => jobs.count((e) => e.type === "start") === 1, what("the first run to start"));
    await deleteOnServer(server.url, LEASES_STREAM);
    // The key's lease (the event's name), read from a bucket that exists again. With a direct get, which the
    // server answers only once the stream is made: the handle's default (a STREAM.MSG.GET) arriving while the
    // holder makes the stream again crashes nats-server 2.9.10 (a nil store; 2 runs of 16 before).
    const leaseKey = `lease-holder.${btoa(event.name).replace(/=+$/, "")}`;
    await waitUntil(async () => {
      try {
        const leases = await new Kvm(jetstream(nc)).open("walnats-leases", { allow_direct: true });
        return (await leases.get(leaseKey))?.operation === "PUT";
      } catch {
        return false; // not made again yet
      }
    }, what("the held lease written again"));
    const { seq: second } = await events.emit(event, 2);
    await waitUntil(() => jobs.count((e) => e.type === "skipped") === 1, what("the second message skipped"));
    release();
    await waitUntil(() => jobs.count((e) => e.type === "success") === 1, what("the first run's end"));
    assert.deepEqual(
      jobs.events.filter((e) => e.type !== "recreated").map((e) => [e.type, "seq" in e ? e.seq : undefined]),
      [["start", first], ["skipped", second], ["success", first]],
      jobs.seen(),
    );
    assert.equal(jobs.count((e) => e.type === "recreated" && e.resource === LEASES_STREAM), 1, jobs.seen());
  } finally {
    release();
    stop.abort();
    await listening;
    await nc.close();
  }
});

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

Deno.test("a server restarted with an empty store: a clock, an actor and a schedules worker say so until register(), then run again", async () => {
  await using server = await startNatsServer();
  const url = server.url;
  const tick = new Event("emptied-tick", Date);
  const jobs = new Event("emptied-jobs", String);
  const reminder = new Event("emptied-reminder", Date);
  const clock = new Clock({ event: tick, period: 0.2 });
  const actor = new Actor("emptied-worker", jobs, () => {}, { retryDelay: 0.5 });
  await using events = await new Events(tick, jobs).connect({ servers: url });
  await using actors = await new Actors(actor).connect({ servers: url });
  await using schedules = await new Schedules(reminder).connect({ servers: url });
  const registerAll = async () => {
    await events.register();
    await actors.register();
    await schedules.register();
  };
  await registerAll();
  await schedules.upsert("before", { event: reminder, period: 0.2 });
  const ticks: TickReport[] = [];
  const recorder = jobRecorder();
  const stop = new AbortController();
  const clockRun = clock.run(events, { signal: stop.signal, onTick: (report) => void ticks.push(report) });
  const listening = actors.listen({ signal: stop.signal, onEvent: recorder.onEvent });
  const worker = scheduleWorker(schedules);
  const seen = () =>
    `ticks: ${JSON.stringify(ticks.slice(-2).map((r) => ({ ...r, error: String(r.error) })))}; ${recorder.seen()}; ${
      schedulesSeen(worker.fires, worker.resources)
    }`;
  const what = (text: string) => ({ what: text, details: seen, timeoutMs: BOUND_STOP_MS });
  const emitted = () => ticks.filter((r) => r.outcome === "emitted").length;
  const handled = () => recorder.count((e) => e.type === "success");
  const fired = (schedule: string) => worker.fires.filter((f) => f.outcome === "emitted" && f.schedule === schedule);
  try {
    await events.emit(jobs, "before", { delay: 0.2 });
    await waitUntil(() => emitted() > 0 && handled() === 1 && fired("before").length > 0, what("everything running"));

    await server.restart({ emptyStore: true });
    // Loud while missing, each with its code, report after report.
    const loud = {
      clock: () =>
        ticks.filter((r) => r.outcome === "missed" && isWalnatsError(r.error, ErrorCode.StreamNotFound)).length,
      actor: () =>
        recorder.count((e) => e.type === "pull-failure" && isWalnatsError(e.error, ErrorCode.ConsumerNotFound)),
      schedules: () =>
        worker.resources.filter((r) => r.type === "missing" && isWalnatsError(r.error, ErrorCode.StreamNotFound))
          .length,
    };
    await waitUntil(
      () => loud.clock() >= 3 && loud.actor() >= 3 && loud.schedules() >= 3,
      what("3 reports each of the clock's stream, the actor's consumer and the schedules' bucket missing"),
    );

    const emittedBefore = emitted();
    await registerAll();
    await schedules.upsert("after", { event: reminder, period: 0.2 });
    await events.emit(jobs, "after", { delay: 0.2 });
    await waitUntil(
      () => emitted() > emittedBefore && handled() === 2 && fired("after").length > 0,
      what("ticks, the delayed message and the new schedule after register()"),
    );
  } finally {
    stop.abort();
    await Promise.allSettled([clockRun, listening]);
    await worker[Symbol.asyncDispose]();
  }
  await clockRun;
  await listening;
});
