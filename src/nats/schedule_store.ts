/**
 * The schedules' store on NATS: one JetStream KV bucket, `walnats-schedules`,
 * for the schedules of every event (key: the schedule's id, history 1), and
 * the ledger reads of their fires in the events' streams.
 *
 * @module
 */
import { JetStreamApiCodes, type StoredMsg, type StreamInfo } from "@nats-io/jetstream";
import { type KV, type KvEntry, Kvm, KvWatchInclude, type KvWatchOptions } from "@nats-io/kv";
import type { QueuedIterator } from "@nats-io/nats-core";
import { delay } from "../_async.ts";
import {
  ErrorCode,
  isWalnatsError,
  messageOf,
  streamNotFound,
  streamTimedOut,
  streamUnavailable,
  WalnatsError,
} from "../errors.ts";
import type { Event } from "../events/event.ts";
import {
  type LastFire,
  type ScheduleChange,
  SCHEDULES_BUCKET,
  type SchedulesBackendConnection,
  type ScheduleStore,
  type StoredSchedule,
} from "../schedules/stores.ts";
import { LATE_HEADER, TICK_HEADER } from "../events/_headers.ts";
import type { NatsLink } from "./_link.ts";
import { askInfo, infoVerdict, isApiError, streamFailure } from "./_api_errors.ts";
import { NatsEventsConnection } from "./events_connection.ts";
import { NatsFireLog } from "./fire_log.ts";
import { NatsFleetStore } from "./fleet_store.ts";

/** The bucket of every schedule. */
export { SCHEDULES_BUCKET };
/** The stream behind the bucket. */
const BUCKET_STREAM = `KV_${SCHEDULES_BUCKET}`;
/** After a watch's consumer ended without being asked to (the server was gone too long), the pause before it is opened again. */
const REWATCH_PAUSE_MS = 250;
/** How often a watch checks that it is not stalled: a stall is noticed 1 to 2 of these after the bucket moved on. */
const STALL_CHECK_MS = 2_000;
/** After a request got no responders, how long the bucket's info may take to tell a missing bucket from one without a leader. */
const INFO_TIMEOUT_MS = 500;

/**
 * The connection `Schedules.connect()` builds on: the events' connection
 * (streams, fires) and the schedules' store, on one NATS link. The bucket
 * gets the highest `limits.replicas` of the events, so that a cluster keeps
 * the schedules as safe as their events.
 *
 * @param link the NATS connection
 * @param events the events whose schedules are kept
 * @returns the events' connection and the store; closing the events' connection closes the link
 */
export function connectNatsSchedules(link: NatsLink, events: readonly Event[]): SchedulesBackendConnection {
  const replicas = Math.max(1, ...events.map((event) => event.limits.replicas ?? 1));
  return {
    events: new NatsEventsConnection(link, events),
    store: new NatsScheduleStore(link, replicas),
    fleet: new NatsFleetStore(link, replicas),
    fires: new NatsFireLog(link),
  };
}

/**
 * {@link ScheduleStore} on a JetStream KV bucket, `walnats-schedules`:
 * compare-and-set by the key's revision (the server checks it with the
 * write), a watch on an ordered consumer that nats.js recreates after a
 * server restart or a reconnect, and that the store replaces when it stalls
 * (its consumer lost on another server of a cluster).
 *
 * Failures are {@link WalnatsError}s: `STREAM_NOT_FOUND` when the bucket
 * does not exist (register the schedules first), `STREAM_UNAVAILABLE` when
 * it cannot answer now (no leader, or no answer in time), `REQUEST_FAILED`
 * for anything else the server refused.
 */
export class NatsScheduleStore implements ScheduleStore {
  readonly #link: NatsLink;
  readonly #replicas: number;
  /** The bucket, bound (not created) on first use: binding asks the server nothing. */
  #kv: Promise<KV> | undefined;

  /**
   * A store on the link's connection; nothing is asked of the server until a method is called.
   *
   * @param link the NATS connection
   * @param replicas the bucket's replicas when `registerBucket()` creates it (1 to 5)
   */
  constructor(link: NatsLink, replicas: number) {
    this.#link = link;
    this.#replicas = replicas;
  }

