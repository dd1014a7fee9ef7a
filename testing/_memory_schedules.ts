import { promiseTry } from "../src/_async.ts";
import { LATE_HEADER, TICK_HEADER } from "../src/events/_headers.ts";
import { ErrorCode, streamNotFound, WalnatsError } from "../src/errors.ts";
import type {
  FireLog,
  FleetMember,
  FleetStore,
  LastFire,
  ScheduleChange,
  ScheduleStore,
  StoredFire,
  StoredSchedule,
} from "../src/schedules/stores.ts";
import type { PublishResult, TickMessage } from "../src/events/publisher.ts";
import type { TimeSource } from "../src/core/time_source.ts";
import { scheduleFireSubjects } from "../src/schedules/_fire.ts";
import { fleetTiming } from "../src/schedules/_fleet.ts";
import type { MemoryStream } from "./_memory_stream.ts";

/**
 * The schedules' bucket of a `MemoryServer`: one per server, shared by its
 * connections. Revisions count every write and delete of the bucket, as a
 * KV stream's sequence does; watches see each change at once.
 */
export class MemoryScheduleBucket {
  /** Whether `registerBucket()` was called. */
  registered = false;
  readonly #entries = new Map<string, StoredSchedule>();
  readonly #watchers = new Set<(change: ScheduleChange) => void>();
  #revision = 0;

  /** The current schedule under `id`. */
  get(id: string): StoredSchedule | undefined {
    return this.#entries.get(id);
  }

