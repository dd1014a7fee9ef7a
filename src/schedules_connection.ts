import { describe } from "./_describe.ts";
import { fireSubject } from "./_fire.ts";
import {
  checkScheduleId,
  decodeRecord,
  encodeRecord,
  recordPayload,
  scheduleOf,
  type ScheduleOptions,
  type ScheduleRecord,
  scheduleRecord,
} from "./_schedule_record.ts";
import { type AppliedChange, type FireReport, ScheduleRunner } from "./_schedule_runner.ts";
import { ErrorCode, WalnatsError } from "./errors.ts";
import { type Event, streamOf } from "./event.ts";
import type { EventsConnection } from "./events_connection.ts";
import type { ScheduleStore, StoredSchedule } from "./schedule_store.ts";
import type { Schema } from "./serializer.ts";
import { systemTime, type TimeSource } from "./time_source.ts";

/** How often a change is tried again when another writer changed the schedule between its read and its write. */
const MAX_WRITE_ROUNDS = 20;
/** The most fire instants `describe()` previews. */
const MAX_PREVIEW = 1_000;

export type { AppliedChange, FireReport, ScheduleOptions };

/** A stored schedule, as `get()`, `list()` and `describe()` return it. */
export interface ScheduleInfo {
  /** The schedule's id. */
  readonly id: string;
  /** The name of the event its fires are messages of. */
  readonly event: string;
  /** Seconds between fires, for a periodic schedule. */
  readonly period?: number;
  /** The cron expression, for a cron schedule. */
  readonly cron?: string;
  /** The time zone of `cron`. */
  readonly timezone?: string;
  /** The instant of a one-off schedule. */
  readonly at?: Date;
  /** No fire before this instant. */
  readonly startAt?: Date;
  /** No fire after this instant. */
  readonly stopAt?: Date;
  /** The schedule ends after this many ticks. */
  readonly maxTicks?: number;
  /** How many missed fires a worker emits late after an outage or a pause. */
  readonly catchUp: number;
  /** Headers of every fire. */
  readonly meta: Readonly<Record<string, string>>;
  /**
   * The payload of every fire, decoded by the event when this connection
   * has it (its bytes otherwise); `undefined` for a `Date` event, whose
   * fires carry their instant.
   */
  readonly value: unknown;
  /** Set while the schedule is paused: the note given to `pause()` and when it was paused. */
  readonly paused?: { readonly note: string; readonly since: Date };
  /** When the spec was last written by `upsert()`: its ticks begin after this instant. */
  readonly updatedAt: Date;
  /** The store's revision of the schedule: it changes with every write. */
  readonly revision: number;
}

/** What `describe()` tells about a schedule. */
export interface ScheduleDescription {
  /** The schedule. */
  readonly schedule: ScheduleInfo;
  /** `active`: it fires; `paused`: not until resumed; `ended`: it has no tick left (`stopAt`, `maxTicks`, `at`). */
  readonly state: "active" | "paused" | "ended";
  /** Its next fire instants after the time of the call, none while paused or ended. */
  readonly next: readonly Date[];
  /** The last fire the stream holds on the schedule's ledger subject. */
  readonly lastFire?: {
    /** The fire's tick (`Walnats-Tick`). */
    readonly tick: Date | undefined;
    /** Its stream sequence. */
    readonly seq: number;
    /** Whether it was caught up late. */
    readonly late: boolean;
  };
}

/** Options of {@link SchedulesConnection.run}. */
export interface SchedulesRunOptions {
  /** Stops the worker; `run()` then resolves once the fires in flight (at most 1 s each) are over. */
  signal?: AbortSignal;
  /** Called with the outcome of every fire this worker attempted. An exception thrown here stops the worker and rejects `run()`. */
  onTick?: (report: FireReport) => void;
  /**
   * Told of every change of a schedule the worker applied, as the watch
   * brings it (for logs, and to see how fast changes arrive). An exception
   * thrown here stops the worker and rejects `run()`.
   */
  onChange?: (change: AppliedChange) => void;
  /** Where the worker reads the time and sleeps. Default: the connection's (a `MemoryServer`'s), else the system's. */
  time?: TimeSource;
}

