/**
 * Acks that survive reconnects. A plain `msg.ack()` written while nats.js
 * reconnects is thrown away (nats.js 3.4 empties its send buffer at every
 * dial), and the server delivers the message again once its ack wait has run
 * out: the handler runs twice. Sent as a request, an ack is confirmed by the
 * server's answer; one that a drop or a reconnect cut off, or that got no
 * answer, is sent again once the connection is back, until the message's ack
 * wait would have run out (the server delivers it again then anyway). Naks
 * and terms go the same way.
 *
 * Measured on nats-server 2.9.10: an ack, nak or term of a message still
 * pending is accepted and answered after the client reconnected and after a
 * restart of the server (file storage); an ack sent twice is answered twice.
 * An ack sent after the message was delivered again settles that new
 * delivery too, so sending must stop at the ack wait.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { createInbox, errors, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { delay } from "../_async.ts";
import { ErrorCode, isWalnatsError } from "../errors.ts";
import { systemTime, type TimeSource } from "../core/time_source.ts";
import { isNoResponders, isTimeout } from "./_api_errors.ts";
import type { ConnectionWatch } from "./_connection_watch.ts";

/** How long one ack waits for the server's answer. */
const ACK_ATTEMPT_MS = 1_000;
/** The pause after an ack nobody answered (a consumer without a leader, in a cluster). */
const ACK_RETRY_MS = 100;
/** How often {@link AckReplies} looks for acks whose answer is overdue: a timeout comes up to this much late. */
const SWEEP_MS = 100;

/** The ack's payload. */
export const ACK = "+ACK";
/** The term's payload: without a reason, which nats-server 2.9 ignores. */
export const TERM = "+TERM";

/** The payload of a nak that asks for the next delivery in `delayMs`. */
export function nakPayload(delayMs: number): string {
  return delayMs > 0 ? `-NAK ${JSON.stringify({ delay: Math.round(delayMs) * 1_000_000 })}` : "-NAK";
}

/** What {@link confirmAck} sends with, and until when. */
export interface AckTarget {
  /** Follows the connection: holds the ack back while it is down, cuts it off when it drops. */
  readonly watch: ConnectionWatch;
  /** Sends the ack as a request and waits up to `timeoutMs` for the answer. */
  readonly send: (timeoutMs: number) => Promise<unknown>;
  /** When the server will deliver the message again, in epoch ms: asked before each attempt. */
  readonly redeliveryMs: () => number;
  /** Names the ack in errors: "Cannot ack message 4 of 'jobs'". */
  readonly what: string;
  /** The time the deadline is read on. */
  readonly time?: TimeSource;
  /**
   * Aborts when the ack is given up before its deadline (`listen()` stopping): no attempt starts after it,
   * and the wait for a lost connection ends. The attempt in flight ends when its answer or timeout comes.
   */
  readonly stopped?: AbortSignal;
}

/**
 * Sends an ack until the server confirms it: again at once when a drop or a
 * reconnect cut it off (once the connection is back), again after a short
 * pause when nobody answered in time.
 *
 * @throws the last failure when the server would have delivered the message
 *   again before a confirmation came (`CONNECTION_FAILED` when the connection
 *   was down until then), and at once any other failure (a closed connection)
 */
export async function confirmAck(
  { watch, send, redeliveryMs, what, time = systemTime, stopped }: AckTarget,
): Promise<void> {
  let leftMs = redeliveryMs() - time.now();
  let failure: unknown; // made only when needed: an error's stack costs as much as the ack
  while (leftMs > 0 && !stopped?.aborted) {
    try {
      await watch.request(what, () => send(Math.min(ACK_ATTEMPT_MS, leftMs)), leftMs, stopped);
      return;
    } catch (error) {
      failure = error;
      if (stopped?.aborted) break;
      if (isTimeout(error) || isNoResponders(error)) {
        await delay(Math.min(ACK_RETRY_MS, leftMs), stopped).catch(() => {});
      } else if (!isWalnatsError(error, ErrorCode.ConnectionInterrupted)) throw error;
    }
    leftMs = redeliveryMs() - time.now();
  }
  throw failure ??
    new Error(
      `${what}: ${
        stopped?.aborted ? "given up as the actor stopped" : "the message's ack wait ran out"
      } before the ack was sent`,
    );
}

