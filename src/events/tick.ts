import type { Event } from "./event.ts";
import type { TickMessage } from "./publisher.ts";
import { type BoundedSchedule, tickId } from "../core/schedule.ts";
import { CLOCK_HEADER, LATE_HEADER, neighbourHeaders, TICK_HEADER } from "./_headers.ts";

/**
 * Builds the message of one tick, as docs/wire-format.md says; with the clock's `schedule`, it
 * carries the ticks before and after it (`Walnats-Previous-Tick`, `Walnats-Next-Tick`).
 */
export function tickMessage(
  event: Event<DateConstructor>,
  tickMs: number,
  clockId: string,
  meta: Readonly<Record<string, string>>,
  late = false,
  schedule?: BoundedSchedule,
): TickMessage {
  return {
    subject: event.subject,
    stream: event.stream,
    tickMs,
    msgId: tickId(event.name, tickMs),
    payload: event.encode(new Date(tickMs)),
    headers: {
      ...meta,
      [TICK_HEADER]: String(tickMs),
      ...(schedule === undefined ? {} : neighbourHeaders(schedule, tickMs)),
      [CLOCK_HEADER]: clockId,
      ...(late ? { [LATE_HEADER]: "true" } : {}),
    },
  };
}
