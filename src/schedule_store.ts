import type { EventsConnection } from "./events_connection.ts";

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
}
