/**
 * Manual fires and the fires' history on NATS: a manual fire is a plain
 * JetStream publish with its `Nats-Msg-Id` (no expectation: it is not the
 * ledger); a schedule's fires are read with a short-lived consumer filtered on
 * its two subjects (`walnats-schedule.<stream>.<id>.*`).
 *
 * @module
 */
import { AckPolicy, type Consumer, DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import { headers as natsHeaders, millis, nanos } from "@nats-io/nats-core";
import { scheduleFireSubjects } from "../schedules/_fire.ts";
import { ErrorCode, messageOf, streamNotFound, streamTimedOut, streamUnavailable, WalnatsError } from "../errors.ts";
import type { PublishResult, TickMessage } from "../events/publisher.ts";
import type { FireLog, StoredFire } from "../schedules/stores.ts";
import { LATE_HEADER, TICK_HEADER } from "../events/_headers.ts";
import type { NatsLink } from "./_link.ts";
import { streamFailure } from "./_api_errors.ts";

/** Messages asked for per fetch of a history read. */
const READ_BATCH = 256;
/** How long one fetch may wait for the fires the read's consumer counted (it asks for no more than that). */
const READ_EXPIRES_MS = 5_000;
/** How long the server keeps a read's consumer that nobody uses (a reader that went away without deleting it). */
const READ_IDLE_MS = 30_000;

/** {@link FireLog} on the events' streams. */
export class NatsFireLog implements FireLog {
  readonly #link: NatsLink;

  constructor(link: NatsLink) {
    this.#link = link;
  }

  async publish(message: TickMessage, { timeoutMs }: { timeoutMs: number }): Promise<PublishResult> {
    const headers = natsHeaders();
    for (const [name, value] of Object.entries(message.headers)) headers.set(name, value);
    try {
      const ack = await this.#link.js.publish(message.subject, message.payload, {
        msgID: message.msgId,
        headers,
        timeout: timeoutMs,
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      throw failure(error, message.stream, `Cannot store fire '${message.msgId}'`);
    }
  }

  async *read(
    target: { readonly stream: string; readonly id: string },
    options: { sinceMs?: number } = {},
  ): AsyncIterable<StoredFire> {
    const what = `Cannot read the fires of schedule '${target.id}'`;
    let name: string;
    let pending: number;
    let consumer: Consumer;
    try {
      // A consumer of our own rather than an ordered one: nats-server 2.9 has no 'filter_subjects', and the
      // consumer's num_pending says how many fires there are, so that no fetch waits for more.
      const info = await this.#link.jsm.consumers.add(target.stream, {
        ack_policy: AckPolicy.None,
        filter_subject: scheduleFireSubjects(target.stream, target.id),
        mem_storage: true,
        inactive_threshold: nanos(READ_IDLE_MS),
        ...(options.sinceMs === undefined ? { deliver_policy: DeliverPolicy.All } : {
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: new Date(options.sinceMs).toISOString(),
        }),
      });
      ({ name, num_pending: pending } = info);
      consumer = await this.#link.js.consumers.get(target.stream, name);
    } catch (error) {
      throw failure(error, target.stream, what);
    }
    try {
      while (pending > 0) {
        const batch = Math.min(pending, READ_BATCH);
        let got = 0;
        try {
          for await (const msg of await consumer.fetch({ max_messages: batch, expires: READ_EXPIRES_MS })) {
            got++;
            yield fireOf(msg);
          }
        } catch (error) {
          throw failure(error, target.stream, what);
        }
        if (got < batch) return; // fires removed by the stream's limits while reading
        pending -= got;
      }
    } finally {
      // Best effort: a consumer left behind (connection lost) goes away after READ_IDLE_MS by itself.
      await this.#link.jsm.consumers.delete(target.stream, name).catch(() => false);
    }
  }
}

function fireOf(msg: JsMsg): StoredFire {
  const tick = Number(msg.headers?.get(TICK_HEADER) || Number.NaN);
  return {
    seq: msg.seq,
    subject: msg.subject,
    storedMs: millis(msg.info.timestampNanos),
    tickMs: Number.isFinite(tick) ? tick : undefined,
    late: msg.headers?.get(LATE_HEADER) === "true",
  };
}

/** `STREAM_NOT_FOUND`, `STREAM_UNAVAILABLE` or `REQUEST_FAILED`, saying what was tried. */
function failure(error: unknown, stream: string, what: string): WalnatsError {
  if (error instanceof WalnatsError) return error;
  const kind = streamFailure(error);
  if (kind === "missing") return streamNotFound(stream, error);
  if (kind === "timeout") return streamTimedOut(stream, what, error);
  if (kind !== undefined) return streamUnavailable(stream, what, error);
  return new WalnatsError(ErrorCode.RequestFailed, `${what}: ${messageOf(error)}`, { cause: error });
}
