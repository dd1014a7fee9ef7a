import type { EventsConnection } from "../events/events_connection.ts";
import type { PublishResult, TickMessage } from "../events/publisher.ts";

/**
 * The name of the schedules' bucket, on NATS a KV bucket (its stream `KV_walnats-schedules`): a fire of a
 * schedule with `pauseOnFailure` names it in `Walnats-Pause-On-Failure`.
 */
export const SCHEDULES_BUCKET = "walnats-schedules";

/**
 * One schedule as its store keeps it: the record's bytes (JSON, the
 * library's own format) and the store's revision of it.
 */
export interface StoredSchedule {
  /** The schedule's id: the key. */
  readonly id: string;
  /** The record, JSON as UTF-8 bytes. */
  readonly data: Uint8Array;
  /** The store's revision of the key, > 0; a write or delete may require it. */
  readonly revision: number;
}

/** One change to the stored schedules, as a watch sees it; `ready` once the schedules stored at its start were all seen. */
export type ScheduleChange =
  | { readonly kind: "put"; readonly schedule: StoredSchedule }
  | { readonly kind: "delete"; readonly id: string }
  | { readonly kind: "ready" };

/** The last message stored on a schedule's ledger subject. */
export interface LastFire {
  /** Its stream sequence. */
  readonly seq: number;
  /** Its `Walnats-Tick`, epoch ms; `undefined` when it has none. */
  readonly tickMs: number | undefined;
  /** Whether it was stored late (`Walnats-Late: true`): caught up after an outage. */
  readonly late: boolean;
}

/**
 * Where schedules are kept: a key-value bucket with compare-and-set, that
 * every worker watches. On NATS a JetStream KV bucket; in memory a map. A
 * backend implements it; the library writes and reads the records.
 *
 * @example A store that holds nothing
 * ```ts
 * import type { ScheduleStore } from "@walnats/clock";
 *
 * const empty: ScheduleStore = {
 *   registerBucket: () => Promise.resolve(),
 *   get: () => Promise.resolve(undefined),
 *   write: () => Promise.resolve(undefined),
 *   remove: () => Promise.resolve(false),
 *   async *list() {},
 *   async *watch() {
 *     yield { kind: "ready" as const };
 *   },
 *   lastFire: () => Promise.resolve(undefined),
 * };
 * ```
 */
export interface ScheduleStore {
  /** Creates the bucket, or leaves it as it is when it exists. */
  registerBucket(): Promise<void>;
  /** The schedule stored under `id`; `undefined` when there is none (or it was deleted). */
  get(id: string): Promise<StoredSchedule | undefined>;
  /**
   * Stores `data` under `id` if the key is at `revision` (0: absent or
   * deleted), as one atomic step.
   *
   * @returns the new revision; `undefined` when the key was not at `revision` (nothing written)
   */
  write(id: string, data: Uint8Array, revision: number): Promise<number | undefined>;
  /**
   * Deletes `id` if the key is at `revision`, as one atomic step.
   *
   * @returns true when deleted; false when the key was not at `revision` (nothing deleted)
   */
  remove(id: string, revision: number): Promise<boolean>;
  /** The schedules stored now, in no particular order; ends after the last. */
  list(): AsyncIterable<StoredSchedule>;
  /**
   * The schedules stored now, then `ready`, then every change as it is
   * made, until `signal` aborts (then the iteration ends).
   */
  watch(signal: AbortSignal): AsyncIterable<ScheduleChange>;
  /**
   * The last message stored on `subject` in `stream`: a schedule's ledger.
   *
   * @returns `undefined` when the subject is empty
   */
  lastFire(target: { readonly stream: string; readonly subject: string }): Promise<LastFire | undefined>;
}

/** A worker of a fleet, as its last heartbeat shows it. */
export interface FleetMember {
  /** The worker run's id. */
  readonly id: string;
  /** When it last beat, epoch ms on the store's (the server's) clock. */
  readonly beatMs: number;
}

