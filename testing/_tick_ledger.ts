import type { PublishResult, TickMessage } from "../src/publisher.ts";
import { CLOCK_HEADER } from "../src/tick.ts";

/** The last tick stored on a subject, as the tick ledger sees it. */
export interface LedgerEntry {
  /** Its stream sequence. */
  readonly seq: number;
  /** Its scheduled instant, epoch ms (NaN when the message is not a tick). */
  readonly tickMs: number;
  /** The `Walnats-Clock` header of the clock run that stored it. */
  readonly clock: string | undefined;
}

/**
 * The ledger's answer to a tick when the subject's last message is that
 * tick or a later one: a duplicate, or (same tick, same clock run) the
 * stored answer of an earlier attempt. `undefined` when the tick may be stored.
 */
export function coveredTick(last: LedgerEntry | undefined, message: TickMessage): PublishResult | undefined {
  if (last === undefined || !(last.tickMs >= message.tickMs)) return undefined;
  const same = last.tickMs === message.tickMs;
  const clock = message.headers[CLOCK_HEADER];
  const ours = same && clock !== undefined && last.clock === clock;
  return { seq: same ? last.seq : 0, duplicate: !ours };
}