  async registerBucket(): Promise<void> {
    try {
      // Kvm.create leaves an existing bucket as it is (it reads its info first).
      await new Kvm(this.#link.js).create(SCHEDULES_BUCKET, { history: 1, replicas: this.#replicas });
    } catch (error) {
      throw await this.#failure(error, `Cannot register the schedules' bucket '${SCHEDULES_BUCKET}'`);
    }
  }

  async get(id: string): Promise<StoredSchedule | undefined> {
    const kv = await this.#bucket();
    let entry: KvEntry | null;
    try {
      entry = await kv.get(id);
    } catch (error) {
      throw await this.#failure(error, `Cannot read schedule '${id}'`);
    }
    return entry !== null && entry.operation === "PUT" ? stored(entry) : undefined;
  }

  async write(id: string, data: Uint8Array, revision: number): Promise<number | undefined> {
    const kv = await this.#bucket();
    try {
      // create() also writes over a deleted key (at its delete marker's revision).
      return revision === 0 ? await kv.create(id, data) : await kv.update(id, data, revision);
    } catch (error) {
      if (isApiError(error, JetStreamApiCodes.StreamWrongLastSequence)) return undefined;
      throw await this.#failure(error, `Cannot write schedule '${id}'`);
    }
  }

  async remove(id: string, revision: number): Promise<boolean> {
    const kv = await this.#bucket();
    try {
      await kv.delete(id, { previousSeq: revision });
      return true;
    } catch (error) {
      if (isApiError(error, JetStreamApiCodes.StreamWrongLastSequence)) return false;
      throw await this.#failure(error, `Cannot delete schedule '${id}'`);
    }
  }

  /**
   * One ordered consumer delivering the last message of every key; ends at the message after which the
   * consumer had none pending. An empty bucket ends at once.
   */
  async *list(): AsyncIterable<StoredSchedule> {
    const what = "Cannot list the schedules";
    if ((await this.#info(what)).state.messages === 0) return;
    const watcher = await this.#watch({ include: KvWatchInclude.LastValue }, what);
    let complete = false;
    try {
      for await (const entry of watcher) {
        if (entry.operation === "PUT") yield stored(entry);
        if (entry.delta === 0) {
          complete = true;
          break;
        }
      }
    } finally {
      watcher.stop();
    }
    if (!complete) {
      throw new WalnatsError(
        ErrorCode.StreamUnavailable,
        `${what}: the bucket's consumer ended before the last schedule (the server restarted?); try again`,
      );
    }
  }

  /**
   * The last value of every key, `ready` after the one the consumer had none pending after (at once for an
   * empty bucket), then every change. The ordered consumer recreates itself after a reconnect; when it ends
   * on its own all the same, a new one resumes after the last revision seen. Opening the first one is tried
   * again every `REWATCH_PAUSE_MS` while the bucket cannot answer (`STREAM_UNAVAILABLE`: no leader yet, or no
   * answer in time), so that a worker started during an election or beside a loaded server waits for it.
   *
   * @throws {WalnatsError} `STREAM_NOT_FOUND` when the bucket is missing, at the start or later: deleted while
   *   watched, or deleted and made again (its revisions start again; a watch resuming after the old ones would
   *   never see the new ones)
   */
  async *watch(signal: AbortSignal): AsyncIterable<ScheduleChange> {
    const what = "Cannot watch the schedules";
    // Only "cannot answer now" is waited out at first: a missing bucket, or a refusal, is the caller's to see.
    const first = await this.#retrying(
      async () => {
        const info = await this.#info(what);
        const watcher = await this.#watch({ include: KvWatchInclude.LastValue }, what);
        return { ready: info.state.messages === 0, created: info.created, watcher };
      },
      (error) => isWalnatsError(error, ErrorCode.StreamUnavailable),
      signal,
    );
    if (first === undefined) return;
    let { ready, watcher } = first;
    let lastRevision = 0;
    let gone = false;
    /** Whether this watch resumes an earlier one: its delete markers may be of schedules told already. */
    let resumed = false;
    const stop = () => watcher.stop();
    signal.addEventListener("abort", stop, { once: true });
    try {
      if (ready) yield { kind: "ready" };
      while (!signal.aborted) {
        const watched = new AbortController();
        const guard = this.#stopWhenStalled(
          watcher,
          { created: first.created, lastRevision: () => lastRevision, onGone: () => gone = true },
          AbortSignal.any([signal, watched.signal]),
        );
        try {
          for await (const entry of watcher) {
            lastRevision = entry.revision;
            const change = changeOf(entry);
            // A first watch's delete marker before `ready` is of a schedule deleted before the watch began: nothing
            // to tell.
            if (ready || resumed || change.kind === "put") yield change;
            if (!ready && entry.delta === 0) {
              ready = true;
              yield { kind: "ready" };
            }
          }
        } finally {
          watched.abort();
          await guard;
        }
        if (signal.aborted) break;
        if (gone) {
          throw new WalnatsError(
            ErrorCode.StreamNotFound,
            `${what}: the schedules' bucket '${SCHEDULES_BUCKET}' was deleted while watched; register the schedules`,
          );
        }
        resumed ||= lastRevision > 0;
        const next = await this.#retrying(
          () => this.#rewatch(lastRevision, what),
          (error) => !isWalnatsError(error, ErrorCode.StreamNotFound),
          signal,
        );
        if (next === undefined) break;
        watcher = next;
      }
    } finally {
      signal.removeEventListener("abort", stop);
      watcher.stop();
    }
  }

