/**
 * A schedule's jitter: each fire goes out at its tick plus an offset that
 * every worker computes alike from the schedule's id and the tick, below
 * the schedule's next tick. The fire keeps its tick (`Walnats-Tick`, its
 * id): only when it is sent moves. Pure: no time, no I/O.
 *
 * @module
 */
import { keyHash, mix } from "./_rendezvous.ts";

/**
 * When the fire of `tickMs` goes out: the tick plus an offset in
 * `[0, min(jitterMs, nextTickMs - tickMs))`, from a hash of the schedule's
 * id and the tick (FNV-1a, then murmur3's finaliser so that consecutive
 * ticks land apart). Capped below the next tick, so a fire is never sent
 * at or past it: a cron's short gap (or a one-off's window) shrinks the
 * spread, never moves a fire into the next tick's window.
 *
 * @param id the schedule's id
 * @param tickMs the fire's tick
 * @param jitterMs the schedule's jitter in milliseconds; 0: none
 * @param nextTickMs the schedule's next tick after `tickMs` (the end of the fire's window)
 */
export function jitteredInstant(id: string, tickMs: number, jitterMs: number, nextTickMs: number): number {
  if (jitterMs <= 0) return tickMs;
  return tickMs + mix(keyHash(`${id}:${tickMs}`)) % Math.min(jitterMs, nextTickMs - tickMs);
}
