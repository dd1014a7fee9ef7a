import type { TimeSource } from "../core/time_source.ts";

/**
 * One tick as it goes on the wire. Built by the clock, sent by a
 * {@link Publisher}.
 */
export interface TickMessage {
  /** The NATS subject: the event's name. */
  readonly subject: string;
  /** The event's stream. */
  readonly stream: string;
  /** The scheduled instant, in epoch milliseconds. */
  readonly tickMs: number;
  /** The tick's id, sent as `Nats-Msg-Id`. */
  readonly msgId: string;
  /** The payload: the scheduled instant as ISO 8601 text. */
  readonly payload: Uint8Array;
  /** Headers: `Walnats-Tick`, `Walnats-Clock`, `Walnats-Late` on a catch-up tick, and the clock's meta. */
  readonly headers: Readonly<Record<string, string>>;
}

/** What the stream answered to a tick. */
export interface PublishResult {
  /** The stream sequence of the tick's message; 0 when it is not known. */
  readonly seq: number;
  /**
   * True when the stream already had this tick or a later one (another clock
   * emitted it), so this publish stored nothing.
   */
  readonly duplicate: boolean;
}

/**
 * What a clock needs from a connection: emit one tick, exactly once across
 * every clock of the event. The NATS connection returned by
 * `Events.connect()` and the in-memory one of `@walnats/clock/testing` both
 * implement it.
 *
 * @example A publisher that only records what it is given
 * ```ts
 * import type { Publisher, TickMessage } from "@walnats/clock";
 *
 * const seen: TickMessage[] = [];
 * const recorder: Publisher = {
 *   publishTick(message) {
 *     seen.push(message);
 *     return Promise.resolve({ seq: seen.length, duplicate: false });
 *   },
 *   lastTick: () => Promise.resolve(seen.at(-1)?.tickMs),
 * };
 * ```
 */
export interface Publisher {
  /**
   * Stores the tick unless the stream already has it or a later tick.
   * One attempt: it rejects when it gets no answer within `timeoutMs`, and
   * the clock tries again until the next tick is due, after a short pause.
   * A `WalnatsError` with code `CONNECTION_INTERRUPTED` (the connection
   * dropped or reconnected while the attempt waited) is tried again without
   * the pause: reject with it only when the next attempt waits for the
   * connection by itself.
   *
   * @param message the tick
   * @param options `timeoutMs`: how long this attempt may wait for an answer
   */
  publishTick(message: TickMessage, options: { timeoutMs: number }): Promise<PublishResult>;
  /**
   * The scheduled instant (epoch ms) of the last tick stored on the subject:
   * the tick ledger, which a clock reads to catch up after an outage.
   * `undefined` when the subject is empty or its last message is not a tick.
   *
   * @param target the event's subject and stream
   */
  lastTick(target: { subject: string; stream: string }): Promise<number | undefined>;
  /**
   * The time the publisher's stream runs on, when it is not the system's:
   * the fake time of the in-memory server. `Clock.run()` uses it unless it
   * is given a `time`.
   */
  readonly time?: TimeSource;
}
