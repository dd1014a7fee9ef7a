/**
 * The tick ledger's rule, one for every backend: the last message stored on
 * an event's subject says which ticks are out. A tick at or before that
 * message's tick is not stored again.
 */
import type { PublishResult, TickMessage } from "./publisher.ts";
import { CLOCK_HEADER, TICK_HEADER } from "./_headers.ts";

/** The last message stored on a subject, as the tick ledger reads it. */
export interface LedgerEntry {
  /** Its stream sequence; 0 when the subject is empty. */
  readonly seq: number;
  /** Its scheduled instant, epoch ms; NaN when the subject is empty or the message is not a tick. */
  readonly tickMs: number;
  /** The `Walnats-Clock` header of the clock run that stored it; `undefined` when it has none. */
  readonly clock: string | undefined;
}

/** The ledger of a subject with no message. */
export const EMPTY_LEDGER: LedgerEntry = { seq: 0, tickMs: NaN, clock: undefined };

/**
 * Reads a stored message as a ledger entry. A missing header and an empty
 * one are alike (nats.js returns `""` for a missing header).
 *
 * @param seq the message's stream sequence
 * @param header the value of one of its headers: a string, `""` or `undefined` when missing
 */
export function ledgerEntry(seq: number, header: (name: string) => string | undefined): LedgerEntry {
  const tick = header(TICK_HEADER);
  return { seq, tickMs: tick ? Number(tick) : NaN, clock: header(CLOCK_HEADER) || undefined };
}

/** The tick the ledger holds: `undefined` when the subject is empty or its last message is not a tick. */
export function ledgerTick(last: LedgerEntry): number | undefined {
  return Number.isNaN(last.tickMs) ? undefined : last.tickMs;
}

/**
 * The ledger's answer to a tick when the subject's last message is that
 * tick or a later one: a duplicate, or, for the same tick from the same
 * clock run (an earlier attempt whose answer was lost), the stored answer.
 * `undefined` when the tick may be stored.
 */
export function coveredTick(last: LedgerEntry, message: TickMessage): PublishResult | undefined {
  if (!(last.tickMs >= message.tickMs)) return undefined;
  const same = last.tickMs === message.tickMs;
  const clock = message.headers[CLOCK_HEADER];
  const ours = same && clock !== undefined && last.clock === clock;
  return { seq: same ? last.seq : 0, duplicate: !ours };
}