  /**
   * Stops `watcher` once it is stalled, so that `watch()` opens a new one after the last revision it gave:
   * nats.js notices a consumer gone without a word (its server died while the connection stayed up, or it
   * was deleted) only after a minute of missed heartbeats. Every `STALL_CHECK_MS` it reads the bucket's last
   * revision; stalled is a watcher that received nothing since the last check, gave all it received, and
   * has not given the revision the bucket had at that check. A bucket missing, or made again since the
   * watch began (another creation time), is gone: it stops the watcher and calls `onGone`. Ends when `signal`
   * aborts.
   *
   * @param bucket `created`: the bucket's creation time when the watch began; `lastRevision`: the revision of
   *   the last entry the watcher gave
   */
  async #stopWhenStalled(
    watcher: QueuedIterator<KvEntry>,
    bucket: { created: string; lastRevision: () => number; onGone: () => void },
    signal: AbortSignal,
  ): Promise<void> {
    let received = watcher.getReceived();
    let bucketRevision = 0;
    while (!signal.aborted) {
      if (!await delay(STALL_CHECK_MS, signal).then(() => true, () => false)) return;
      const quiet = watcher.getReceived() === received && watcher.getProcessed() === received;
      if (quiet && bucket.lastRevision() < bucketRevision) {
        watcher.stop();
        return;
      }
      received = watcher.getReceived();
      const now = await this.#link.jsm.streams.info(BUCKET_STREAM).then(
        (info) => info.created === bucket.created ? info.state.last_seq : undefined,
        (error) => isApiError(error, JetStreamApiCodes.StreamNotFound) ? undefined : 0, // 0: the next check tells
      );
      if (now === undefined) {
        bucket.onGone();
        watcher.stop();
        return;
      }
      bucketRevision = now;
    }
  }

  /**
   * `open()`, tried again every `REWATCH_PAUSE_MS` while it fails with an error `retryable` accepts;
   * `undefined` once `signal` aborts.
   */
  async #retrying<T>(
    open: () => Promise<T>,
    retryable: (error: unknown) => boolean,
    signal: AbortSignal,
  ): Promise<T | undefined> {
    while (!signal.aborted) {
      try {
        return await open();
      } catch (error) {
        if (!retryable(error)) throw error;
        await delay(REWATCH_PAUSE_MS, signal).catch(() => {});
      }
    }
    return undefined;
  }

  async lastFire(target: { readonly stream: string; readonly subject: string }): Promise<LastFire | undefined> {
    let last: StoredMsg | null;
    try {
      last = await this.#link.jsm.streams.getMessage(target.stream, { last_by_subj: target.subject });
    } catch (error) {
      const failure = streamFailure(error);
      if (failure === "missing") throw streamNotFound(target.stream, error);
      if (failure === "timeout") throw streamTimedOut(target.stream, undefined, error);
      if (failure !== undefined) throw streamUnavailable(target.stream, undefined, error);
      throw new WalnatsError(
        ErrorCode.RequestFailed,
        `Cannot read the last fire on '${target.subject}': ${messageOf(error)}`,
        { cause: error },
      );
    }
    if (last === null) return undefined;
    const tick = Number(last.header?.get(TICK_HEADER) || Number.NaN);
    return {
      seq: last.seq,
      tickMs: Number.isFinite(tick) ? tick : undefined,
      late: last.header?.get(LATE_HEADER) === "true",
    };
  }

  /**
   * The bucket bound by name: whether it exists shows in the answers of its requests. A binding that failed
   * (nats.js may ask the server for the account's info first) is forgotten, so that the next call tries again.
   */
  async #bucket(): Promise<KV> {
    if (this.#kv === undefined) {
      const binding = new Kvm(this.#link.js).open(SCHEDULES_BUCKET).catch((error: unknown) => {
        if (this.#kv === binding) this.#kv = undefined;
        throw error;
      });
      this.#kv = binding;
    }
    try {
      return await this.#kv;
    } catch (error) {
      throw await this.#failure(error, "Cannot open the schedules' bucket");
    }
  }

  /** The bucket's stream's info: whether it holds any message (none: no schedule was ever written), its creation. */
  async #info(what: string): Promise<StreamInfo> {
    try {
      return await this.#link.jsm.streams.info(BUCKET_STREAM);
    } catch (error) {
      throw await this.#failure(error, what);
    }
  }

  async #watch(options: KvWatchOptions, what: string): Promise<QueuedIterator<KvEntry & { delta?: number }>> {
    const kv = await this.#bucket();
    try {
      return await kv.watch(options);
    } catch (error) {
      throw await this.#failure(error, what);
    }
  }

  /**
   * A new watch after the last one ended on its own: from the revision after `after`, or from the start when
   * the last one brought nothing (`after` 0). Resuming is right before `ready` too: a watch brings the last
   * values in the order of their revisions, so every key whose last value came before `after` was brought.
   */
  async #rewatch(after: number, what: string): Promise<QueuedIterator<KvEntry & { delta?: number }>> {
    const options = after > 0
      ? { include: KvWatchInclude.AllHistory, resumeFromRevision: after + 1 }
      : { include: KvWatchInclude.LastValue };
    return await this.#watch(options, what);
  }

  /**
   * The error a failed request on the bucket ends with: `STREAM_NOT_FOUND` when the bucket does not exist,
   * `STREAM_UNAVAILABLE` when it cannot answer now ("no responders" asks the bucket's info to tell which),
   * else `REQUEST_FAILED`.
   */
  async #failure(error: unknown, what: string): Promise<WalnatsError> {
    if (error instanceof WalnatsError) return error;
    let failure = streamFailure(error);
    if (failure === "noResponders") {
      failure = infoVerdict(await askInfo(this.#link.jsm, BUCKET_STREAM, INFO_TIMEOUT_MS));
    }
    if (failure === "missing") {
      return new WalnatsError(
        ErrorCode.StreamNotFound,
        `${what}: the schedules' bucket '${SCHEDULES_BUCKET}' does not exist; register the schedules first`,
        { cause: error },
      );
    }
    if (failure === "unavailable") return streamUnavailable(BUCKET_STREAM, what, error);
    if (failure === "timeout") return streamTimedOut(BUCKET_STREAM, what, error);
    return new WalnatsError(ErrorCode.RequestFailed, `${what}: ${messageOf(error)}`, { cause: error });
  }
}

function stored(entry: KvEntry): StoredSchedule {
  return { id: entry.key, data: entry.value, revision: entry.revision };
}

/** A watched entry as a change: a put, or a delete for a delete or purge marker. */
function changeOf(entry: KvEntry): ScheduleChange {
  return entry.operation === "PUT" ? { kind: "put", schedule: stored(entry) } : { kind: "delete", id: entry.key };
}
