import type { Publisher, PublishResult, TickMessage } from "../src/publisher.ts";

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

  /** Stores the tick unless this event already has it or a later tick. */
  publishTick(message: TickMessage): Promise<PublishResult> {
    const last = this.messages.findLast((stored) => stored.subject === message.subject);
    if (last && last.tickMs >= message.tickMs) {
      const seq = last.tickMs === message.tickMs ? this.messages.indexOf(last) + 1 : 0;
      return Promise.resolve({ seq, duplicate: true });
    }
    this.messages.push(message);
    return Promise.resolve({ seq: this.messages.length, duplicate: false });
  }
}
