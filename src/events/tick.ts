import type { Event } from "./event.ts";
import type { TickMessage } from "./publisher.ts";
import { tickId } from "../core/schedule.ts";
import { CLOCK_HEADER, LATE_HEADER, TICK_HEADER } from "./_headers.ts";

/** Builds the message of one tick, as README's "The tick on the wire" says. */
export function tickMessage(
  event: Event<DateConstructor>,
  tickMs: number,
  clockId: string,
  meta: Readonly<Record<string, string>>,
  late = false,
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
      [CLOCK_HEADER]: clockId,
      ...(late ? { [LATE_HEADER]: "true" } : {}),
    },
  };
}
