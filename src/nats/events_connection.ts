import { JetStreamApiCodes, type JetStreamClient, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/nats-core";
import { emitHeaders } from "../_emit_options.ts";
import { ErrorCode, messageOf, noStreamStores, StreamConflictError, streamNotFound, WalnatsError } from "../errors.ts";
import type { Event } from "../event.ts";
import type { EmitOptions, EventsConnection } from "../events_connection.ts";
import type { PublishResult, TickMessage } from "../publisher.ts";
import type { Payload, Schema } from "../serializer.ts";
import { CLOCK_HEADER, TICK_HEADER } from "../tick.ts";
import { systemTime } from "../time_source.ts";
import { isApiError, isStreamMissing } from "./_api_errors.ts";
import { findConflict, isUpToDate, streamConfig } from "./_stream_config.ts";

/** Publish rounds per attempt when other writers keep moving the subject's last sequence. */
const MAX_ROUNDS = 3;

/** The NATS side of {@link EventsConnection}. Only this folder imports nats.js. */
export class NatsEventsConnection implements EventsConnection {
  readonly #nc: NatsConnection;
  readonly #owned: boolean;
  readonly #events: readonly Event[];
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /**
   * The last message this connection saw on each tick subject: its sequence is the expectation of the
   * next publish, its tick (NaN when it is not a tick) tells whether that expectation may be used.
   */
  readonly #lastSeen = new Map<string, { seq: number; tickMs: number }>();

  constructor(
    nc: NatsConnection,
    owned: boolean,
    events: readonly Event[],
    js: JetStreamClient,
    jsm: JetStreamManager,
  ) {
    this.#nc = nc;
    this.#owned = owned;
    this.#events = events;
    this.#js = js;
    this.#jsm = jsm;
  }

  async register(): Promise<void> {
    const plans = [];
    for (const event of this.#events) {
      const wanted = streamConfig(event);
      const existing = await this.#streamConfig(wanted.name);
      if (existing) {
        const conflict = findConflict(wanted, existing);
        if (conflict) throw new StreamConflictError(wanted.name, conflict.field, conflict.expected, conflict.actual);
      } else {
        // The server refuses a stream whose subject another stream stores already: find out now, before
        // any stream is created, so that a conflict leaves every stream as it was.
        const owner = await this.#otherStreamOf(event.subject, wanted.name);
        if (owner !== undefined) {
          throw new WalnatsError(
            ErrorCode.StreamConflict,
            `Cannot register stream '${wanted.name}': stream '${owner}' stores its subject '${event.subject}' ` +
              "already; no stream was created or changed",
          );
        }
      }
      plans.push({ wanted, existing });
    }
    for (const { wanted, existing } of plans) {
      if (existing && isUpToDate(wanted, existing)) continue;
      await request(
        `Cannot register stream '${wanted.name}'`,
        () => existing ? this.#jsm.streams.update(wanted.name, wanted) : this.#addOrUpdate(wanted),
      );
    }
  }

  async emit<S extends Schema>(event: Event<S>, value: Payload<S>, options: EmitOptions = {}): Promise<PublishResult> {
    const { uid, headers } = emitHeaders(options, systemTime.now());
    const payload = event.encode(value);
    const ack = await request(
      `Cannot emit '${event.name}'`,
      () =>
        this.#js.publish(event.subject, payload, {
          headers: toHeaders(headers),
          ...(uid === undefined ? {} : { msgID: uid }),
        }),
    );
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /**
   * The tick ledger is the last message on the event's subject: a tick is
   * published only while the subject's last sequence is the one this
   * connection saw last, so the server itself refuses a tick that another
   * clock stored meanwhile, however long ago (a paused process, a server
   * restart, an expired duplicate window). In the steady state this is one
   * round trip.
   */
  async publishTick(message: TickMessage, { timeoutMs }: { timeoutMs: number }): Promise<PublishResult> {
    const headers = toHeaders(message.headers);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // An expectation only guards against writes this connection has not seen: when what it saw last
      // is this tick or a later one, publishing under that expectation would succeed. Read instead.
      const seen = this.#lastSeen.get(message.subject);
      let expected: number;
      if (seen === undefined || seen.tickMs >= message.tickMs) {
        const last = await this.#lastTick(message);
        if (last.covers) return last.result;
        expected = last.seq;
      } else {
        expected = seen.seq;
      }
      try {
        const ack = await this.#js.publish(message.subject, message.payload, {
          msgID: message.msgId,
          headers,
          expect: { lastSubjectSequence: expected },
          timeout: timeoutMs,
        });
        if (!ack.duplicate) {
          this.#lastSeen.set(message.subject, { seq: ack.seq, tickMs: message.tickMs });
          return { seq: ack.seq, duplicate: false };
        }
        // Stored already: by another clock, or by an attempt of this one whose answer was lost.
        const last = await this.#lastTick(message);
        return last.covers ? last.result : { seq: ack.seq, duplicate: true };
      } catch (error) {
        if (!isApiError(error, JetStreamApiCodes.StreamWrongLastSequence)) {
          throw isStreamMissing(error) ? streamNotFound(message.stream, error) : error;
        }
      }
      // Someone else wrote to the subject since this connection last looked: read what is there,
      // and try again only if it is older than this tick.
      const last = await this.#lastTick(message);
      if (last.covers) return last.result;
    }
    throw new Error(`Subject '${message.subject}' kept changing during ${MAX_ROUNDS} publish rounds`);
  }

  async close(): Promise<void> {
    if (this.#owned && !this.#nc.isClosed()) await this.#nc.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async lastTick(target: { subject: string; stream: string }): Promise<number | undefined> {
    const { tickMs } = await this.#readLast(target);
    return Number.isNaN(tickMs) ? undefined : tickMs;
  }

  /** Reads the subject's last message and tells whether it covers (is at or past) the tick. */
  async #lastTick(message: TickMessage): Promise<{ seq: number; covers: boolean; result: PublishResult }> {
    const { seq, tickMs, clock } = await this.#readLast(message);
    if (!(tickMs >= message.tickMs)) return { seq, covers: false, result: { seq: 0, duplicate: false } };
    const same = tickMs === message.tickMs;
    const ours = same && clock === message.headers[CLOCK_HEADER];
    return { seq, covers: true, result: { seq: same ? seq : 0, duplicate: !ours } };
  }

  /** The subject's last message: its sequence (0: none), tick (NaN: not a tick) and clock; remembered as seen. */
  async #readLast(target: { subject: string; stream: string }) {
    let stored: StoredMsg | null;
    try {
      stored = await this.#jsm.streams.getMessage(target.stream, { last_by_subj: target.subject });
    } catch (error) {
      throw isStreamMissing(error) ? streamNotFound(target.stream, error) : error;
    }
    const seq = stored?.seq ?? 0;
    const tickMs = Number(stored?.header?.get(TICK_HEADER) || NaN);
    this.#lastSeen.set(target.subject, { seq, tickMs });
    return { seq, tickMs, clock: stored?.header?.get(CLOCK_HEADER) };
  }

  async #streamConfig(name: string) {
    try {
      return (await this.#jsm.streams.info(name)).config;
    } catch (error) {
      if (isApiError(error, JetStreamApiCodes.StreamNotFound)) return undefined;
      throw new WalnatsError(ErrorCode.RequestFailed, `Cannot read stream '${name}': ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * The name of a stream other than `own` that stores `subject` (by one of its subjects or wildcards),
   * if any. `own` may have appeared meanwhile: another process registering the same event.
   */
  async #otherStreamOf(subject: string, own: string): Promise<string | undefined> {
    try {
      for await (const name of this.#jsm.streams.names(subject)) {
        if (name !== own) return name;
      }
      return undefined;
    } catch (error) {
      throw new WalnatsError(ErrorCode.RequestFailed, `Cannot list the streams of '${subject}': ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  /** Adds the stream; when another process added it first, checks it and updates it. */
  async #addOrUpdate(wanted: ReturnType<typeof streamConfig>) {
    try {
      return await this.#jsm.streams.add(wanted);
    } catch (error) {
      const existing = await this.#streamConfig(wanted.name);
      if (!existing) throw error;
      const conflict = findConflict(wanted, existing);
      if (conflict) throw new StreamConflictError(wanted.name, conflict.field, conflict.expected, conflict.actual);
      return await this.#jsm.streams.update(wanted.name, wanted);
    }
  }
}

function toHeaders(values: Readonly<Record<string, string>>): MsgHdrs {
  const headers = natsHeaders();
  for (const [name, value] of Object.entries(values)) headers.set(name, value);
  return headers;
}

/** Runs a request, turning a failure into a {@link WalnatsError} that says what was tried. */
async function request<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof WalnatsError) throw error;
    if (isStreamMissing(error)) throw noStreamStores(what, error);
    throw new WalnatsError(ErrorCode.RequestFailed, `${what}: ${messageOf(error)}`, { cause: error });
  }
}
