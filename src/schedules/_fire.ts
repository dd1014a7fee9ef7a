/**
 * A schedule's fire on the wire (docs/wire-format.md): one
 * message of the schedule's event, on the schedule's own subject in the
 * event's stream, whose last message is the schedule's tick ledger.
 */
import { recordPayload, type ScheduleRecord, specScheduleOf } from "./_schedule_record.ts";
import type { BoundedSchedule } from "../core/schedule.ts";
import { type PauseRequest, pauseRequestHeaders } from "../events/_pause_request.ts";
import { SCHEDULES_BUCKET } from "./stores.ts";
import { streamOf } from "../events/event.ts";
import type { TickMessage } from "../events/publisher.ts";
import { formatInstant } from "../events/serializer.ts";
import { CLOCK_HEADER, LATE_HEADER, neighbourHeaders, SCHEDULE_HEADER, TICK_HEADER } from "../events/_headers.ts";

/** The first token of every schedule's subject. */
const FIRE_PREFIX = "walnats-schedule";
/**
 * How much earlier than its tick a fire may have been stored, by a worker whose clock runs ahead of the
 * server's: reads of a schedule's fires "since an instant" start this long before it (`backfill()` from
 * `from`, a catch-up from the last scheduled fire).
 */
export const MAX_CLOCK_SKEW_MS = 60_000;

/**
 * The subject of a schedule's scheduled fires: `walnats-schedule.<stream>.<id>.tick`.
 * Its last message is the schedule's tick ledger; manual fires (trigger, backfill) go to
 * another subject of the schedule, so that they never become the ledger.
 */
export function fireSubject(stream: string, id: string): string {
  return `${FIRE_PREFIX}.${stream}.${id}.tick`;
}

/** The subject of a schedule's manual fires (trigger, backfill): `walnats-schedule.<stream>.<id>.manual`, never its ledger. */
export function manualFireSubject(stream: string, id: string): string {
  return `${FIRE_PREFIX}.${stream}.${id}.manual`;
}

/** The subjects of one schedule's fires, scheduled and manual: `walnats-schedule.<stream>.<id>.*`. */
export function scheduleFireSubjects(stream: string, id: string): string {
  return `${FIRE_PREFIX}.${stream}.${id}.*`;
}

/** The subjects of the fires of every schedule of an event: the event's stream stores them beside the event's own. */
export function fireSubjects(stream: string): string {
  return `${FIRE_PREFIX}.${stream}.>`;
}

/** The id of a fire, the same on every worker: `<event>:<schedule id>:<tick epoch ms>`, its `Nats-Msg-Id`. */
export function fireId(event: string, id: string, tickMs: number): string {
  return `${event}:${id}:${tickMs}`;
}

/** What every fire of one schedule shares. */
export interface FireTemplate {
  /** The schedule's id. */
  readonly id: string;
  /** The event's name. */
  readonly event: string;
  /** The event's stream. */
  readonly stream: string;
  /** The payload of every fire; `undefined`: the tick instant, for a `Date` event. */
  readonly payload: ((tickMs: number) => Uint8Array) | Uint8Array;
  /** The schedule's meta headers. */
  readonly meta: Readonly<Record<string, string>>;
  /**
   * Every tick of the schedule's spec, also before its last upsert: each fire carries its neighbours on it
   * (`Walnats-Previous-Tick`, `Walnats-Next-Tick`). Without it, a fire carries neither.
   */
  readonly schedule?: BoundedSchedule;
  /** Where the record that fired is, for a schedule with `pauseOnFailure` (`Walnats-Pause-On-Failure`). */
  readonly pause?: PauseRequest;
}

const encoder = new TextEncoder();

/**
 * What every fire of a stored schedule shares: its payload is the record's, or the tick's instant for a `Date`
 * event; with `pauseOnFailure`, the request to pause the record at `revision`, the store's revision of it.
 */
export function fireTemplate(record: ScheduleRecord, revision: number): FireTemplate {
  return {
    id: record.id,
    event: record.event,
    stream: streamOf(record.event),
    payload: recordPayload(record) ?? ((tickMs: number) => encoder.encode(formatInstant(tickMs))),
    meta: record.meta,
    schedule: specScheduleOf(record),
    ...(record.pauseOnFailure ? { pause: { bucket: SCHEDULES_BUCKET, key: record.id, revision } } : {}),
  };
}

/**
 * The message of one fire: its subject, id, payload and headers
 * (`Walnats-Schedule`, `Walnats-Tick`, `Walnats-Clock` naming the worker run
 * that stored it, `Walnats-Late` for a fire caught up late, and the meta).
 */
export function fireMessage(fire: FireTemplate, tickMs: number, workerId: string, late: boolean): TickMessage {
  return messageOf(fire, tickMs, {
    subject: fireSubject(fire.stream, fire.id),
    msgId: fireId(fire.event, fire.id, tickMs),
    headers: { [CLOCK_HEADER]: workerId, ...(late ? { [LATE_HEADER]: "true" } : {}) },
  });
}

/** The id of a triggered fire: `<event>:<schedule id>:trigger:<tick epoch ms>`, never a scheduled fire's. */
export function triggerId(event: string, id: string, tickMs: number): string {
  return `${event}:${id}:trigger:${tickMs}`;
}

/**
 * The message of a manual fire, on the schedule's manual subject (never its
 * ledger), with no `Walnats-Clock`: a trigger's (its own id, on time) or a
 * backfilled one's (the id a scheduled fire of the tick has, so that the
 * stream's duplicate window drops either copy; `Walnats-Late: true`).
 */
export function manualFireMessage(fire: FireTemplate, tickMs: number, { trigger }: { trigger: boolean }): TickMessage {
  return messageOf(fire, tickMs, {
    subject: manualFireSubject(fire.stream, fire.id),
    msgId: trigger ? triggerId(fire.event, fire.id, tickMs) : fireId(fire.event, fire.id, tickMs),
    headers: trigger ? {} : { [LATE_HEADER]: "true" },
  });
}

function messageOf(
  fire: FireTemplate,
  tickMs: number,
  { subject, msgId, headers }: { subject: string; msgId: string; headers: Readonly<Record<string, string>> },
): TickMessage {
  return {
    subject,
    stream: fire.stream,
    tickMs,
    msgId,
    payload: typeof fire.payload === "function" ? fire.payload(tickMs) : fire.payload,
    headers: {
      ...fire.meta,
      [SCHEDULE_HEADER]: fire.id,
      [TICK_HEADER]: String(tickMs),
      ...(fire.schedule === undefined ? {} : neighbourHeaders(fire.schedule, tickMs)),
      ...(fire.pause === undefined ? {} : pauseRequestHeaders(fire.pause)),
      ...headers,
    },
  };
}
