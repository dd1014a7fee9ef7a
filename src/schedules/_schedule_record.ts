/**
 * A schedule as data: the record kept in the schedules' bucket (JSON, this
 * module's format), made from the options of an upsert after checking
 * them, and read back into the schedule of its ticks. Pure: the time of
 * the call is an argument.
 */
import { describe } from "../_describe.ts";
import { validateMeta } from "../events/_headers.ts";
import { instantOf, wholeMs } from "../core/_units.ts";
import { CronSchedule } from "../core/cron_schedule.ts";
import { checkDst, type DstPolicy } from "../core/dst_policy.ts";
import { Event } from "../events/event.ts";
import { messageOf } from "../errors.ts";
import { BoundedSchedule, PeriodSchedule, type Schedule } from "../core/schedule.ts";
import type { ScheduleOptions } from "./schedule_types.ts";

/** A schedule's id: 1 to 128 letters, digits, `-` or `_` (it is a token of a NATS subject and a KV key). */
const ID_RULE = /^[A-Za-z0-9_-]{1,128}$/;
/** The most ticks `maxTicks` may count for a cron schedule (its last tick is found by walking them). */
const MAX_CRON_TICKS = 10_000;
/** How long a one-off fire (`at`) is tried after its instant before it is given up, in milliseconds. */
export const ONE_OFF_WINDOW_MS = 60_000;
/**
 * The record format's versions: 1, the format without policies (every record written before policies, and
 * every record without one still: older workers keep firing it); 2, a record that uses a policy
 * ({@link POLICY_FIELDS}), which a worker of version 1 refuses rather than fire it without its policy.
 */
const PLAIN_VERSION = 1;
/** The newest record version this code reads; a record of a later one is refused ({@link decodeRecord}). */
export const RECORD_VERSION = 2;
/** The fields that make a record version 2: a worker that does not know them must not fire the schedule. */
const POLICY_FIELDS = ["jitter", "dst", "pauseOnFailure"] as const;
/** Every field a record of a known version may have: a record with another one is refused. */
const RECORD_FIELDS: ReadonlySet<string> = new Set([
  "v",
  "id",
  "event",
  "kind",
  "period",
  "cron",
  "timezone",
  "at",
  "startAt",
  "stopAt",
  "maxTicks",
  "lastTickAt",
  "catchUp",
  "meta",
  "payload",
  "updatedAt",
  "paused",
  ...POLICY_FIELDS,
]);
/**
 * How many distinct specs, payloads and metas the records read in this
 * process share at the most: past that, the shared ones are forgotten and
 * sharing starts over (a worker of many distinct ones holds each once per
 * schedule, as it would without sharing).
 */
const MAX_SHARED = 1_000;

/** The record of one schedule, as stored (instants as ISO 8601 text). */
export interface ScheduleRecord {
  /** The format's version: 1 without policies (absent in a record read as such), 2 with one. */
  readonly v: number;
  readonly id: string;
  readonly event: string;
  /** The event's payload kind at the upsert; absent in the records of versions before kinds were recorded. */
  readonly kind?: string;
  readonly period?: number;
  readonly cron?: string;
  readonly timezone?: string;
  /** The cron's DST policy, the fields given (a policy: the record is version 2); absent: classic cron's rules. */
  readonly dst?: DstPolicy;
  readonly at?: string;
  readonly startAt?: string;
  readonly stopAt?: string;
  readonly maxTicks?: number;
  /** The instant of the last tick `maxTicks` allows. */
  readonly lastTickAt?: string;
  /** Seconds each fire may go out after its tick (a policy: the record is version 2); absent: none. */
  readonly jitter?: number;
  /** `true`: an actor that gives up a fire pauses the schedule (a policy: the record is version 2); absent: false. */
  readonly pauseOnFailure?: true;
  readonly catchUp: number;
  readonly meta: Readonly<Record<string, string>>;
  /** The payload of every fire, base64; absent for a `Date` event (the payload is the tick). */
  readonly payload?: string;
  /** When the spec was last written by an upsert: the schedule's ticks begin after it. */
  readonly updatedAt: string;
  /** Set while paused. */
  readonly paused?: { readonly note: string; readonly since: string };
}

/**
 * Checks a schedule's id.
 *
 * @throws {TypeError} when it is not 1 to 128 letters, digits, `-` or `_`
 */
