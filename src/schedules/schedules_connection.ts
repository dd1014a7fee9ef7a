import { describe } from "../_describe.ts";
import { fireSubject, fireTemplate, manualFireMessage, MAX_CLOCK_SKEW_MS } from "./_fire.ts";
import {
  checkScheduleId,
  decodeRecord,
  encodeRecord,
  kindOfRecord,
  mixedKinds,
  readableRecord,
  recordJitterMs,
  recordPayload,
  scheduleOf,
  type ScheduleRecord,
  scheduleRecord,
  specScheduleOf,
} from "./_schedule_record.ts";
import { ScheduleRunner } from "./_schedule_runner.ts";
import type { AppliedChange, FireReport, ResourceReport, ScheduleOptions } from "./schedule_types.ts";
import { ErrorCode, WalnatsError } from "../errors.ts";
import { type Event, streamOf } from "../events/event.ts";
import type { EventsConnection } from "../events/events_connection.ts";
import type { FireLog, FleetStore, ScheduleStore, StoredFire } from "./stores.ts";
import { instantOf } from "../core/_units.ts";
import { jitteredInstant } from "./_jitter.ts";
import { traceFire } from "../events/_tracing.ts";
import type { BoundedSchedule } from "../core/schedule.ts";
import type { DstPolicy } from "../core/dst_policy.ts";
import type { Schema } from "../events/serializer.ts";
import { systemTime, type TimeSource } from "../core/time_source.ts";

/** How often a change is tried again when another writer changed the schedule between its read and its write. */
const MAX_WRITE_ROUNDS = 20;
/** The most fire instants `describe()` previews. */
const MAX_PREVIEW = 1_000;
/** The most recent fires `describe()` shows. */
const MAX_RECENT = 1_000;
/** How many recent fires `describe()` shows by default. */
const DEFAULT_RECENT = 10;
/** The most fires one `backfill()` may store: a longer range is split by the caller. */
const MAX_BACKFILL = 1_000;
/** How far `backfill()` counts the ticks of a range that holds too many, to name their number. */
const MAX_COUNTED = 100_000;
/** How long a manual fire's publish may wait for the stream's answer. */
const MANUAL_TIMEOUT_MS = 5_000;
/** The first window of fires `describe()` reads for the recent ones is at least this long. */
const RECENT_FIRST_WINDOW_MS = 60_000;
/** How much the window grows each time it held fewer fires than asked for. */
const RECENT_WIDENING = 16;
/** After this many windows, `describe()` reads every fire the stream holds for the schedule. */
const RECENT_WINDOWS = 4;

export type { AppliedChange, FireReport, ResourceReport, ScheduleOptions };

/** A stored schedule, as `get()`, `list()` and `describe()` return it. */
export interface ScheduleInfo {
  /** The schedule's id. */
  readonly id: string;
  /** The name of the event its fires are messages of. */
  readonly event: string;
  /**
   * The payload kind of its fires (see `Event.payloadKind`): the event's at
   * the upsert. A schedule stored by a version that did not record kinds
   * has `date` when its fires carry their tick, and `value` when they carry
   * a value of a kind not recorded.
   */
  readonly kind: string;
  /**
   * Set by `list()` only, when the schedules of this schedule's event mix
   * payload kinds: those kinds, sorted (`value` agrees with every kind but
   * `date`). An actor of the event cannot decode the fires of some of them:
   * delete those, or upsert them again with the event's kind.
   */
  readonly mixedKinds?: readonly string[];
  /** Seconds between fires, for a periodic schedule. */
  readonly period?: number;
  /** The cron expression, for a cron schedule. */
  readonly cron?: string;
  /** The time zone of `cron`. */
  readonly timezone?: string;
  /** The DST policy of `cron`, the fields given (see `ScheduleOptions.dst`); absent: classic cron's rules. */
  readonly dst?: DstPolicy;
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
  /** Seconds each fire may go out after its tick (see `ScheduleOptions.jitter`); absent: none. */
  readonly jitter?: number;
  /** `true` when an actor that gives up a fire pauses the schedule (see `ScheduleOptions.pauseOnFailure`). */
  readonly pauseOnFailure?: boolean;
  /** Headers of every fire. */
  readonly meta: Readonly<Record<string, string>>;
  /**
   * The payload of every fire, decoded by the event when this connection
   * has it and the schedule has its payload kind (its bytes otherwise);
   * `undefined` for a `Date` event, whose fires carry their instant.
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
  /**
   * Its next fire instants after the time of the call, none while paused or ended: when each fire goes out,
   * which for a schedule with `jitter` is its tick plus the tick's offset (the fire's tick stays the tick).
   */
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
  /** The most recent fires the stream holds for the schedule, on both its subjects, in stream order (oldest first). */
  readonly recent: readonly RecentFire[];
}