/**
 * Schedules as data, on one connection: create, change, pause, resume and
 * delete schedules, read them back, and run a worker that fires them. From
 * `Schedules.connect()`. Every fire is stored exactly once in its event's
 * stream, however many workers run.
 *
 * @example Pause a schedule and read it back, on the in-memory server
 * ```ts
 * import assert from "node:assert/strict";
 * import { Event, Schedules } from "@walnats/clock";
 * import { FakeTime, MemoryServer } from "@walnats/clock/testing";
 *
 * using time = new FakeTime("2026-12-01T08:00:00Z");
 * const reminder = new Event("reminder", Object);
 * await using schedules = await new Schedules(reminder).connect(new MemoryServer(time));
 * await schedules.register();
 * await schedules.upsert("user-42-weekly", {
 *   event: reminder,
 *   cron: "0 9 * * 1",
 *   timezone: "Asia/Tokyo",
 *   value: { user: 42 },
 * });
 * await schedules.pause("user-42-weekly", "on holiday");
 * const { state, schedule } = await schedules.describe("user-42-weekly");
 * assert.equal(state, "paused");
 * assert.equal(schedule.paused?.note, "on holiday");
 * ```
 */
export class SchedulesConnection implements AsyncDisposable {
  /** The events this connection's schedules and worker use, by name. */
  readonly #events: ReadonlyMap<string, Event>;
  readonly #connection: EventsConnection;
  readonly #store: ScheduleStore;

  /**
   * Wraps a backend's connection; use `Schedules.connect()`.
   *
   * @param events the events schedules may fire
   * @param connection the events' connection, which stores fires
   * @param store the schedules' store
   */
  constructor(events: readonly Event[], connection: EventsConnection, store: ScheduleStore) {
    this.#events = new Map(events.map((event) => [event.name, event]));
    this.#connection = connection;
    this.#store = store;
  }

  /** The time of this connection: its backend's (a `MemoryServer`'s fake time), else the system's. */
  get time(): TimeSource {
    return this.#connection.time ?? systemTime;
  }

  /**
   * Creates the schedules' bucket and the events' streams (or updates them
   * as `Events.register()` does). Idempotent; a worker does not need it when
   * another process registered.
   *
   * @throws {StreamConflictError} when a stream exists with settings that cannot be updated
   */
  async register(): Promise<void> {
    await this.#connection.register();
    await this.#store.registerBucket();
  }

  /**
   * Creates the schedule `id`, or replaces its spec whole. A paused schedule
   * stays paused. Of concurrent upserts of one id the last one wins, never a
   * mix. The new spec takes effect from its next tick after the workers see
   * it; a tick the old spec fired is not fired again.
   *
   * @param id 1 to 128 letters, digits, `-` or `_`
   * @param options the event, `period` or `cron` (+ `timezone`) or `at`, `value`, bounds, `catchUp`, `meta`
   * @returns the schedule as stored
   * @throws {TypeError} for a bad id, an event not given to `Schedules`, both `period` and `cron`, a bad
   *   cron expression or meta, a value the event cannot encode
   * @throws {RangeError} for a bad period, zone, instant, `catchUp` or `maxTicks`, or a past `at`
   */
  async upsert<S extends Schema>(id: string, options: ScheduleOptions<S>): Promise<ScheduleInfo> {
    const spec = scheduleRecord(id, options, this.#events, this.time.now());
    return await this.#write(
      id,
      "upsert",
      (existing) => existing?.paused ? { ...spec, paused: existing.paused } : spec,
    );
  }

