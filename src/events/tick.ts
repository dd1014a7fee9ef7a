import type { Event } from "./event.ts";
import type { TickMessage } from "./publisher.ts";
import { tickId } from "../core/schedule.ts";

/** The header that carries a tick's scheduled instant in epoch milliseconds. */
export const TICK_HEADER = "Walnats-Tick";
/** The header that names the clock run that stored a tick. */
export const CLOCK_HEADER = "Walnats-Clock";
/** The header, `true`, of a tick emitted late, when a clock caught up after an outage. */
export const LATE_HEADER = "Walnats-Late";

/** Builds the message of one tick, as DESIGN.md's wire format says. */
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
