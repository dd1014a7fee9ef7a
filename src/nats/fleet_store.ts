/**
 * The fleet's heartbeats on NATS: a KV bucket, `walnats-workers`, one key
 * per worker run, written at every beat; the time of a beat is the server's
 * (the entry's timestamp), so that workers whose clocks differ agree on it.
 * Entries of workers that stopped beating expire after a minute.
 *
 * A store reads the members from one watch of the bucket, opened at its
 * first read: a round of the fleet (a beat, then a read) costs one write and
 * no request beyond it, where listing the keys made a consumer and read
 * every key at every round, and delayed the fires sent beside it.
 *
 * The bucket is the library's own: deleted while workers run, it is made
 * again at the next beat after a failed one, and read from a new watch (the
 * old one, at the old bucket's revisions, would never see the new one's).
 *
 * @module
 */
import { JetStreamApiCodes } from "@nats-io/jetstream";
import { type KV, Kvm, type KvWatchEntry } from "@nats-io/kv";
import type { QueuedIterator } from "@nats-io/nats-core";
import { delay, withResolvers } from "../_async.ts";
import { ErrorCode, messageOf, WalnatsError } from "../errors.ts";
import type { FleetMember, FleetStore } from "../schedules/stores.ts";
import { isApiError } from "./_api_errors.ts";
import type { NatsLink } from "./_link.ts";

/** The bucket of the fleet's heartbeats. */
export const WORKERS_BUCKET = "walnats-workers";
/** The stream behind {@link WORKERS_BUCKET}, as the server names it (and the metrics label it). */
export const WORKERS_STREAM = `KV_${WORKERS_BUCKET}`;
/** How long an entry outlives its last beat: the bucket's `max_age`. */
const MEMBER_EXPIRY_MS = 60_000;
/**
 * How long a read waits for the watch to bring the store's last beat before it fails (and the next read opens
 * a new watch): short enough that a worker whose reads fail still beats well within the fleet's TTL.
 */
const WATCH_BEHIND_MS = 500;

/** {@link FleetStore} on the `walnats-workers` KV bucket, created on the first beat. */
export class NatsFleetStore implements FleetStore {
  readonly #link: NatsLink;
  readonly #replicas: number;
  #kv: Promise<KV> | undefined;
  /**
   * The watch the members are read from; `undefined` until the first read, and after a leave or a failed read.
   * Every run on the connection shares it: one run's leave costs another at most the read in progress.
   */
  #beats: Promise<BeatsWatch> | undefined;
  /** The bucket's revision of the last beat through this store: a read waits until the watch has seen it. */
  #lastBeat = 0;
  /** Whether a beat failed since the bucket was opened: a bucket missing at the next opening was deleted in use. */
  #beatFailed = false;
  /** Whether an opening made the bucket again since the last beat told it. */
  #recreated = false;

  /**
   * @param link the NATS connection
   * @param replicas the bucket's replicas when the first beat creates it
   */
  constructor(link: NatsLink, replicas: number) {
    this.#link = link;
    this.#replicas = replicas;
  }