/**
 * Where the workers of a fleet announce themselves, so that they can split
 * the schedules between the live ones: on NATS a KV bucket of heartbeats,
 * in memory a map. Times are the store's, so that workers whose clocks
 * differ agree on who is live.
 *
 * @example A fleet of one
 * ```ts
 * import type { FleetStore } from "@walnats/clock";
 *
 * const alone: FleetStore = {
 *   beat: () => Promise.resolve(),
 *   members: () => Promise.resolve([{ id: "me", beatMs: Date.now() }]),
 *   leave: () => Promise.resolve(),
 * };
 * ```
 */
export interface FleetStore {
  /**
   * Records a heartbeat of the worker `id`, at the store's time.
   *
   * @returns `recreated`, the name of the store's own resource this beat found deleted and made again (the
   *   NATS store's `KV_walnats-workers`), for the worker's `onResource` report; nothing otherwise
   */
  beat(id: string): Promise<{ readonly recreated: string } | void>;
  /**
   * Every worker the store still holds, with the time of its last beat (dead ones too, until they expire):
   * at least as recent as the last `beat()` through this store (a read may trail other stores' writes by the
   * time their news takes to arrive).
   */
  members(): Promise<FleetMember[]>;
  /** Removes the worker `id`: a worker that stops cleanly leaves at once. */
  leave(id: string): Promise<void>;
  /**
   * How often a worker beats and reads the members, in milliseconds; a member whose last beat is more than 4
   * intervals older than the newest counts as dead. Default 300 (the NATS store's).
   */
  readonly beatIntervalMs?: number;
  /**
   * Calls `listener` at every join (a worker's first beat, or its first since its last one went stale) and
   * leave from now on, when the store can tell (the in-memory one does): the workers then read the members at
   * once, not at their next beat.
   *
   * @returns the call that stops it
   */
  followChanges?(listener: () => void): () => void;
}

/** A fire as the stream holds it: for a schedule's history and for backfill. */
export interface StoredFire {
  /** Its stream sequence. */
  readonly seq: number;
  /** Its subject: the schedule's ledger subject (`.tick`) or its manual one (`.manual`). */
  readonly subject: string;
  /** When the stream stored it, epoch ms on the server's clock. */
  readonly storedMs: number;
  /** Its `Walnats-Tick`; `undefined` when it has none. */
  readonly tickMs: number | undefined;
  /** Whether it carries `Walnats-Late: true` (caught up, or backfilled). */
  readonly late: boolean;
}

/**
 * The fires of schedules beyond the ledger: manual fires stored without the
 * ledger's check, and reads of a schedule's fires on both its subjects.
 *
 * @example A log that stores nothing
 * ```ts
 * import type { FireLog } from "@walnats/clock";
 *
 * const none: FireLog = {
 *   publish: () => Promise.resolve({ seq: 0, duplicate: true }),
 *   async *read() {},
 * };
 * ```
 */
export interface FireLog {
  /**
   * Stores a manual fire (a trigger, a backfill) on its subject, dropped as
   * a duplicate only by its `Nats-Msg-Id` within the stream's window: no
   * ledger check, so that it never stands in the way of scheduled fires.
   */
  publish(message: TickMessage, options: { timeoutMs: number }): Promise<PublishResult>;
  /**
   * The fires of the schedule `id` of `stream` (its `.tick` and `.manual`
   * subjects) in stream order, oldest first; from `sinceMs` (the time they
   * were stored) when given.
   */
  read(
    target: { readonly stream: string; readonly id: string },
    options?: { sinceMs?: number },
  ): AsyncIterable<StoredFire>;
}

/**
 * What a backend opens for `Schedules.connect()`: a connection for the
 * events (streams, and the publishes of fires) and the store of the
 * schedules, on one connection to the server.
 */
export interface SchedulesBackendConnection {
  /** The events' connection: registers their streams, stores fires. `close()` closes both. */
  readonly events: EventsConnection;
  /** The schedules' store. */
  readonly store: ScheduleStore;
  /** The fleet's heartbeats. */
  readonly fleet: FleetStore;
  /** Manual fires and the fires' history. */
  readonly fires: FireLog;
}
