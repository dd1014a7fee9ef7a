/**
 * schedule_changes (issue 13, "changes apply at once"): how long an upsert,
 * pause, resume or delete takes to reach every worker. Three schedules
 * workers run in this process, each on its own connection; 1,000 schedules
 * are stored (hourly, so that nothing fires while it runs); a fourth
 * connection then makes 300 changes, one at a time, in turn an upsert (a
 * new period), a pause, a resume and a delete of the same schedule. For each
 * (change, worker) pair: the time from the call's start to the worker's
 * `onChange` for it, matched by id and revision (by id for a delete).
 *
 * Baseline, in the same run: the same 300 changes as raw KV puts and
 * deletes on a bare nats.js connection, each timed from the call's start to
 * its delivery by `kv.watch()` on three other bare connections.
 *
 * @module
 */
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { type AppliedChange, Event, Schedules, type SchedulesConnection } from "../mod.ts";
import { atMost, type CaseResult } from "./_case.ts";
import { round, spreadOf } from "./_stats.ts";
import { describe } from "./tick_lag.ts";

const WORKERS = 3;
const STORED = 1_000;
const CHANGES = 300;
/** The schedules' period, seconds: none fires during the run. */
const PERIOD_S = 3_600;
/** The calls, in turn; each group of four changes one schedule. */
const KINDS = ["upsert", "pause", "resume", "delete"] as const;

/** Runs the baseline, then the workers, on the server at `url`. */
export async function scheduleChanges(url: string): Promise<CaseResult> {
  const baseline = spreadOf(await bareKvDelays(url));
  const ours = spreadOf(await workerDelays(url));
  const ratio = round(ours.p99 / baseline.p99);
  return {
    ours: { ...ours, workers: WORKERS, stored: STORED, changes: CHANGES },
    baseline,
    ratio,
    ratioOf: "p99 call to applied, workers / bare KV watch",
    summary: {
      ours: `call to onChange in each of ${WORKERS} workers: ${describe(ours)}`,
      baseline: `KV put/delete to kv.watch(): ${describe(baseline)}`,
    },
    targets: [atMost("p99 call to every worker applying it <= 1000 ms", ours.p99, 1_000)],
  };
}

/**
 * Collects arrivals per key, for each of several followers, and waits for a
 * key to have reached all of them. An arrival may come before the caller
 * knows its key (the watch can be faster than the call's answer): the
 * first arrival time per key is kept until it is taken.
 */
class Arrivals {
  readonly #seen: Map<string, number>[];
  #waiting: { key: string; resolve: () => void } | undefined;

  constructor(followers: number) {
    this.#seen = Array.from({ length: followers }, () => new Map());
  }

  /** Follower `index` got `key` now. */
  arrived(index: number, key: string): void {
    const seen = this.#seen[index]!;
    if (!seen.has(key)) seen.set(key, performance.now());
    if (this.#waiting !== undefined && this.#all(this.#waiting.key)) this.#waiting.resolve();
  }

  /** Milliseconds from `startedAt` to `key`'s arrival at each follower, once it reached them all. */
  async delays(key: string, startedAt: number): Promise<number[]> {
    if (!this.#all(key)) {
      await new Promise<void>((resolve) => this.#waiting = { key, resolve });
      this.#waiting = undefined;
    }
    return this.#seen.map((seen) => {
      const at = seen.get(key)!;
      seen.delete(key);
      return at - startedAt;
    });
  }

  #all(key: string): boolean {
    return this.#seen.every((seen) => seen.has(key));
  }
}

/** The key of a change: a put's id and revision, a delete's id. */
function keyOf(id: string, kind: AppliedChange["kind"], revision: number): string {
  return kind === "delete" ? `${id}:deleted` : `${id}:${revision}`;
}