/**
 * How a fire came to be: `scheduled` by a worker at its tick, `caught-up` by
 * a worker late (after an outage, or a resume with `catchUp`),
 * `triggered` by `trigger()`, `backfilled` by `backfill()`.
 */
export type FireKind = "scheduled" | "caught-up" | "triggered" | "backfilled";

/** One fire the stream holds, as `describe()` shows it. */
export interface RecentFire {
  /** Its tick (`Walnats-Tick`); `undefined` when it has none. */
  readonly tick: Date | undefined;
  /** When the stream stored it, on the server's clock. */
  readonly storedAt: Date;
  /** From the tick to the store, in milliseconds; `undefined` when it has no tick. */
  readonly lagMs: number | undefined;
  /** Its stream sequence. */
  readonly seq: number;
  /** How it came to be. */
  readonly kind: FireKind;
}

/** What `trigger()` stored. */
export interface TriggeredFire {
  /** The fire's tick: the instant of the call, on the connection's time. */
  readonly tick: Date;
  /** Its stream sequence (of the earlier copy when `duplicate`). */
  readonly seq: number;
  /** True when the stream already held a trigger of this schedule at this very millisecond: nothing was stored. */
  readonly duplicate: boolean;
}

/** What `backfill()` did with each tick of the range. */
export interface BackfillResult {
  /** The fires it stored, oldest first. */
  readonly stored: readonly { readonly tick: Date; readonly seq: number }[];
  /** The ticks the stream already held (stored by a worker, or by an earlier backfill), oldest first. */
  readonly skipped: readonly Date[];
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
  /**
   * Told when a resource the worker needs is found missing or made again (see {@link ResourceReport}): the
   * schedules' bucket deleted in use, every second while it is missing (no schedule fires then), and the
   * fleet's bucket made again. An exception thrown here stops the worker and rejects `run()`.
   */
  onResource?: (report: ResourceReport) => void;
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
  readonly #fleet: FleetStore;
  readonly #fires: FireLog | undefined;
  /** The events whose streams this connection found recording their payload kind: an upsert checks each once. */
  readonly #kindRecorded = new Set<Event>();