  /**
   * The schedule `id`.
   *
   * @returns it, or `undefined` when there is none
   * @throws {TypeError} for a bad id
   */
  async get(id: string): Promise<ScheduleInfo | undefined> {
    checkScheduleId(id, "Cannot get schedule");
    const stored = await this.#store.get(id);
    return stored === undefined ? undefined : this.#info(decodeRecord(stored.data), stored.revision);
  }

  /**
   * Every stored schedule, or those of one event, in no particular order.
   *
   * @param options `event`: only the schedules of this event
   */
  async *list(options: { event?: Event } = {}): AsyncIterable<ScheduleInfo> {
    const name = options.event?.name;
    for await (const stored of this.#store.list()) {
      const record = readable(stored);
      if (record !== undefined && (name === undefined || record.event === name)) {
        yield this.#info(record, stored.revision);
      }
    }
  }

  /**
   * Pauses the schedule: no worker fires it until `resume()`. Pausing a
   * paused schedule changes its note, not since when it is paused.
   *
   * @param note why, shown by `describe()`
   * @throws {WalnatsError} `SCHEDULE_NOT_FOUND`
   */
  async pause(id: string, note = ""): Promise<ScheduleInfo> {
    if (typeof note !== "string") {
      throw new TypeError(`Cannot pause schedule ${describe(id)}: 'note' must be a string, got ${describe(note)}`);
    }
    const since = new Date(this.time.now()).toISOString();
    return await this.#write(
      id,
      "pause",
      (record) => ({ ...record!, paused: { note, since: record?.paused?.since ?? since } }),
    );
  }

  /**
   * Resumes a paused schedule: it fires from its next tick after the
   * workers see the change, and the ticks it slept through only with
   * `catchUp` (the most recent `catchUp` of them, late). Resuming an active
   * schedule changes nothing.
   *
   * @throws {WalnatsError} `SCHEDULE_NOT_FOUND`
   */
  async resume(id: string): Promise<ScheduleInfo> {
    return await this.#write(id, "resume", (record) => {
      const { paused: _paused, ...active } = record!;
      return active;
    });
  }

  /**
   * Deletes the schedule: once the workers see it, it never fires again.
   * Its fires stay in the stream.
   *
   * @throws {WalnatsError} `SCHEDULE_NOT_FOUND`
   */
  async delete(id: string): Promise<void> {
    const where = `Cannot delete schedule ${describe(id)}`;
    checkScheduleId(id, where);
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      const stored = await this.#store.get(id);
      if (stored === undefined) throw scheduleNotFound(where);
      if (await this.#store.remove(id, stored.revision)) return;
    }
    throw keptChanging(where);
  }

  /**
   * The schedule, its state, its next `next` fire instants, and the last
   * fire the stream holds for it.
   *
   * @param options `next`: how many fire instants to preview, 0 to 1000, default 5
   * @throws {WalnatsError} `SCHEDULE_NOT_FOUND`
   */
  async describe(id: string, options: { next?: number } = {}): Promise<ScheduleDescription> {
    const where = `Cannot describe schedule ${describe(id)}`;
    checkScheduleId(id, where);
    const { next: count = 5 } = options;
    if (!(Number.isSafeInteger(count) && count >= 0 && count <= MAX_PREVIEW)) {
      throw new RangeError(`${where}: 'next' must be a whole number from 0 to ${MAX_PREVIEW}, got ${describe(count)}`);
    }
    const stored = await this.#store.get(id);
    if (stored === undefined) throw scheduleNotFound(where);
    const record = decodeRecord(stored.data);
    const schedule = scheduleOf(record);
    const next: Date[] = [];
    for (
      let tick = schedule.next(this.time.now());
      tick !== undefined && next.length < count;
      tick = schedule.next(tick)
    ) {
      next.push(new Date(tick));
    }
    const over = schedule.next(this.time.now()) === undefined;
    const state = record.paused ? "paused" : over ? "ended" : "active";
    const stream = this.#events.get(record.event)?.stream ?? streamOf(record.event);
    const last = await this.#store.lastFire({ stream, subject: fireSubject(stream, id) });
    return {
      schedule: this.#info(record, stored.revision),
      state,
      next: state === "active" ? next : [],
      ...(last === undefined ? {} : {
        lastFire: {
          tick: last.tickMs === undefined ? undefined : new Date(last.tickMs),
          seq: last.seq,
          late: last.late,
        },
      }),
    };
  }

  /**
   * Runs a worker: fires every schedule of this connection's events (of
   * every event, when `Schedules` was given none) at its ticks until
   * `signal` aborts. Run it in as many processes as you like:
   * each fire is stored once. Changes made by any process apply as the
   * watch brings them (about a millisecond on a local server).
   *
   * @param options signal, onTick, time
   * @returns when `signal` aborts
   * @throws {WalnatsError} when the schedules' bucket cannot be watched (not registered)
   */
  async run(options: SchedulesRunOptions = {}): Promise<void> {
    const { signal, onTick = () => {}, onChange = () => {}, time = this.time } = options;
    const runner = new ScheduleRunner({
      publisher: this.#connection,
      store: this.#store,
      events: this.#events,
      time,
      onTick,
      onChange,
    });
    await runner.run(signal);
  }

  /** Closes the connection if `connect()` opened it; a connection you passed in stays open. */
  async close(): Promise<void> {
    await this.#connection.close();
  }

  /** Closes the connection, as {@link SchedulesConnection.close} does: for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Writes the schedule `id` as `change` makes it from the stored record
   * (or from none, for an upsert), with compare-and-set: when another
   * writer came first, reads again and tries again.
   */
  async #write(
    id: string,
    action: "upsert" | "pause" | "resume",
    change: (existing: ScheduleRecord | undefined) => ScheduleRecord,
  ): Promise<ScheduleInfo> {
    const where = `Cannot ${action} schedule ${describe(id)}`;
    checkScheduleId(id, where);
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      const stored = await this.#store.get(id);
      if (stored === undefined && action !== "upsert") throw scheduleNotFound(where);
      const existing = stored === undefined ? undefined : decodeRecord(stored.data);
      const record = change(existing);
      if (stored !== undefined && JSON.stringify(existing) === JSON.stringify(record)) {
        return this.#info(record, stored.revision);
      }
      const revision = await this.#store.write(id, encodeRecord(record), stored?.revision ?? 0);
      if (revision !== undefined) return this.#info(record, revision);
    }
    throw keptChanging(where);
  }

  #info(record: ScheduleRecord, revision: number): ScheduleInfo {
    const payload = recordPayload(record);
    const event = this.#events.get(record.event);
    const date = (text: string | undefined) => text === undefined ? undefined : new Date(text);
    const optional = {
      period: record.period,
      cron: record.cron,
      timezone: record.timezone,
      at: date(record.at),
      startAt: date(record.startAt),
      stopAt: date(record.stopAt),
      maxTicks: record.maxTicks,
      paused: record.paused && { note: record.paused.note, since: new Date(record.paused.since) },
    };
    return {
      id: record.id,
      event: record.event,
      ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
      catchUp: record.catchUp,
      meta: record.meta,
      value: payload === undefined ? undefined : event ? event.decode(payload) : payload,
      updatedAt: new Date(record.updatedAt),
      revision,
    };
  }
}

/** A stored record this version can read; `undefined` for one it cannot (written by something else). */
function readable(stored: StoredSchedule): ScheduleRecord | undefined {
  try {
    return decodeRecord(stored.data);
  } catch {
    return undefined;
  }
}

function scheduleNotFound(where: string): WalnatsError {
  return new WalnatsError(ErrorCode.ScheduleNotFound, `${where}: no schedule has this id`);
}

function keptChanging(where: string): WalnatsError {
  return new WalnatsError(
    ErrorCode.RequestFailed,
    `${where}: other writers kept changing it during ${MAX_WRITE_ROUNDS} attempts`,
  );
}