/** The delays of the workers: every (change, worker) pair, in milliseconds. */
async function workerDelays(url: string): Promise<number[]> {
  const event = new Event("bench-schedule-changes", Object);
  const schedules = new Schedules(event);
  await using writer = await schedules.connect({ servers: url });
  await writer.register();
  await storeMany(STORED, (i) => writer.upsert(`change-${i}`, { event, period: PERIOD_S, value: { i } }));

  const arrivals = new Arrivals(WORKERS);
  const workers: SchedulesConnection[] = [];
  const stop = new AbortController();
  const runs: Promise<void>[] = [];
  try {
    for (let index = 0; index < WORKERS; index++) {
      const worker = await schedules.connect({ servers: url });
      workers.push(worker);
      runs.push(worker.run({
        signal: stop.signal,
        onChange: ({ id, kind, revision }) => arrivals.arrived(index, keyOf(id, kind, revision)),
      }));
    }
    // Every worker has read the stored schedules: the last one's put reached each.
    const last = await writer.get(`change-${STORED - 1}`);
    await arrivals.delays(keyOf(`change-${STORED - 1}`, "put", last!.revision), 0);

    const delays: number[] = [];
    for (let n = 0; n < CHANGES; n++) {
      const id = `change-${Math.floor(n / KINDS.length)}`;
      const kind = KINDS[n % KINDS.length]!;
      const startedAt = performance.now();
      const key = kind === "delete"
        ? (await writer.delete(id), keyOf(id, "delete", 0))
        : keyOf(id, "put", (await change(writer, event, id, kind, n)).revision);
      delays.push(...await arrivals.delays(key, startedAt));
    }
    return delays;
  } finally {
    stop.abort();
    await Promise.all(runs);
    for (const worker of workers) await worker.close();
    // The bucket is the server's: the next case finds it empty.
    const left: string[] = [];
    for await (const { id } of writer.list({ event })) left.push(id);
    for (const id of left) await writer.delete(id);
  }
}

/** Makes the change `kind` (not a delete) to the schedule `id`. */
function change(writer: SchedulesConnection, event: Event, id: string, kind: typeof KINDS[number], n: number) {
  switch (kind) {
    case "upsert":
      return writer.upsert(id, { event, period: PERIOD_S + n, value: { n } });
    case "pause":
      return writer.pause(id, "bench");
    default:
      return writer.resume(id);
  }
}

/** Runs `write(i)` for every i below `count`, 100 at a time. */
async function storeMany(count: number, write: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => write(i + j)));
  }
}

/** The baseline's delays: raw KV writes to `kv.watch()` on bare connections, every (change, watcher) pair. */
async function bareKvDelays(url: string): Promise<number[]> {
  const nc = await connect({ servers: url });
  const watchers = await Promise.all(Array.from({ length: WORKERS }, () => connect({ servers: url })));
  const iterators: { stop(): void }[] = [];
  try {
    const kv = await new Kvm(nc).create("bench-schedule-changes-baseline", { history: 1 });
    const record = JSON.stringify({ period: PERIOD_S, value: { text: "x".repeat(200) } });
    await storeMany(STORED, (i) => kv.put(`s-${i}`, record));
    const arrivals = new Arrivals(WORKERS);
    const following = watchers.map(async (watcher, index) => {
      const iterator = await new Kvm(watcher).open("bench-schedule-changes-baseline").then((bound) => bound.watch());
      iterators.push(iterator);
      for await (const entry of iterator) {
        const kind = entry.operation === "PUT" ? "put" : "delete";
        arrivals.arrived(index, keyOf(entry.key, kind, entry.revision));
      }
    });
    const lastRevision = (await kv.get(`s-${STORED - 1}`))!.revision;
    await arrivals.delays(keyOf(`s-${STORED - 1}`, "put", lastRevision), 0);

    const delays: number[] = [];
    for (let n = 0; n < CHANGES; n++) {
      const id = `s-${Math.floor(n / KINDS.length)}`;
      const startedAt = performance.now();
      const key = KINDS[n % KINDS.length] === "delete"
        ? (await kv.delete(id), keyOf(id, "delete", 0))
        : keyOf(id, "put", await kv.put(id, `${record}${n}`));
      delays.push(...await arrivals.delays(key, startedAt));
    }
    for (const iterator of iterators) iterator.stop();
    await Promise.all(following);
    return delays;
  } finally {
    await Promise.all([nc, ...watchers].map((conn) => conn.close()));
  }
}

/**
 * `deno run -A bench/schedule_changes.ts`: this case alone, on a throwaway
 * server; writes `bench/results/schedule_changes.json`.
 */
if (import.meta.main) {
  const { startNatsServer } = await import("../cli/_nats_server.ts");
  const loadavgBefore = Deno.loadavg();
  await using server = await startNatsServer();
  const result = await scheduleChanges(server.url);
  const env = { at: new Date().toISOString(), loadavgBefore, loadavgAfter: Deno.loadavg() };
  const text = JSON.stringify({ ...result, env }, null, 2) + "\n";
  await Deno.writeTextFile(new URL("./results/schedule_changes.json", import.meta.url), text);
  console.log(text);
}
