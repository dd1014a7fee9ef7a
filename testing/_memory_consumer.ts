import type { Delivery } from "../src/actors/_delivery.ts";
import type { TimeSource } from "../src/core/time_source.ts";
import type { StoredMessage } from "./stored_message.ts";

/** A message waiting for, or held by, the actor. */
interface Pending {
  readonly message: StoredMessage;
  deliveries: number;
  /** Not delivered before this instant (a nak's delay). */
  dueMs: number;
  /** Held by a listener until it acks, naks or terminates it. */
  taken: boolean;
}

/**
 * An actor's durable consumer in memory: every message stored after it was
 * created, each held by one listener at a time, redelivered after a nak's
 * delay, gone after an ack or a term. Listeners of the same actor share it.
 */
export class MemoryConsumer {
  readonly #time: TimeSource;
  readonly #pending: Pending[] = [];
  readonly #waiting = new Set<() => void>();

  constructor(time: TimeSource) {
    this.#time = time;
  }

  /** Queues a message that was just stored. */
  offer(message: StoredMessage): void {
    this.#pending.push({ message, deliveries: 0, dueMs: -Infinity, taken: false });
    this.#changed();
  }

  /** Delivers up to `max` messages that are due, oldest first. */
  take(max: number): Delivery[] {
    const now = this.#time.now();
    const due = this.#pending.filter((entry) => !entry.taken && entry.dueMs <= now).slice(0, max);
    return due.map((entry) => {
      entry.taken = true;
      entry.deliveries++;
      return this.#delivery(entry);
    });
  }

  /** When the next message that is not held falls due; `undefined` when there is none. */
  nextDueMs(): number | undefined {
    const free = this.#pending.filter((entry) => !entry.taken);
    return free.length === 0 ? undefined : Math.min(...free.map((entry) => entry.dueMs));
  }

  /** Resolves at the next change (a message offered or given back), or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiting.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      this.#waiting.add(wake);
      signal.addEventListener("abort", wake, { once: true });
      if (signal.aborted) wake();
    });
  }

  #delivery(entry: Pending): Delivery {
    const settle = (dueMs?: number) => {
      if (!entry.taken) return; // settled already, like a second ack on the wire
      entry.taken = false;
      if (dueMs === undefined) this.#pending.splice(this.#pending.indexOf(entry), 1);
      else entry.dueMs = dueMs;
      this.#changed();
    };
    return {
      seq: entry.message.seq,
      subject: entry.message.subject,
      data: entry.message.data,
      headers: entry.message.headers,
      deliveryCount: entry.deliveries,
      ack: () => Promise.resolve(settle()),
      nak: (delayMs) => Promise.resolve(settle(this.#time.now() + Math.max(0, delayMs))),
      term: () => Promise.resolve(settle()),
    };
  }

  #changed(): void {
    for (const wake of [...this.#waiting]) wake();
  }
}
