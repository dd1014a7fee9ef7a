/**
 * Manual fires and the fires' history on NATS: a manual fire is a plain
 * JetStream publish with its `Nats-Msg-Id` (no expectation: it is not the
 * ledger); a schedule's fires are read with an ordered consumer filtered on
 * its two subjects.
 *
 * @module
 */
import { DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import { headers as natsHeaders, millis } from "@nats-io/nats-core";
import { scheduleFireSubjects } from "../_fire.ts";
import { ErrorCode, messageOf, streamNotFound, streamUnavailable, WalnatsError } from "../errors.ts";
import type { PublishResult, TickMessage } from "../publisher.ts";
import type { FireLog, StoredFire } from "../schedule_store.ts";
import { LATE_HEADER, TICK_HEADER } from "../tick.ts";
import type { NatsLink } from "./_link.ts";
import { streamFailure } from "./_api_errors.ts";

/** Messages asked for per fetch of a history read. */
const READ_BATCH = 256;
/** How long one fetch waits for messages: a read whose filter matches nothing after `sinceMs` ends after it. */
const READ_EXPIRES_MS = 1_000;

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
    const filter = scheduleFireSubjects(target.stream, target.id);
    const what = `Cannot read the fires of schedule '${target.id}'`;
    let consumer;
    try {
      const { state } = await this.#link.jsm.streams.info(target.stream, { subjects_filter: filter });
      if (Object.keys(state.subjects ?? {}).length === 0) return;
      consumer = await this.#link.js.consumers.get(target.stream, {
        filter_subjects: [filter],
        ...(options.sinceMs === undefined ? {} : {
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: new Date(options.sinceMs).toISOString(),
        }),
      });
    } catch (error) {
      throw failure(error, target.stream, what);
    }
    for (;;) {
      let last: JsMsg | undefined;
      try {
        for await (const msg of await consumer.fetch({ max_messages: READ_BATCH, expires: READ_EXPIRES_MS })) {
          last = msg;
          yield fireOf(msg);
        }
      } catch (error) {
        throw failure(error, target.stream, what);
      }
      if (last === undefined || last.info.pending === 0) return;
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
  if (kind !== undefined) return streamUnavailable(stream, what, error);
  return new WalnatsError(ErrorCode.RequestFailed, `${what}: ${messageOf(error)}`, { cause: error });
}