  async beat(id: string): Promise<{ recreated: string } | void> {
    const opening = this.#bucket();
    let revision: number;
    try {
      const kv = await opening;
      revision = await request(`Cannot record the heartbeat of worker '${id}'`, () => kv.put(id, ""));
    } catch (error) {
      // nats.js's handle of a deleted bucket fails for ever: the next beat opens it again (and makes it again).
      if (this.#kv === opening) {
        this.#kv = undefined;
        this.#beatFailed = true;
      }
      throw error;
    }
    // Revisions only grow in one bucket: a beat at or below the last one is in a bucket made again, which the
    // watch, waiting for the old bucket's next revision, would never show. The next read opens a new one.
    if (revision <= this.#lastBeat) this.#dropWatch();
    this.#lastBeat = revision;
    if (!this.#recreated) return;
    this.#recreated = false;
    return { recreated: WORKERS_STREAM };
  }

  async members(): Promise<FleetMember[]> {
    const kv = await this.#bucket();
    const what = "Cannot read the fleet's heartbeats";
    const forget = () => {
      if (this.#beats === opened) this.#beats = undefined;
    };
    const opened = this.#beats ??= BeatsWatch.open(kv, forget).catch((error: unknown) => {
      forget();
      throw error;
    });
    const beats = await request(what, () => opened);
    try {
      return await beats.membersSince(this.#lastBeat, WATCH_BEHIND_MS);
    } catch (error) {
      // Ended, or stalled (nats.js notices a silent consumer only after a minute of missed heartbeats): the next
      // read opens a new watch.
      forget();
      beats.stop();
      throw new WalnatsError(ErrorCode.RequestFailed, `${what}: ${messageOf(error)}`, { cause: error });
    }
  }

  async leave(id: string): Promise<void> {
    const kv = await this.#bucket();
    this.#dropWatch(); // a worker that leaves reads no more; a later run opens a new watch
    await request(`Cannot remove worker '${id}' from the fleet`, () => kv.purge(id));
  }

  /** Stops the watch, if any: the next read opens a new one. */
  #dropWatch(): void {
    const beats = this.#beats;
    this.#beats = undefined;
    beats?.then((watch) => watch.stop(), () => {});
  }

  /**
   * The bucket, created (or found) once, and again after a failed beat; a failed creation is forgotten, so that
   * the next call tries again. Callers at the same time share one opening.
   */
  #bucket(): Promise<KV> {
    if (this.#kv === undefined) {
      const creating = this.#open().catch((error: unknown) => {
        if (this.#kv === creating) this.#kv = undefined;
        throw new WalnatsError(
          ErrorCode.RequestFailed,
          `Cannot open the fleet's bucket '${WORKERS_BUCKET}': ${messageOf(error)}`,
          { cause: error },
        );
      });
      this.#kv = creating;
    }
    return this.#kv;
  }

  /** Opens the bucket, creating it when missing; one missing after a failed beat is noted as made again. */
  async #open(): Promise<KV> {
    // Asked only after a failed beat, to tell a bucket deleted in use (counted) from one that failed otherwise.
    const missing = this.#beatFailed &&
      await this.#link.jsm.streams.info(WORKERS_STREAM).then(() => false, (error: unknown) => {
        if (isApiError(error, JetStreamApiCodes.StreamNotFound)) return true;
        throw error;
      });
    const kv = await new Kvm(this.#link.js)
      .create(WORKERS_BUCKET, { history: 1, ttl: MEMBER_EXPIRY_MS, replicas: this.#replicas });
    // After a failed beat the watch may be of a bucket deleted since: read from a new one (a failure's cost only).
    if (this.#beatFailed) this.#dropWatch();
    this.#beatFailed = false;
    this.#recreated ||= missing;
    return kv;
  }
}

/**
 * One watch of the bucket and the last beat of each worker it brought, on
 * an ordered consumer (nats.js makes it again after a gap in its
 * deliveries). Once it ends, reads fail.
 */
class BeatsWatch {
  readonly #watcher: QueuedIterator<KvWatchEntry>;
  readonly #beatMs = new Map<string, number>();
  /** The highest revision the watch brought. */
  #revision = 0;
  /** Whether the watch brought the last beat of every worker the bucket held when it opened. */
  #current: boolean;
  /** Resolved (and replaced) at every entry and at the end: what a read that waits for a revision waits on. */
  #news = withResolvers<void>();
  #ended = false;

  private constructor(watcher: QueuedIterator<KvWatchEntry>, empty: boolean, onEnd: () => void) {
    this.#watcher = watcher;
    this.#current = empty;
    this.#follow().finally(onEnd);
  }

  /** Opens a watch of every key's last beat and then of every change; `onEnd` is called once it ended. */
  static async open(kv: KV, onEnd: () => void): Promise<BeatsWatch> {
    // An empty bucket's watch brings nothing to say it is current: ask first.
    const empty = (await kv.status()).values === 0;
    return new BeatsWatch(await kv.watch(), empty, onEnd);
  }

  /**
   * The members as the watch knows them, once it has brought what the
   * bucket held when it opened and `revision` (or a later one); entries past
   * the bucket's expiry are dropped (the server removed them without a word).
   *
   * @throws Error when the watch is not there within `timeoutMs`, or ended
   */
  async membersSince(revision: number, timeoutMs: number): Promise<FleetMember[]> {
    const behind = () => !this.#ended && (!this.#current || this.#revision < revision);
    if (behind()) {
      const giveUp = new AbortController();
      const caughtUp = (async () => {
        while (behind()) await this.#news.promise;
      })();
      await Promise.race([caughtUp, delay(timeoutMs, giveUp.signal).catch(() => {})]);
      giveUp.abort();
    }
    if (this.#ended) throw new Error("the watch of the heartbeats ended");
    if (behind()) throw new Error(`the watch did not catch up with this worker's beat within ${timeoutMs} ms`);
    const newest = Math.max(-Infinity, ...this.#beatMs.values());
    const members: FleetMember[] = [];
    for (const [id, beatMs] of this.#beatMs) {
      if (beatMs < newest - MEMBER_EXPIRY_MS) this.#beatMs.delete(id);
      else members.push({ id, beatMs });
    }
    return members;
  }

  stop(): void {
    this.#watcher.stop();
  }

  async #follow(): Promise<void> {
    try {
      for await (const entry of this.#watcher) {
        if (entry.operation === "PUT") this.#beatMs.set(entry.key, entry.created.getTime());
        else this.#beatMs.delete(entry.key);
        this.#revision = Math.max(this.#revision, entry.revision);
        if (entry.delta === 0) this.#current = true;
        this.#tell();
      }
    } catch {
      // The consumer failed: reads fail from now on, and the store opens a new watch.
    } finally {
      this.#ended = true;
      this.#tell();
    }
  }

  #tell(): void {
    this.#news.resolve();
    this.#news = withResolvers<void>();
  }
}

/** Runs a request, turning a failure into a `REQUEST_FAILED` that says what was tried. */
async function request<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new WalnatsError(ErrorCode.RequestFailed, `${what}: ${messageOf(error)}`, { cause: error });
  }
}