/** An ack sent by {@link AckReplies} and waiting for its answer. */
interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /** When it is given up, in epoch ms. */
  readonly untilMs: number;
  /** Where it went. */
  readonly subject: string;
}

/**
 * Sends acks with a reply subject of its own and matches the server's
 * answers: one subscription and one timer for all the acks in flight, and
 * the acks of one turn of the event loop written together. A nats.js
 * `request()` each cost an error object (made even when the request
 * succeeds), a timer and a socket write of its own, which halved a no-op
 * actor's throughput.
 */
export class AckReplies {
  readonly #nc: NatsConnection;
  /** The reply subjects' prefix: the connection's inbox prefix, as `request()` uses it. */
  readonly #prefix: string;
  readonly #waiting = new Map<string, Waiting>();
  /** The acks to write at the end of this turn of the event loop: subject, payload, reply subject. */
  #outbox: [string, string, string][] = [];
  #sent = 0;
  #subscription: Subscription | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    const options = (nc as NatsConnection & { readonly options?: { readonly inboxPrefix?: string } }).options;
    this.#prefix = `${createInbox(options?.inboxPrefix)}.`;
  }

  /**
   * Publishes `payload` to `subject` (a message's ack subject) and resolves on the server's answer.
   *
   * @throws {errors.TimeoutError} when no answer came within `timeoutMs` (up to `SWEEP_MS` more)
   * @throws {errors.NoRespondersError} when nobody listens on `subject`
   * @throws what publishing throws (a closed connection)
   */
  send(subject: string, payload: string, timeoutMs: number): Promise<void> {
    this.#subscription ??= this.#nc.subscribe(`${this.#prefix}*`, { callback: (_error, msg) => this.#answer(msg) });
    this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_MS);
    const token = String(this.#sent++);
    if (this.#outbox.length === 0) setImmediate(() => this.#write());
    this.#outbox.push([subject, payload, token]);
    return new Promise((resolve, reject) => {
      this.#waiting.set(token, { resolve, reject, untilMs: Date.now() + timeoutMs, subject });
    });
  }

  /** Gives up the acks still waiting (as timeouts), also those not written yet, and stops listening for answers. */
  close(): void {
    this.#outbox = []; // given up below: an ack told as unconfirmed is not sent after all
    this.#sweep(Infinity);
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  /** Writes the acks of this turn: nats.js sends what is published in one go as one write. */
  #write(): void {
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const [subject, payload, token] of outbox) {
      try {
        this.#nc.publish(subject, payload, { reply: this.#prefix + token });
      } catch (error) {
        this.#settle(token)?.reject(error);
      }
    }
  }

  /** The ack waiting under `token`, no longer waiting; `undefined` when it was given up. */
  #settle(token: string): Waiting | undefined {
    const waiting = this.#waiting.get(token);
    this.#waiting.delete(token);
    return waiting;
  }

  #answer(msg: Msg): void {
    const waiting = this.#settle(msg.subject.slice(this.#prefix.length));
    if (waiting === undefined) return; // given up already
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      waiting.reject(new errors.NoRespondersError(waiting.subject));
    } else waiting.resolve();
  }

  /** Rejects the acks whose time ran out by `nowMs`; stops the timer when none waits (it starts again with a send). */
  #sweep(nowMs = Date.now()): void {
    for (const [token, waiting] of this.#waiting) {
      if (waiting.untilMs > nowMs) continue;
      this.#waiting.delete(token);
      waiting.reject(new errors.TimeoutError());
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
