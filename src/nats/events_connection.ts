import { JetStreamApiCodes, type JetStreamClient, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/nats-core";
import { emitHeaders, emitPayload } from "../_emit_options.ts";
import { ErrorCode, messageOf, noStreamStores, StreamConflictError, streamNotFound, WalnatsError } from "../errors.ts";
import type { Event } from "../event.ts";
import type { EmitOptions, EventsConnection } from "../events_connection.ts";
import type { PublishResult, TickMessage } from "../publisher.ts";
import type { Payload, Schema } from "../serializer.ts";
import { coveredTick, EMPTY_LEDGER, type LedgerEntry, ledgerEntry, ledgerTick } from "../_tick_ledger.ts";
import { systemTime } from "../time_source.ts";
import type { ConnectionStatus } from "../connection_status.ts";
import { connectionStatus } from "./_status.ts";
import { isApiError, isStreamMissing } from "./_api_errors.ts";
import { findConflict, isUpToDate, streamConfig } from "./_stream_config.ts";

/** Publish rounds per attempt when other writers keep moving the subject's last sequence. */
const MAX_ROUNDS = 3;

/** The NATS side of {@link EventsConnection}. Only this folder imports nats.js. */
export class NatsEventsConnection implements EventsConnection {
  readonly #nc: NatsConnection;
  readonly #owned: boolean;
  /** Aborts when `close()` is called: ends the iterations of `status()`. */
  readonly #closed = new AbortController();
  readonly #events: readonly Event[];
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /**
   * The last message this connection saw on each tick subject: its sequence is the expectation of the
   * next publish, its tick (NaN when it is not a tick) tells whether that expectation may be used.
   */
  readonly #lastSeen = new Map<string, LedgerEntry>();

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
    const payload = emitPayload(event, value);
    const { uid, headers } = emitHeaders(options, systemTime.now());
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
      let last = this.#lastSeen.get(message.subject);
      if (last === undefined || last.tickMs >= message.tickMs) {
        last = await this.#readLast(message);
        const covered = coveredTick(last, message);
        if (covered) return covered;
      }
      try {
        const ack = await this.#js.publish(message.subject, message.payload, {
          msgID: message.msgId,
          headers,
          expect: { lastSubjectSequence: last.seq },
          timeout: timeoutMs,
        });
        if (!ack.duplicate) {
          this.#lastSeen.set(message.subject, ledgerEntry(ack.seq, (name) => message.headers[name]));
          return { seq: ack.seq, duplicate: false };
        }
        // Stored already: by another clock, or by an attempt of this one whose answer was lost.
        return coveredTick(await this.#readLast(message), message) ?? { seq: ack.seq, duplicate: true };
      } catch (error) {
        if (!isApiError(error, JetStreamApiCodes.StreamWrongLastSequence)) {
          throw isStreamMissing(error) ? streamNotFound(message.stream, error) : error;
        }
      }
      // Someone else wrote to the subject since this connection last looked: read what is there,
      // and try again only if it is older than this tick.
      const covered = coveredTick(await this.#readLast(message), message);
      if (covered) return covered;
    }
    throw new Error(`Subject '${message.subject}' kept changing during ${MAX_ROUNDS} publish rounds`);
  }

  status(): AsyncIterable<ConnectionStatus> {
    return connectionStatus(this.#nc, this.#closed.signal);
  }

  async close(): Promise<void> {
    this.#closed.abort();
    if (this.#owned && !this.#nc.isClosed()) await this.#nc.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async lastTick(target: { subject: string; stream: string }): Promise<number | undefined> {
    return ledgerTick(await this.#readLast(target));
  }

  /** The subject's last message as the ledger reads it; remembered as seen. */
  async #readLast(target: { subject: string; stream: string }): Promise<LedgerEntry> {
    let stored: StoredMsg | null;
    try {
      stored = await this.#jsm.streams.getMessage(target.stream, { last_by_subj: target.subject });
    } catch (error) {
      throw isStreamMissing(error) ? streamNotFound(target.stream, error) : error;
    }
    const last = stored ? ledgerEntry(stored.seq, (name) => stored.header?.get(name)) : EMPTY_LEDGER;
    this.#lastSeen.set(target.subject, last);
    return last;
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