  /**
   * Wraps a backend's connection; use `Schedules.connect()`.
   *
   * @param events the events schedules may fire
   * @param connection the events' connection, which stores fires
   * @param store the schedules' store
   * @param parts `fleet`: where the workers beat, to split the schedules between them; `fires`: the fires'
   *   log, for `trigger()`, `backfill()` and the history of `describe()`
   */
  constructor(
    events: readonly Event[],
    connection: EventsConnection,
    store: ScheduleStore,
    parts: { fleet: FleetStore; fires?: FireLog },
  ) {
    this.#events = new Map(events.map((event) => [event.name, event]));
    this.#connection = connection;
    this.#store = store;
    this.#fleet = parts.fleet;
    this.#fires = parts.fires;
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
   * @throws {WalnatsError} `PAYLOAD_KIND_MISMATCH` when a stream records another payload kind than its event's
   *   (nothing was created or changed)
   */
  async register(): Promise<void> {
    await this.#connection.register();
    for (const event of this.#events.values()) this.#kindRecorded.add(event);
    await this.#store.registerBucket();
  }

  /**
   * Creates the schedule `id`, or replaces its spec whole. A paused schedule
   * stays paused; a record this version refuses (a newer version's) is
   * replaced, its pause too. Of concurrent upserts of one id the last one wins, never a
   * mix. The new spec takes effect from its next tick after the workers see
   * it; a tick the old spec fired is not fired again.
   *
   * @param id 1 to 128 letters, digits, `-` or `_`
   * @param options the event, `period` or `cron` (+ `timezone`) or `at`, `value`, bounds, `catchUp`, `meta`
   * @returns the schedule as stored
   * @throws {TypeError} for a bad id, an event not given to `Schedules`, both `period` and `cron`, a bad
   *   cron expression or meta, a value the event cannot encode
   * @throws {RangeError} for a bad period, zone, instant, `catchUp` or `maxTicks`, or a past `at`
   * @throws {WalnatsError} `PAYLOAD_KIND_MISMATCH` when the event's stream records another payload kind than
   *   the event's (a stream of an older version, which records none, is given the event's);
   *   `STREAM_NOT_FOUND` when the event is not registered. Nothing was stored.
   */
  async upsert<S extends Schema>(id: string, options: ScheduleOptions<S>): Promise<ScheduleInfo> {
    const spec = scheduleRecord(id, options, this.#events, this.time.now());
    const { event } = options;
    if (!this.#kindRecorded.has(event)) {
      await this.#connection.recordPayloadKind(event, `Cannot upsert schedule ${describe(id)}`);
      this.#kindRecorded.add(event);
    }
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
   * A schedule whose event's schedules mix payload kinds says so in
   * `mixedKinds`: the store is read twice, first for the kinds of each event.
   *
   * @param options `event`: only the schedules of this event
   */
  async *list(options: { event?: Event } = {}): AsyncIterable<ScheduleInfo> {
    const name = options.event?.name;
    const listed = async function* (store: ScheduleStore) {
      for await (const stored of store.list()) {
        const record = readableRecord(stored.data);
        if (record !== undefined && (name === undefined || record.event === name)) yield { record, stored };
      }
    };
    const kinds = new Map<string, Set<string>>();
    for await (const { record } of listed(this.#store)) {
      kinds.set(record.event, (kinds.get(record.event) ?? new Set()).add(kindOfRecord(record)));
    }
    const mixed = new Map([...kinds].map(([event, eventKinds]) => [event, mixedKinds(eventKinds)]));
    for await (const { record, stored } of listed(this.#store)) {
      const eventMixed = mixed.get(record.event);
      const info = this.#info(record, stored.revision);
      yield eventMixed === undefined ? info : { ...info, mixedKinds: eventMixed };
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
   * The schedule, its state, its next `next` fire instants, the last fire
   * on its ledger, and its `recent` most recent fires as the stream holds
   * them (scheduled, caught up, triggered or backfilled). The recent fires
   * are read from a window of the stream about twice as long as the
   * schedule's last `recent` ticks, widened 16-fold (up to 4 times, then
   * the whole stream) while it holds fewer: the cost is about the fires in
   * the window.
   *
   * @param options `next`: how many fire instants to preview, 0 to 1000, default 5;
   *   `recent`: how many recent fires to show, 0 to 1000, default 10
   * @throws {RangeError} for a bad `next` or `recent`
   * @throws {WalnatsError} `SCHEDULE_NOT_FOUND`
   */
  async describe(id: string, options: { next?: number; recent?: number } = {}): Promise<ScheduleDescription> {
    const where = `Cannot describe schedule ${describe(id)}`;
    checkScheduleId(id, where);
    const { next: count = 5, recent: recentCount = DEFAULT_RECENT } = options;
    checkCount(count, "next", MAX_PREVIEW, where);
    checkCount(recentCount, "recent", MAX_RECENT, where);
    const { record, revision } = await this.#found(id, where);
    const schedule = scheduleOf(record);
    const nowMs = this.time.now();
    const jitterMs = recordJitterMs(record);
    const sendAt = (tick: number) => jitteredInstant(id, tick, jitterMs, schedule.deadline(tick));
    // With jitter, the latest tick's fire goes out after it: until then it is the next fire.
    const latest = jitterMs === 0 ? undefined : schedule.previous(nowMs + 1);
    const fromMs = latest !== undefined && sendAt(latest) > nowMs ? latest - 1 : nowMs;
    const next = ticksAfter(schedule, fromMs, count);
    const over = schedule.next(fromMs) === undefined;
    const state = record.paused ? "paused" : over ? "ended" : "active";
    const stream = this.#events.get(record.event)?.stream ?? streamOf(record.event);
    const last = await this.#store.lastFire({ stream, subject: fireSubject(stream, id) });
    const recent = recentCount === 0 ? [] : await this.#recent(record, stream, nowMs, recentCount, where);
    return {
      schedule: this.#info(record, revision),
      state,
      next: state === "active" ? next.map((tick) => new Date(sendAt(tick))) : [],
      ...(last === undefined ? {} : {
        lastFire: {
          tick: last.tickMs === undefined ? undefined : new Date(last.tickMs),
          seq: last.seq,
          late: last.late,
        },
      }),
      recent: recent.map(recentFire),
    };
  }

  /**
   * Fires the schedule once now: one message of its event whose tick is the
   * instant of the call (the connection's time), with its own id
   * (`Nats-Msg-Id: <event>:<id>:trigger:<tick epoch ms>`), the schedule's
   * payload and meta, on its manual subject
   * `walnats-schedule.<stream>.<id>.manual`. It is stored also when a
   * scheduled fire goes out at the same instant (two messages), and on a
   * paused or ended schedule (an operator's explicit fire); it never
   * changes which ticks the workers fire. Two triggers in the same
   * millisecond are one fire.
   *
   * @returns the fire's tick and stream sequence
   * @throws {WalnatsError} `SCHEDULE_NOT_FOUND`; `STREAM_NOT_FOUND` when the event's stream is not registered
   */
  async trigger(id: string): Promise<TriggeredFire> {
    const where = `Cannot trigger schedule ${describe(id)}`;
    checkScheduleId(id, where);
    const fires = this.#fireLog(where);
    const { record, revision } = await this.#found(id, where);
    const tickMs = this.time.now();
    const message = manualFireMessage(fireTemplate(record, revision), tickMs, { trigger: true });
    const { seq, duplicate } = await traceFire(
      record.event,
      message,
      (traced) => fires.publish(traced, { timeoutMs: MANUAL_TIMEOUT_MS }),
    );
    return { tick: new Date(tickMs), seq, duplicate };
  }

  /**
   * Stores each fire the schedule's spec had from `from` to `to` (both
   * included) that the stream does not hold, once, oldest first, marked
   * late (`Walnats-Late: true`), on its manual subject, each with the id a
   * scheduled fire of its tick has (`<event>:<id>:<tick epoch ms>`), so
   * that the stream's duplicate window drops whichever copy comes second.
   * The ticks are those of its period, cron or `at` within `startAt` and
   * `stopAt`, also before its last upsert (not for a schedule with
   * `maxTicks`, whose ticks count from `startAt` or the upsert). A paused
   * schedule is backfilled too. Calling it again stores nothing more. The
   * fires the stream holds are read from `from` minus 60 s (a worker's
   * clock ahead of the server's); a fire removed by the stream's limits
   * (`age`, `messages`) counts as not held.
   *
   * @param range `from`, `to`: Dates, `from` not after `to`, `to` not after the time of the call;
   *   at most 1000 ticks of the schedule between them
   * @returns the fires stored and the ticks skipped, oldest first
   * @throws {RangeError} for an invalid Date, a reversed range, a `to` in the future, or a range with more
   *   than 1000 ticks (the message gives their number)
   * @throws {WalnatsError} `SCHEDULE_NOT_FOUND`; `STREAM_NOT_FOUND` when the event's stream is not registered
   */
  async backfill(id: string, range: { from: Date; to: Date }): Promise<BackfillResult> {
    const where = `Cannot backfill schedule ${describe(id)}`;
    checkScheduleId(id, where);
    if (typeof range !== "object" || range === null) {
      throw new TypeError(`${where}: 'range' must be an object with 'from' and 'to', got ${describe(range)}`);
    }
    const fromMs = requiredInstant(range.from, "from", where);
    const toMs = requiredInstant(range.to, "to", where);
    if (fromMs > toMs) {
      throw new RangeError(`${where}: 'from' (${iso(fromMs)}) is after 'to' (${iso(toMs)})`);
    }
    const nowMs = this.time.now();
    if (toMs > nowMs) {
      throw new RangeError(`${where}: 'to' must not be after the time of the call (${iso(nowMs)}), got ${iso(toMs)}`);
    }
    const fires = this.#fireLog(where);
    const { record, revision } = await this.#found(id, where);
    const ticks = ticksBetween(specScheduleOf(record), fromMs, toMs, MAX_COUNTED);
    if (ticks.length > MAX_BACKFILL) {
      const count = ticks.length > MAX_COUNTED ? `more than ${MAX_COUNTED}` : String(ticks.length);
      throw new RangeError(
        `${where}: the range holds ${count} ticks of the schedule, more than the ${MAX_BACKFILL} one backfill ` +
          `stores; split it`,
      );
    }
    const held = new Set<number>();
    for await (
      const fire of fires.read({ stream: streamOf(record.event), id }, { sinceMs: fromMs - MAX_CLOCK_SKEW_MS })
    ) {
      if (fire.tickMs !== undefined && kindOf(fire) !== "triggered") held.add(fire.tickMs);
    }
    const template = fireTemplate(record, revision);
    const stored: { tick: Date; seq: number }[] = [];
    const skipped: Date[] = [];
    for (const tickMs of ticks) {
      if (!held.has(tickMs)) {
        const message = manualFireMessage(template, tickMs, { trigger: false });
        const { seq, duplicate } = await traceFire(
          record.event,
          message,
          (traced) => fires.publish(traced, { timeoutMs: MANUAL_TIMEOUT_MS }),
        );
        if (!duplicate) {
          stored.push({ tick: new Date(tickMs), seq });
          continue;
        }
      }
      skipped.push(new Date(tickMs)); // held, or stored meanwhile by a worker or another backfill
    }
    return { stored, skipped };
  }

  /**
   * Runs a worker: fires every schedule of this connection's events (of
   * every event, when `Schedules` was given none) at its ticks until
   * `signal` aborts. Run it in as many processes as you like:
   * each fire is stored once. Changes made by any process apply as the
   * watch brings them (about a millisecond on a local server).
   *
   * The workers split the schedules: each beats every 0.3 s in the
   * fleet's store and fires only those that rendezvous hashing of the id
   * gives it among the live workers (beats within 1.2 s of the newest).
   * A worker that stops leaves at once; the schedules of one that dies are
   * taken over within 2 s, from their next tick (with `catchUp`, the
   * ticks missed meanwhile are caught up). On a `MemoryServer` the workers
   * beat once a minute, see joins and leaves at once, and take a dead
   * worker's schedules over within 6 min 0.2 s (a store's
   * `beatIntervalMs` and `followChanges`).
   *
   * The schedules' bucket deleted while the worker runs stops every fire
   * (`onResource` says so every second) until `register()` makes it again;
   * the fleet's bucket is made again at the next beat.
   *
   * @param options signal, onTick, onChange, onResource, time
   * @returns when `signal` aborts
   * @throws {WalnatsError} when the schedules' bucket cannot be watched at the start (not registered)
   */
  async run(options: SchedulesRunOptions = {}): Promise<void> {
    const { signal, onTick = () => {}, onChange = () => {}, onResource = () => {}, time = this.time } = options;
    const runner = new ScheduleRunner({
      publisher: this.#connection,
      store: this.#store,
      fleet: this.#fleet,
      fires: this.#fires,
      events: this.#events,
      time,
      onTick,
      onChange,
      onResource,
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
   * The connection's disconnects and reconnects, until it closes, for
   * `Metrics.watch()` and health checks: its events connection's; none on
   * the in-memory server.
   */
  async *status(): AsyncIterable<import("../events/connection_status.ts").ConnectionStatus> {
    yield* this.#connection.status?.() ?? [];
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
      // An upsert replaces the spec whole: it writes anew a record this version refuses (a newer version's), and
      // keeps the pause only of one it reads.
      const existing = stored === undefined
        ? undefined
        : action === "upsert"
        ? readableRecord(stored.data)
        : decodeRecord(stored.data);
      const record = change(existing);
      if (stored !== undefined && JSON.stringify(existing) === JSON.stringify(record)) {
        return this.#info(record, stored.revision);
      }
      const revision = await this.#store.write(id, encodeRecord(record), stored?.revision ?? 0);
      if (revision !== undefined) return this.#info(record, revision);
    }
    throw keptChanging(where);
  }

  /** The stored record of `id`. */
  async #found(id: string, where: string): Promise<{ record: ScheduleRecord; revision: number }> {
    const stored = await this.#store.get(id);
    if (stored === undefined) throw scheduleNotFound(where);
    return { record: decodeRecord(stored.data), revision: stored.revision };
  }

  #fireLog(where: string): FireLog {
    if (this.#fires === undefined) {
      throw new TypeError(`${where}: this connection was made without a fire log ('fires')`);
    }
    return this.#fires;
  }

  /**
   * The last `count` fires of the schedule, read from a window about twice
   * as long as its last `count` ticks, widened while it holds fewer.
   */
  async #recent(
    record: ScheduleRecord,
    stream: string,
    nowMs: number,
    count: number,
    where: string,
  ): Promise<StoredFire[]> {
    const fires = this.#fireLog(where);
    const ahead = ticksAfter(specScheduleOf(record), nowMs, count);
    let windowMs = Math.max(RECENT_FIRST_WINDOW_MS, 2 * ((ahead.at(-1) ?? nowMs) - nowMs));
    for (let round = 1;; round++) {
      const sinceMs = round <= RECENT_WINDOWS ? nowMs - windowMs : undefined;
      const last: StoredFire[] = [];
      for await (const fire of fires.read({ stream, id: record.id }, sinceMs === undefined ? {} : { sinceMs })) {
        last.push(fire);
        if (last.length > count) last.shift();
      }
      if (last.length >= count || sinceMs === undefined) return last;
      windowMs *= RECENT_WIDENING;
    }
  }

  #info(record: ScheduleRecord, revision: number): ScheduleInfo {
    const payload = recordPayload(record);
    const event = this.#events.get(record.event);
    const decodable = event !== undefined && (record.kind ?? event.payloadKind) === event.payloadKind;
    const date = (text: string | undefined) => text === undefined ? undefined : new Date(text);
    const optional = {
      period: record.period,
      cron: record.cron,
      timezone: record.timezone,
      dst: record.dst,
      at: date(record.at),
      startAt: date(record.startAt),
      stopAt: date(record.stopAt),
      maxTicks: record.maxTicks,
      jitter: record.jitter,
      pauseOnFailure: record.pauseOnFailure,
      paused: record.paused && { note: record.paused.note, since: new Date(record.paused.since) },
    };
    return {
      id: record.id,
      event: record.event,
      kind: kindOfRecord(record),
      ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
      catchUp: record.catchUp,
      meta: record.meta,
      // A schedule of another kind (stored before kinds were checked) shows its bytes: decoding them would throw.
      value: payload === undefined ? undefined : decodable ? event.decode(payload) : payload,
      updatedAt: new Date(record.updatedAt),
      revision,
    };
  }
}

/** The first `count` ticks of `schedule` after `afterMs`. */
function ticksAfter(schedule: BoundedSchedule, afterMs: number, count: number): number[] {
  const ticks: number[] = [];
  if (count < 1) return ticks;
  for (const tick of schedule.ticks(afterMs)) {
    if (ticks.push(tick) === count) break;
  }
  return ticks;
}

/** The ticks of `schedule` from `fromMs` to `toMs`, both included; at most `limit + 1` of them. */
function ticksBetween(schedule: BoundedSchedule, fromMs: number, toMs: number, limit: number): number[] {
  const ticks: number[] = [];
  for (const tick of schedule.ticks(fromMs - 1)) {
    if (tick > toMs || ticks.push(tick) > limit) break;
  }
  return ticks;
}

/** How a stored fire came to be: from its subject (`.tick` or `.manual`) and `Walnats-Late`. */
function kindOf(fire: StoredFire): FireKind {
  const manual = fire.subject.endsWith(".manual");
  return manual ? (fire.late ? "backfilled" : "triggered") : (fire.late ? "caught-up" : "scheduled");
}

function recentFire(fire: StoredFire): RecentFire {
  return {
    tick: fire.tickMs === undefined ? undefined : new Date(fire.tickMs),
    storedAt: new Date(fire.storedMs),
    lagMs: fire.tickMs === undefined ? undefined : fire.storedMs - fire.tickMs,
    seq: fire.seq,
    kind: kindOf(fire),
  };
}

function checkCount(count: unknown, name: string, max: number, where: string): void {
  if (!(Number.isSafeInteger(count) && (count as number) >= 0 && (count as number) <= max)) {
    throw new RangeError(`${where}: '${name}' must be a whole number from 0 to ${max}, got ${describe(count)}`);
  }
}

function requiredInstant(value: unknown, name: string, where: string): number {
  const ms = instantOf(value, name, where);
  if (ms === undefined) throw new RangeError(`${where}: '${name}' must be a valid Date, got undefined`);
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
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