export function checkScheduleId(id: unknown, where: string): asserts id is string {
  if (typeof id !== "string" || !ID_RULE.test(id)) {
    throw new TypeError(`${where}: 'id' must be 1 to 128 letters, digits, '-' or '_', got ${describe(id)}`);
  }
}

/**
 * The record of an upsert: the options checked, the payload encoded, the
 * last tick of `maxTicks` found. Nothing is stored here.
 *
 * @param events the events the caller may schedule, by name
 * @param nowMs the time of the call: `updatedAt`, and the start of `maxTicks`
 * @throws {TypeError} for an unknown event, a bad id, cron or meta, both `period` and `cron`, a value the
 *   event cannot encode (or any value for a `Date` event)
 * @throws {RangeError} for a bad period, zone, instant, `catchUp` or `maxTicks`, `stopAt` before `startAt`,
 *   an `at` in the past
 */
export function scheduleRecord(
  id: string,
  options: ScheduleOptions,
  events: ReadonlyMap<string, Event>,
  nowMs: number,
): ScheduleRecord {
  const where = `Cannot upsert schedule ${describe(id)}`;
  checkScheduleId(id, where);
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${where}: 'options' must be an object, got ${describe(options)}`);
  }
  const { event, period, cron, timezone, at, catchUp = 0, maxTicks } = options;
  if (!(event instanceof Event) || events.get(event.name) !== event) {
    throw new TypeError(
      `${where}: 'event' must be one of the events given to Schedules (${[...events.keys()].join(", ")}), got ${
        event instanceof Event ? `event '${event.name}'` : describe(event)
      }`,
    );
  }
  const kinds = [period, cron, at].filter((given) => given !== undefined).length;
  if (kinds !== 1) {
    throw new TypeError(`${where}: give exactly one of 'period', 'cron' and 'at', got ${kinds}`);
  }
  if (timezone !== undefined && cron === undefined) {
    throw new TypeError(`${where}: 'timezone' goes with 'cron', got timezone ${describe(timezone)} alone`);
  }
  if (period !== undefined && wholeMs(period) === undefined) {
    throw new RangeError(
      `${where}: 'period' must be a positive number of seconds in whole milliseconds, got ${describe(period)}`,
    );
  }
  if (options.dst !== undefined && cron === undefined) {
    throw new RangeError(`${where}: 'dst' goes with 'cron', got dst ${describe(options.dst)} without one`);
  }
  const dst = cron === undefined ? undefined : new CronSchedule(cron, timezone, where, options.dst).dst;
  const atMs = instantOf(at, "at", where);
  if (atMs !== undefined && atMs <= nowMs) {
    throw new RangeError(`${where}: 'at' must be after the time of the call, got ${describe(at)}`);
  }
  const startMs = instantOf(options.startAt, "startAt", where);
  const stopMs = instantOf(options.stopAt, "stopAt", where);
  if (startMs !== undefined && stopMs !== undefined && stopMs < startMs) {
    throw new RangeError(
      `${where}: 'stopAt' (${describe(options.stopAt)}) is before 'startAt' (${describe(options.startAt)})`,
    );
  }
  if (!(Number.isSafeInteger(catchUp) && catchUp >= 0)) {
    throw new RangeError(`${where}: 'catchUp' must be a whole number >= 0, got ${describe(catchUp)}`);
  }
  if (maxTicks !== undefined && !(Number.isSafeInteger(maxTicks) && maxTicks >= 1)) {
    throw new RangeError(`${where}: 'maxTicks' must be a whole number >= 1, got ${describe(maxTicks)}`);
  }
  if (maxTicks !== undefined && cron !== undefined && maxTicks > MAX_CRON_TICKS) {
    throw new RangeError(`${where}: 'maxTicks' of a cron schedule must be at most ${MAX_CRON_TICKS}, got ${maxTicks}`);
  }
  const jitter = checkJitter(options.jitter, period, atMs, where);
  const { pauseOnFailure = false } = options;
  if (typeof pauseOnFailure !== "boolean") {
    throw new TypeError(`${where}: 'pauseOnFailure' must be a boolean, got ${describe(pauseOnFailure)}`);
  }
  const meta = validateMeta(options.meta, where);
  const payload = payloadOf(event, options, where);
  const spec: ScheduleRecord = {
    v: PLAIN_VERSION,
    id,
    event: event.name,
    kind: event.payloadKind,
    ...(period === undefined ? {} : { period }),
    ...(cron === undefined ? {} : { cron, timezone: timezone ?? "UTC" }),
    ...(dst === undefined ? {} : { dst }),
    ...(atMs === undefined ? {} : { at: iso(atMs) }),
    ...(startMs === undefined ? {} : { startAt: iso(startMs) }),
    ...(stopMs === undefined ? {} : { stopAt: iso(stopMs) }),
    ...(maxTicks === undefined ? {} : { maxTicks }),
    ...(jitter === 0 ? {} : { jitter }),
    ...(pauseOnFailure ? { pauseOnFailure } : {}),
    catchUp,
    meta,
    ...(payload === undefined ? {} : { payload: toBase64(payload) }),
    updatedAt: iso(nowMs),
  };
  if (maxTicks === undefined) return versioned(spec);
  const last = lastTick(scheduleOf(spec), maxTicks, period === undefined ? undefined : wholeMs(period));
  return versioned(last === undefined ? spec : { ...spec, lastTickAt: iso(last) });
}

/**
 * The `jitter` of an upsert, 0 for none: seconds >= 0 in whole milliseconds, below the period (a periodic
 * schedule) or below the window of a one-off (`at`). A cron's is not bounded here: each fire's offset is capped
 * below the gap to its next tick.
 */
function checkJitter(jitter: unknown, period: number | undefined, atMs: number | undefined, where: string): number {
  if (jitter === undefined || jitter === 0) return 0;
  const jitterMs = wholeMs(jitter);
  if (jitterMs === undefined) {
    throw new RangeError(
      `${where}: 'jitter' must be a number of seconds >= 0 in whole milliseconds, got ${describe(jitter)}`,
    );
  }
  if (period !== undefined && jitterMs >= (wholeMs(period) ?? 0)) {
    throw new RangeError(`${where}: 'jitter' must be below 'period' (${period} s), got ${describe(jitter)}`);
  }
  if (atMs !== undefined && jitterMs >= ONE_OFF_WINDOW_MS) {
    throw new RangeError(
      `${where}: 'jitter' of a one-off ('at') schedule must be below its ${ONE_OFF_WINDOW_MS / 1000} s window, ` +
        `got ${describe(jitter)}`,
    );
  }
  return jitter as number;
}

/** The record with the version its fields need: 2 when it uses a policy, else as it is (1). */
function versioned(record: ScheduleRecord): ScheduleRecord {
  return POLICY_FIELDS.some((field) => Object.hasOwn(record, field)) ? { ...record, v: RECORD_VERSION } : record;
}

/** The ticks of a record: its schedule, from its `startAt` or its upsert, to its `stopAt` or last tick. */
export function scheduleOf(record: ScheduleRecord): BoundedSchedule {
  // Ticks strictly after the upsert: the worker that sees it first plans the next tick after "now".
  return boundedOf(record, Date.parse(record.updatedAt) + 1);
}

/**
 * Every tick the record's spec has, also those before its upsert (for a
 * backfill): from its `startAt` to its `stopAt`. A schedule with `maxTicks`
 * counts its ticks from `startAt` or from the upsert, so it has none before.
 */
export function specScheduleOf(record: ScheduleRecord): BoundedSchedule {
  return record.maxTicks === undefined ? boundedOf(record, -Infinity) : scheduleOf(record);
}

function boundedOf(record: ScheduleRecord, fromMs: number): BoundedSchedule {
  const startMs = Math.max(fromMs, record.startAt === undefined ? -Infinity : Date.parse(record.startAt));
  const stops = [record.stopAt, record.lastTickAt, record.at].filter((at) => at !== undefined).map(Date.parse);
  const stopMs = Math.min(Infinity, ...stops);
  return new BoundedSchedule(baseSchedule(record), startMs, stopMs);
}

/**
 * The record's payload bytes; `undefined` for a `Date` event's (the tick).
 * Records with the same payload share the bytes: never change them in place.
 */
export function recordPayload(record: ScheduleRecord): Uint8Array | undefined {
  const { payload } = record;
  return payload === undefined ? undefined : sharedPayloads.of(payload, () => fromBase64(payload));
}

/** What an older record, which names no payload kind, carries as one when it has a payload: some kind but `date`. */
export const UNRECORDED_VALUE_KIND = "value";

/**
 * The payload kind of a record's fires: the one it names, else (a record of an older version) `date` when it
 * has no payload (the fire carries its tick) and {@link UNRECORDED_VALUE_KIND} when it has one.
 */
export function kindOfRecord(record: ScheduleRecord): string {
  return record.kind ?? (record.payload === undefined ? "date" : UNRECORDED_VALUE_KIND);
}

/**
 * The kinds of one event's schedules when they mix: two of them differ, where
 * {@link UNRECORDED_VALUE_KIND} agrees with every kind but `date` (and is left
 * out beside one). Sorted; `undefined` when they agree.
 */
export function mixedKinds(kinds: ReadonlySet<string>): string[] | undefined {
  const known = [...kinds].filter((kind) => kind !== UNRECORDED_VALUE_KIND);
  const all = known.length > 0 && !known.includes("date") ? known : [...kinds];
  return all.length > 1 ? all.sort() : undefined;
}

/** The record's jitter in milliseconds; 0 for none. */
export function recordJitterMs(record: ScheduleRecord): number {
  return record.jitter === undefined ? 0 : wholeMs(record.jitter) ?? 0;
}

/** The record as stored: JSON as UTF-8. */
export function encodeRecord(record: ScheduleRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

/**
 * Reads a stored record: one of a version up to {@link RECORD_VERSION} (`v` absent reads as 1) with only the
 * fields this code knows. A record of a later version, or with a field it does not know (a policy of a newer
 * version), is refused: firing it without its policy would do what its writer did not ask for.
 *
 * @throws {TypeError} when the bytes are not JSON, not a schedule record, of a later version, or have a field
 *   this version does not know; the message says which
 * @throws {RangeError} when its `dst` names a choice this version does not know
 */
export function decodeRecord(data: Uint8Array): ScheduleRecord {
  let record: unknown;
  try {
    record = JSON.parse(new TextDecoder().decode(data));
  } catch (cause) {
    throw new TypeError(`Cannot read a schedule: not JSON (${messageOf(cause)})`, { cause });
  }
  const candidate = record as Partial<ScheduleRecord> | null;
  if (typeof candidate?.id !== "string" || typeof candidate.event !== "string") {
    throw new TypeError(`Cannot read a schedule: not a schedule record, got ${describe(record)}`);
  }
  const where = `Cannot read schedule ${describe(candidate.id)}`;
  const { v = PLAIN_VERSION } = candidate;
  if (!(Number.isSafeInteger(v) && v >= PLAIN_VERSION)) {
    throw new TypeError(`${where}: 'v' must be a whole number >= 1, got ${describe(v)}`);
  }
  if (v > RECORD_VERSION) {
    throw new TypeError(
      `${where}: its record is version ${v}, written by a newer version of @walnats/clock; this one reads ` +
        `versions up to ${RECORD_VERSION}`,
    );
  }
  const unknown = Object.keys(candidate).filter((field) => !RECORD_FIELDS.has(field));
  if (unknown.length > 0) {
    throw new TypeError(
      `${where}: its record has ${unknown.length === 1 ? "a field" : "fields"} this version of @walnats/clock ` +
        `does not know (${unknown.map((field) => `'${field}'`).join(", ")}), got ${describe(record)}`,
    );
  }
  checkDst(candidate.dst, where);
  if (candidate.jitter !== undefined && wholeMs(candidate.jitter) === undefined) {
    throw new TypeError(
      `${where}: its 'jitter' must be a positive number of seconds, got ${describe(candidate.jitter)}`,
    );
  }
  // Records of the same event and meta share one string and one object: a worker holds many of them.
  const { event } = candidate;
  return {
    ...candidate,
    event: sharedEvents.of(event, () => event),
    meta: sharedMeta(candidate.meta),
  } as ScheduleRecord;
}

/**
 * Values shared by key among the records this process reads, at most
 * {@link MAX_SHARED} of them: what many schedules have alike (a spec, a
 * payload, a meta) is held once.
 */
class Shared<T> {
  readonly #values = new Map<string, T>();

  /** The value shared under `key`, made by `make` when there is none yet. */
  of(key: string, make: () => T): T {
    let value = this.#values.get(key);
    if (value === undefined) {
      if (this.#values.size >= MAX_SHARED) this.#values.clear();
      value = make();
      this.#values.set(key, value);
    }
    return value;
  }
}

/** Unbounded schedules by spec: a cron one parses its expression (croner's tables take tens of kilobytes). */
const sharedSchedules = new Shared<Schedule>();
/** Payload bytes by their base64 text: shared, so never changed in place. */
const sharedPayloads = new Shared<Uint8Array>();
const sharedMetas = new Shared<Readonly<Record<string, string>>>();
const sharedEvents = new Shared<string>();

function sharedMeta(meta: unknown): Readonly<Record<string, string>> {
  if (typeof meta !== "object" || meta === null) return meta as Readonly<Record<string, string>>;
  return sharedMetas.of(JSON.stringify(meta), () => Object.freeze(meta as Record<string, string>));
}

/**
 * A stored record this version can read; `undefined` for one it cannot
 * (written by a newer version or by something else: left to those that read it).
 */
export function readableRecord(data: Uint8Array): ScheduleRecord | undefined {
  const read = readRecord(data);
  return "record" in read ? read.record : undefined;
}

/** A stored record this version can read, or why it cannot ({@link decodeRecord}'s message). */
export function readRecord(data: Uint8Array): { record: ScheduleRecord } | { refused: string } {
  try {
    return { record: decodeRecord(data) };
  } catch (error) {
    return { refused: messageOf(error) };
  }
}

/** The schedule of a record without its bounds; records of one spec share it (it holds no state). */
function baseSchedule(record: ScheduleRecord): Schedule {
  const { cron, timezone, period } = record;
  if (cron !== undefined) {
    const { dst } = record;
    return sharedSchedules.of(
      `cron ${timezone} ${JSON.stringify(dst ?? {})} ${cron}`,
      () => new CronSchedule(cron, timezone, undefined, dst),
    );
  }
  if (period !== undefined) {
    return sharedSchedules.of(`period ${period}`, () => new PeriodSchedule(wholeMs(period) ?? NaN));
  }
  return new OneOffSchedule(Date.parse(record.at ?? ""));
}

/**
 * One tick at `atMs`. Its "next tick" after that instant is one
 * {@link ONE_OFF_WINDOW_MS} later: the bounds leave it out (the schedule
 * stops at `atMs`), and a fire is tried until then.
 */
class OneOffSchedule implements Schedule {
  readonly #atMs: number;

  constructor(atMs: number) {
    this.#atMs = atMs;
  }

  next(afterMs: number): number {
    return afterMs < this.#atMs ? this.#atMs : Math.max(afterMs, this.#atMs) + ONE_OFF_WINDOW_MS;
  }

  /** Its one tick when `beforeMs` is after it: the window's end is no tick (the bounds leave it out). */
  previous(beforeMs: number): number | undefined {
    return beforeMs > this.#atMs ? this.#atMs : undefined;
  }
}

/**
 * The `count`-th tick of a schedule; `undefined` when it has fewer. A
 * periodic one is counted in one step, a cron one tick by tick.
 */
function lastTick(schedule: BoundedSchedule, count: number, periodMs: number | undefined): number | undefined {
  const first = schedule.next(-Infinity);
  if (first !== undefined && periodMs !== undefined) {
    const last = first + (count - 1) * periodMs;
    return schedule.next(last - 1) === last ? last : undefined;
  }
  let n = 0;
  for (const counted of schedule.ticks(-Infinity)) {
    if (++n === count) return counted;
  }
  return undefined;
}

/** The payload of every fire, encoded by the event; none for a `Date` event. */
function payloadOf(event: Event, options: ScheduleOptions, where: string): Uint8Array | undefined {
  const given = Object.hasOwn(options, "value") && options.value !== undefined;
  if (event.schema === Date) {
    if (given) throw new TypeError(`${where}: a '${event.name}' fire carries its instant: give no 'value'`);
    return undefined;
  }
  try {
    return event.encode(options.value as never);
  } catch (cause) {
    throw new TypeError(
      `${where}: 'value' does not fit the schema of event '${event.name}', got ${describe(options.value)} (${
        messageOf(cause)
      })`,
      { cause },
    );
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}
