import type { Publisher, PublishResult, TickMessage } from "../src/events/publisher.ts";
import { coveredTick, EMPTY_LEDGER, type LedgerEntry, ledgerEntry, ledgerTick } from "../src/events/_tick_ledger.ts";

/**
 * An in-memory stand-in for the event streams of a NATS server, with the
 * same tick ledger: a tick is stored once, and never when a later tick of
 * the same event is already stored. Like the server's ledger, it reads a
 * stored message's tick from its `Walnats-Tick` header.
 *
 * @example Two clocks, one stream, each tick once
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryPublisher } from "@walnats/clock/testing";
 *
 * const stream = new MemoryPublisher();
 * const tick = {
 *   subject: "minute-passed", stream: "minute-passed", tickMs: 60_000,
 *   msgId: "minute-passed:60000", payload: new Uint8Array(), headers: { "Walnats-Tick": "60000" },
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
    const covered = coveredTick(this.#ledger(message), message);
    if (covered) return Promise.resolve(covered);
    const stream = this.#streams.get(message.stream) ?? [];
    this.#streams.set(message.stream, stream);
    stream.push(message);
    this.messages.push(message);
    return Promise.resolve({ seq: stream.length, duplicate: false });
  }

  /** The scheduled instant of the last tick stored on the subject, if any. */
  lastTick(target: { subject: string; stream: string }): Promise<number | undefined> {
    return Promise.resolve(ledgerTick(this.#ledger(target)));
  }

  /** The subject's last message, as the tick ledger reads it. */
  #ledger(target: { subject: string; stream: string }): LedgerEntry {
    const stream = this.#streams.get(target.stream) ?? [];
    const index = stream.findLastIndex((stored) => stored.subject === target.subject);
    const last = stream[index];
    return last === undefined ? EMPTY_LEDGER : ledgerEntry(index + 1, (name) => last.headers[name]);
  }
}
