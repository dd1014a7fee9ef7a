import type { PublishResult, TickMessage } from "../src/events/publisher.ts";
import type { TimeSource } from "../src/core/time_source.ts";
import type { MemoryConsumer } from "./_memory_consumer.ts";
import { coveredTick, EMPTY_LEDGER, type LedgerEntry, ledgerEntry, ledgerTick } from "../src/events/_tick_ledger.ts";
import type { StoredMessage } from "./stored_message.ts";

/**
 * One event's stream in memory: messages numbered from 1, ids dropped as
 * duplicates within the duplicate window, the tick ledger, and the
 * consumers of the event's actors.
 */
export class MemoryStream {
  /** The event's subject. */
  readonly subject: string;
  /** The stored messages, oldest first. */
  readonly messages: StoredMessage[] = [];
  /** Consumers by actor name. */
  readonly consumers = new Map<string, MemoryConsumer>();
  /** How long an id is remembered, in milliseconds. */
  duplicateWindowMs: number;
  /** The payload kind of the event whose `register()` made the stream: every later one must have it. */
  readonly payloadKind: string;
  readonly #time: TimeSource;
  readonly #ids = new Map<string, StoredMessage>();
  /** The last message of each subject: the tick ledger. */
  readonly #lastBySubject = new Map<string, StoredMessage>();

  constructor(subject: string, payloadKind: string, duplicateWindowMs: number, time: TimeSource) {
    this.subject = subject;
    this.payloadKind = payloadKind;
    this.duplicateWindowMs = duplicateWindowMs;
    this.#time = time;
  }

  /**
   * Stores a message, unless its id was stored within the duplicate window, and offers it to every consumer.
   *
   * @param subject the event's subject, or the subject of one of its schedules
   */
  publish(
    data: Uint8Array,
    headers: Readonly<Record<string, string>>,
    msgId?: string,
    subject: string = this.subject,
  ): PublishResult {
    const now = this.#time.now();
    const earlier = msgId === undefined ? undefined : this.#ids.get(msgId);
    if (earlier && now - earlier.storedMs < this.duplicateWindowMs) return { seq: earlier.seq, duplicate: true };
    const message = { seq: this.messages.length + 1, subject, data, headers, storedMs: now };
    this.messages.push(message);
    this.#lastBySubject.set(message.subject, message);
    if (msgId !== undefined) this.#ids.set(msgId, message);
    for (const consumer of this.consumers.values()) consumer.offer(message);
    return { seq: message.seq, duplicate: false };
  }

  /** Stores a tick unless the ledger (the subject's last message) has it or a later one. */
  publishTick(message: TickMessage): PublishResult {
    return coveredTick(this.#ledger(message.subject), message) ??
      this.publish(message.payload, message.headers, message.msgId, message.subject);
  }

  /** The tick of the subject's last message; `undefined` when there is none or it is not a tick. */
  lastTick(subject: string): number | undefined {
    return ledgerTick(this.#ledger(subject));
  }

  /** The last message stored on `subject`; `undefined` when there is none. */
  lastMessage(subject: string): StoredMessage | undefined {
    return this.#lastBySubject.get(subject);
  }

  #ledger(subject: string): LedgerEntry {
    const last = this.#lastBySubject.get(subject);
    return last === undefined ? EMPTY_LEDGER : ledgerEntry(last.seq, (name) => last.headers[name]);
  }
}
