import type { Publisher, PublishResult, TickMessage } from "../src/publisher.ts";
import { CLOCK_HEADER } from "../src/tick.ts";
import { coveredTick } from "./_tick_ledger.ts";

/**
 * An in-memory stand-in for the event streams of a NATS server, with the
 * same tick ledger: a tick is stored once, and never when a later tick of
 * the same event is already stored.
 *
 * @example Two clocks, one stream, each tick once
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryPublisher } from "@walnats/clock/testing";
 *
 * const stream = new MemoryPublisher();
 * const tick = {
 *   subject: "minute-passed", stream: "minute-passed", tickMs: 60_000,
 *   msgId: "minute-passed:60000", payload: new Uint8Array(), headers: {},
 * };
 * await stream.publishTick(tick);
 * const again = await stream.publishTick(tick);
 * assert.ok(again.duplicate);
 * assert.equal(stream.messages.length, 1);
 * ```
 */
export class MemoryPublisher implements Publisher {
  /** Every stored tick, oldest first. */
  readonly messages: TickMessage[] = [];
  /** The stored ticks of each stream, oldest first. */
  readonly #streams = new Map<string, TickMessage[]>();

  /**
   * Stores the tick unless this event already has it or a later tick. Like
   * the NATS connection, it answers `duplicate: false` when the stored tick
   * came from the same clock run (an earlier attempt whose answer was lost),
   * and numbers messages per stream.
   */
  publishTick(message: TickMessage): Promise<PublishResult> {
    const stream = this.#streams.get(message.stream) ?? [];
    this.#streams.set(message.stream, stream);
    const index = stream.findLastIndex((stored) => stored.subject === message.subject);
    const last = stream[index];
    const entry = last && { seq: index + 1, tickMs: last.tickMs, clock: last.headers[CLOCK_HEADER] };
    const covered = coveredTick(entry, message);
    if (covered) return Promise.resolve(covered);
    stream.push(message);
    this.messages.push(message);
    return Promise.resolve({ seq: stream.length, duplicate: false });
  }

  /** The scheduled instant of the last tick stored on the subject, if any. */
  lastTick(target: { subject: string; stream: string }): Promise<number | undefined> {
    const last = this.#streams.get(target.stream)?.findLast((stored) => stored.subject === target.subject);
    return Promise.resolve(last?.tickMs);
  }
}