  /** Writes when the key is at `revision` (0: absent); the new revision, or `undefined`. */
  write(id: string, data: Uint8Array, revision: number): number | undefined {
    if ((this.#entries.get(id)?.revision ?? 0) !== revision) return undefined;
    const schedule = { id, data, revision: ++this.#revision };
    this.#entries.set(id, schedule);
    this.#tell({ kind: "put", schedule });
    return schedule.revision;
  }

  /** Deletes when the key is at `revision`. */
  remove(id: string, revision: number): boolean {
    if (this.#entries.get(id)?.revision !== revision) return false;
    this.#revision++;
    this.#entries.delete(id);
    this.#tell({ kind: "delete", id });
    return true;
  }

  /** The current schedules. */
  all(): StoredSchedule[] {
    return [...this.#entries.values()];
  }

  /** Calls `watcher` with every change from now on; returns the call that stops it. */
  follow(watcher: (change: ScheduleChange) => void): () => void {
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  #tell(change: ScheduleChange): void {
    for (const watcher of this.#watchers) watcher(change);
  }
}

/** A {@link ScheduleStore} on a `MemoryServer`'s bucket and streams. */
export class MemoryScheduleStore implements ScheduleStore {
  readonly #bucket: MemoryScheduleBucket;
  readonly #streams: ReadonlyMap<string, MemoryStream>;

  constructor(bucket: MemoryScheduleBucket, streams: ReadonlyMap<string, MemoryStream>) {
    this.#bucket = bucket;
    this.#streams = streams;
  }

  registerBucket(): Promise<void> {
    this.#bucket.registered = true;
    return Promise.resolve();
  }

  get(id: string): Promise<StoredSchedule | undefined> {
    return promiseTry(() => this.#registered().get(id));
  }

  write(id: string, data: Uint8Array, revision: number): Promise<number | undefined> {
    return promiseTry(() => this.#registered().write(id, data, revision));
  }

  remove(id: string, revision: number): Promise<boolean> {
    return promiseTry(() => this.#registered().remove(id, revision));
  }

  async *list(): AsyncIterable<StoredSchedule> {
    yield* this.#registered().all();
  }

  async *watch(signal: AbortSignal): AsyncIterable<ScheduleChange> {
    const bucket = this.#registered();
    const queue: ScheduleChange[] = [];
    let wake = () => {};
    const stop = bucket.follow((change) => {
      queue.push(change);
      wake();
    });
    const onAbort = () => wake();
    signal.addEventListener("abort", onAbort);
    try {
      for (const schedule of bucket.all()) yield { kind: "put", schedule };
      yield { kind: "ready" };
      while (!signal.aborted) {
        const change = queue.shift();
        if (change) yield change;
        else await new Promise<void>((resolve) => wake = resolve);
      }
    } finally {
      stop();
      signal.removeEventListener("abort", onAbort);
    }
  }

  lastFire(target: { stream: string; subject: string }): Promise<LastFire | undefined> {
    return promiseTry(() => {
      const last = this.#streams.get(target.stream)?.lastMessage(target.subject);
      if (last === undefined) return undefined;
      const tick = last.headers[TICK_HEADER];
      return { seq: last.seq, tickMs: tick ? Number(tick) : undefined, late: last.headers[LATE_HEADER] === "true" };
    });
  }

  #registered(): MemoryScheduleBucket {
    if (!this.#bucket.registered) {
      throw new WalnatsError(
        ErrorCode.StreamNotFound,
        "The schedules' bucket does not exist: register the schedules first",
      );
    }
    return this.#bucket;
  }
}

/** How often the workers of a `MemoryServer`'s fleet beat, in milliseconds. */
const MEMORY_BEAT_INTERVAL_MS = 60_000;

/**
 * The fleet's heartbeats of a `MemoryServer`, on its time: one map per
 * server. Its workers beat every {@link MEMORY_BEAT_INTERVAL_MS}, not every
 * 0.3 s as on NATS (a fake week of 0.3 s beats took seconds), and it tells
 * them of every join and leave at once (`followChanges`): only a death waits
 * for the beats.
 */
export class MemoryFleetStore implements FleetStore {
  readonly beatIntervalMs = MEMORY_BEAT_INTERVAL_MS;
  readonly #beats = new Map<string, number>();
  readonly #time: TimeSource;
  /** Told of every join and leave. */
  readonly #listeners = new Set<() => void>();

  constructor(time: TimeSource) {
    this.#time = time;
  }

  beat(id: string): Promise<void> {
    const nowMs = this.#time.now();
    const lastMs = this.#beats.get(id);
    this.#beats.set(id, nowMs);
    if (lastMs === undefined || lastMs < nowMs - fleetTiming(this).memberTtlMs) this.#tell();
    return Promise.resolve();
  }

  members(): Promise<FleetMember[]> {
    return Promise.resolve([...this.#beats].map(([id, beatMs]) => ({ id, beatMs })));
  }

  leave(id: string): Promise<void> {
    if (this.#beats.delete(id)) this.#tell();
    return Promise.resolve();
  }

  followChanges(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #tell(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** Manual fires and the fires' history in a `MemoryServer`'s streams. */
export class MemoryFireLog implements FireLog {
  readonly #streams: ReadonlyMap<string, MemoryStream>;

  constructor(streams: ReadonlyMap<string, MemoryStream>) {
    this.#streams = streams;
  }

  publish(message: TickMessage): Promise<PublishResult> {
    return promiseTry(() =>
      this.#stream(message.stream).publish(message.payload, message.headers, message.msgId, message.subject)
    );
  }

  async *read(target: { stream: string; id: string }, options: { sinceMs?: number } = {}): AsyncIterable<StoredFire> {
    const prefix = scheduleFireSubjects(target.stream, target.id).slice(0, -1); // without the final "*"
    const { sinceMs = -Infinity } = options;
    for (const message of this.#stream(target.stream).messages) {
      if (!message.subject.startsWith(prefix) || message.storedMs < sinceMs) continue;
      const tick = message.headers[TICK_HEADER];
      yield {
        seq: message.seq,
        subject: message.subject,
        storedMs: message.storedMs,
        tickMs: tick ? Number(tick) : undefined,
        late: message.headers[LATE_HEADER] === "true",
      };
    }
  }

  #stream(name: string): MemoryStream {
    const stream = this.#streams.get(name);
    if (stream === undefined) throw streamNotFound(name);
    return stream;
  }
}
