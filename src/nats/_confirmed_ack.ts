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
import { delay } from "../_async.ts";
import { ErrorCode, isWalnatsError } from "../errors.ts";
import { systemTime, type TimeSource } from "../time_source.ts";
import { isNoResponders, isTimeout } from "./_api_errors.ts";
import type { ConnectionWatch } from "./_connection_watch.ts";

/** How long one ack waits for the server's answer. */
const ACK_ATTEMPT_MS = 1_000;
/** The pause after an ack nobody answered (a consumer without a leader, in a cluster). */
const ACK_RETRY_MS = 100;

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
export async function confirmAck({ watch, send, redeliveryMs, what, time = systemTime }: AckTarget): Promise<void> {
  let leftMs = redeliveryMs() - time.now();
  let failure: unknown = new Error(`${what}: the message's ack wait ran out before the ack was sent`);
  while (leftMs > 0) {
    try {
      await watch.request(what, () => send(Math.min(ACK_ATTEMPT_MS, leftMs)), leftMs);
      return;
    } catch (error) {
      failure = error;
      if (isTimeout(error) || isNoResponders(error)) await delay(Math.min(ACK_RETRY_MS, leftMs));
      else if (!isWalnatsError(error, ErrorCode.ConnectionInterrupted)) throw error;
    }
    leftMs = redeliveryMs() - time.now();
  }
  throw failure;
}
