/**
 * A schedule's fire on the wire (README, "The tick on the wire"): one
 * message of the schedule's event, on the schedule's own subject in the
 * event's stream, whose last message is the schedule's tick ledger.
 */
import type { TickMessage } from "./publisher.ts";
import { CLOCK_HEADER, LATE_HEADER, TICK_HEADER } from "./tick.ts";

/** The first token of every schedule's subject. */
const FIRE_PREFIX = "walnats-schedule";
/** The header naming the schedule a fire belongs to. */
export const SCHEDULE_HEADER = "Walnats-Schedule";

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
}

/**
 * The message of one fire: its subject, id, payload and headers
 * (`Walnats-Schedule`, `Walnats-Tick`, `Walnats-Clock` naming the worker run
 * that stored it, `Walnats-Late` for a fire caught up late, and the meta).
 */
export function fireMessage(fire: FireTemplate, tickMs: number, workerId: string, late: boolean): TickMessage {
  return {
    subject: fireSubject(fire.stream, fire.id),
    stream: fire.stream,
    tickMs,
    msgId: fireId(fire.event, fire.id, tickMs),
    payload: typeof fire.payload === "function" ? fire.payload(tickMs) : fire.payload,
    headers: {
      ...fire.meta,
      [SCHEDULE_HEADER]: fire.id,
      [TICK_HEADER]: String(tickMs),
      [CLOCK_HEADER]: workerId,
      ...(late ? { [LATE_HEADER]: "true" } : {}),
    },
  };
}
