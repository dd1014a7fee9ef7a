import {
  JetStreamApiCodes,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
  type StreamConfig,
} from "@nats-io/jetstream";
import { errors, headers as natsHeaders, type MsgHdrs } from "@nats-io/nats-core";
import { emitHeaders, emitPayload } from "../events/_emit_options.ts";
import { traceEmit } from "../events/_tracing.ts";
import { CANCELLED, delay } from "../_async.ts";
import {
  ErrorCode,
  eventNotRegistered,
  isWalnatsError,
  messageOf,
  noStreamStores,
  payloadKindMismatch,
  StreamConflictError,
  streamNotFound,
  streamTimedOut,
  streamUnavailable,
  WalnatsError,
} from "../errors.ts";
import type { Event } from "../events/event.ts";
import type { EmitOptions, EventsConnection } from "../events/events_connection.ts";
import type { PublishResult, TickMessage } from "../events/publisher.ts";
import type { Payload, Schema } from "../events/serializer.ts";
import { coveredTick, EMPTY_LEDGER, type LedgerEntry, ledgerEntry, ledgerTick } from "../events/_tick_ledger.ts";
import { systemTime } from "../core/time_source.ts";
import type { ConnectionStatus } from "../events/connection_status.ts";
import type { NatsLink } from "./_link.ts";
import { askInfo, infoVerdict, isApiError, isStreamMissing, isTimeout, streamFailure } from "./_api_errors.ts";
import { ConnectionWatch } from "./_connection_watch.ts";
import { findConflict, isUpToDate, missingSubjects, recordedKind, streamConfig, withKind } from "./_stream_config.ts";

/** Publish rounds per attempt when other writers keep moving the subject's last sequence. */
const MAX_ROUNDS = 3;
/**
 * How long `emit()` waits for a lost connection to come back, in all: it sends nothing into the
 * reconnect gap, and retries a message with a `uid` whose answer the reconnect cut off.
 */
const EMIT_WAIT_MS = 5_000;
/** Each `emit()` attempt waits this long for the stream's answer. */
const EMIT_ATTEMPT_MS = 1_000;
/** How long `emit()` pauses before it tries a stream that could not answer again. */
const EMIT_RETRY_PAUSE_MS = 100;
/**
 * A tick's requests end this share of the attempt's window before the attempt does, so that their own
 * timeout (a `STREAM_UNAVAILABLE` that says it was a timeout) reaches the clock before the clock gives the
 * attempt up with a bare "No answer". A share, not a fixed time: a fixed 50 ms left a 50 ms clock's
 * publish about 1 ms for its answer and gave up 11-21 % of healthy ticks; 5 % leaves it 47.5 ms.
 */
const ANSWER_MARGIN_SHARE = 0.05;
/** After a publish got no responders, how long the stream's info may take to tell a missing stream from one without a leader. */
const INFO_TIMEOUT_MS = 500;

/** The NATS side of {@link EventsConnection}. Only this folder imports nats.js. */
export class NatsEventsConnection implements EventsConnection {
  readonly #link: NatsLink;
  readonly #events: readonly Event[];
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /**
   * The last message this connection saw on each tick subject: its sequence is the expectation of the
   * next publish, its tick (NaN when it is not a tick) tells whether that expectation may be used.
   */
  readonly #lastSeen = new Map<string, LedgerEntry>();
  /** The connection's drops and returns: holds requests back while it is down, interrupts those it cut off. */
  readonly #watch = new ConnectionWatch();
  /** Feeds `#watch` until `close()`. */
  readonly #watching: Promise<void>;

  constructor(link: NatsLink, events: readonly Event[]) {
    this.#link = link;
    this.#events = events;
    this.#js = link.js;
    this.#jsm = link.jsm;
    this.#watching = (async () => {
      for await (const status of link.natsStatus()) this.#watch.update(status.type);
    })().catch(() => {}); // a status iterator that breaks leaves requests to their own timeouts
  }

  async register(): Promise<void> {
    const plans = [];
    for (const event of this.#events) {
      const wanted = streamConfig(event);
      const existing = await this.#streamConfig(wanted.name);
      if (existing) checkExisting(event, wanted, existing);
      // The server refuses a stream whose subject another stream stores already: find out now, before
      // any stream is created or updated, so that a conflict leaves every stream as it was. A stream of the
      // previous version lacks the fire subjects: its update adds them.
      for (const subject of missingSubjects(wanted, existing)) {
        const owner = await this.#otherStreamOf(subject, wanted.name);
        if (owner !== undefined) {
          throw new WalnatsError(
            ErrorCode.StreamConflict,
            `Cannot register stream '${wanted.name}': stream '${owner}' stores its subject '${subject}' ` +
              "already; no stream was created or changed",
          );
        }
      }
      plans.push({ event, wanted, existing });
    }
    // A stream of an older version records no payload kind: its update records the event's (adopts it).
    for (const { event, wanted, existing } of plans) {
      if (existing && isUpToDate(wanted, existing)) continue;
      await request(
        `Cannot register stream '${wanted.name}'`,
        () => existing ? this.#jsm.streams.update(wanted.name, wanted) : this.#addOrUpdate(event, wanted),
      );
    }
  }

  /**
   * Reads the stream's recorded payload kind; records the event's on a stream of an older version (its
   * description gets the kind, no other setting changes), then reads it back: a process that adopted it with
   * another kind meanwhile wins, and this one is refused. A stream update has no compare-and-set, so two
   * adoptions whose read-update-read rounds interleave exactly can still both pass: the last kind stays.
   */
  async recordPayloadKind(event: Event, what: string): Promise<void> {
    const existing = await this.#streamConfig(event.stream);
    if (existing === undefined) throw eventNotRegistered(what, event);
    const stored = recordedKind(existing.description);
    if (stored === event.payloadKind) return;
    if (stored !== undefined) throw payloadKindMismatch(what, event.name, stored, event.payloadKind);
    const description = withKind(existing.description, event.payloadKind);
    await request(what, () => this.#jsm.streams.update(event.stream, { ...existing, description }));
    const adopted = recordedKind((await this.#streamConfig(event.stream))?.description);
    if (adopted !== undefined && adopted !== event.payloadKind) {
      throw payloadKindMismatch(what, event.name, adopted, event.payloadKind);
    }
  }

  /**
   * While the connection is lost, waits for it (up to 5 s in all) before publishing: nats.js would
   * discard a message written in the reconnect gap. An attempt whose answer a drop or a reconnect cut
   * off is published again at once when the message has a `uid` (the stream drops the second copy if the
   * first was stored); without one it rejects with `CONNECTION_INTERRUPTED`, since it may have been stored.
   * A stream that cannot answer yet (a server just restarted, a leader being elected) is tried again
   * every 0.1 s within the same 5 s; after a timeout only when the message has a `uid`.
   */
  emit<S extends Schema>(event: Event<S>, value: Payload<S>, options: EmitOptions = {}): Promise<PublishResult> {
    const payload = emitPayload(event, value);
    const { uid, headers } = emitHeaders(options, systemTime.now());
    return traceEmit(event, uid, (trace) => this.#emit(event, payload, uid, { ...headers, ...trace }));
  }

  async #emit(
    event: Event,
    payload: Uint8Array,
    uid: string | undefined,
    headers: Record<string, string>,
  ): Promise<PublishResult> {
    const what = `Cannot emit '${event.name}'`;
    const deadline = systemTime.now() + EMIT_WAIT_MS;
    const publish = () =>
      this.#js.publish(event.subject, payload, {
        headers: toHeaders(headers),
        timeout: Math.max(1, Math.min(EMIT_ATTEMPT_MS, deadline - systemTime.now())),
        ...(uid === undefined ? {} : { msgID: uid }),
      });
    for (;;) {
      let failure: unknown;
      try {
        const ack = await this.#watch.request(what, publish, Math.max(0, deadline - systemTime.now()));
        return { seq: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        failure = await this.#failure(error, event.stream, what, deadline);
        if (systemTime.now() >= deadline || !emitRetries(error, failure, uid !== undefined)) throw failure;
      }
      if (isWalnatsError(failure, ErrorCode.StreamUnavailable)) {
        await delay(Math.max(0, Math.min(EMIT_RETRY_PAUSE_MS, deadline - systemTime.now())));
      }
    }
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
    const endMs = systemTime.now() + timeoutMs * (1 - ANSWER_MARGIN_SHARE);
    const leftMs = () => Math.max(1, endMs - systemTime.now());
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // An expectation only guards against writes this connection has not seen: when what it saw last
      // is this tick or a later one, publishing under that expectation would succeed. Read instead.
      let last = this.#lastSeen.get(message.subject);
      if (last === undefined || last.tickMs >= message.tickMs) {
        last = await this.#readLast(message, leftMs());
        const covered = coveredTick(last, message);
        if (covered) return covered;
      }
      try {
        const expected = last.seq;
        const ack = await this.#watch.request(
          `Cannot publish tick '${message.msgId}'`,
          () =>
            this.#js.publish(message.subject, message.payload, {
              msgID: message.msgId,
              headers,
              expect: { lastSubjectSequence: expected },
              timeout: leftMs(),
            }),
          leftMs(),
        );
        if (!ack.duplicate) {
          this.#lastSeen.set(message.subject, ledgerEntry(ack.seq, (name) => message.headers[name]));
          return { seq: ack.seq, duplicate: false };
        }
        // Stored already: by another clock, or by an attempt of this one whose answer was lost.
        return coveredTick(await this.#readLast(message, leftMs()), message) ?? { seq: ack.seq, duplicate: true };
      } catch (error) {
        if (!isApiError(error, JetStreamApiCodes.StreamWrongLastSequence)) {
          throw await this.#failure(error, message.stream, undefined, endMs);
        }
      }
      // Someone else wrote to the subject since this connection last looked: read what is there,
      // and try again only if it is older than this tick.
      const covered = coveredTick(await this.#readLast(message, leftMs()), message);
      if (covered) return covered;
    }
    throw new Error(`Subject '${message.subject}' kept changing during ${MAX_ROUNDS} publish rounds`);
  }

  status(): AsyncIterable<ConnectionStatus> {
    return this.#link.status();
  }

  async close(): Promise<void> {
    this.#watch.close();
    await this.#link.close();
    await this.#watching;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async lastTick(target: { subject: string; stream: string }): Promise<number | undefined> {
    // Within the clock's 1 s per attempt, so that a timeout reaches it as the adapter's own error.
    return ledgerTick(await this.#readLast(target, EMIT_ATTEMPT_MS * (1 - ANSWER_MARGIN_SHARE)));
  }

  /**
   * The subject's last message as the ledger reads it; remembered as seen.
   *
   * @param timeoutMs how long to wait for a lost connection to come back, and then for the answer
   */
  async #readLast(target: { subject: string; stream: string }, timeoutMs: number): Promise<LedgerEntry> {
    const endMs = systemTime.now() + timeoutMs;
    let stored: StoredMsg | null;
    try {
      stored = await this.#watch.request(
        `Cannot read the last message of '${target.subject}'`,
        () => answerWithin(timeoutMs, this.#jsm.streams.getMessage(target.stream, { last_by_subj: target.subject })),
        timeoutMs,
      );
    } catch (error) {
      throw await this.#failure(error, target.stream, undefined, endMs);
    }
    const last = stored ? ledgerEntry(stored.seq, (name) => stored.header?.get(name)) : EMPTY_LEDGER;
    this.#lastSeen.set(target.subject, last);
    return last;
  }

  /**
   * The error a failed request on `stream` ends with: `STREAM_NOT_FOUND` or `STREAM_UNAVAILABLE` when
   * the failure is about the stream (see {@link streamFailure}; "no responders" asks the stream's info
   * to tell which), else `error` itself, as a `REQUEST_FAILED` when `what` names the request.
   *
   * @param what what was tried, such as "Cannot emit 'x'": the message's prefix; none for a tick's requests
   * @param endMs when the caller's attempt ends (epoch ms): the info is asked for no longer, so that the
   *   verdict (no answer in time: `STREAM_UNAVAILABLE`) reaches the tick's report before the attempt's timeout
   */
  async #failure(error: unknown, stream: string, what?: string, endMs = Infinity): Promise<unknown> {
    if (error instanceof WalnatsError) return error;
    let failure = streamFailure(error);
    if (failure === "noResponders") {
      const infoMs = Math.max(0, Math.min(INFO_TIMEOUT_MS, endMs - systemTime.now()));
      failure = infoVerdict(await askInfo(this.#jsm, stream, infoMs));
    }
    if (failure === "missing") return what === undefined ? streamNotFound(stream, error) : noStreamStores(what, error);
    if (failure === "unavailable") return streamUnavailable(stream, what, error);
    if (failure === "timeout") return streamTimedOut(stream, what, error);
    if (what === undefined) return error;
    return new WalnatsError(ErrorCode.RequestFailed, `${what}: ${messageOf(error)}`, { cause: error });
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
  async #addOrUpdate(event: Event, wanted: ReturnType<typeof streamConfig>) {
    try {
      return await this.#jsm.streams.add(wanted);
    } catch (error) {
      const existing = await this.#streamConfig(wanted.name);
      if (!existing) throw error;
      checkExisting(event, wanted, existing);
      return await this.#jsm.streams.update(wanted.name, wanted);
    }
  }
}

/**
 * Refuses an existing stream that the event's settings cannot update, or that records another payload kind.
 *
 * @throws {StreamConflictError} for a setting that cannot change
 * @throws {WalnatsError} `PAYLOAD_KIND_MISMATCH`
 */
function checkExisting(event: Event, wanted: ReturnType<typeof streamConfig>, existing: Partial<StreamConfig>): void {
  const conflict = findConflict(wanted, existing);
  if (conflict) throw new StreamConflictError(wanted.name, conflict.field, conflict.expected, conflict.actual);
  const stored = recordedKind(existing.description);
  if (stored !== undefined && stored !== event.payloadKind) {
    throw payloadKindMismatch(`Cannot register stream '${wanted.name}'`, event.name, stored, event.payloadKind);
  }
}

/**
 * Whether `emit()` publishes again after `error` (its `failure` as {@link NatsEventsConnection} reports it):
 * when the message cannot be stored twice (it has a `uid`) and the connection or the stream may let it
 * through now, or when the stream could not answer and surely did not store it (it answered 503, or
 * nobody answered: a server restarted a moment ago has not loaded its streams yet). A timeout may have
 * stored it.
 */
function emitRetries(error: unknown, failure: unknown, hasUid: boolean): boolean {
  if (isWalnatsError(failure, ErrorCode.ConnectionInterrupted)) return hasUid;
  if (isWalnatsError(failure, ErrorCode.StreamUnavailable)) return hasUid || !isTimeout(error);
  return false;
}

/** `answer`, or a nats.js `TimeoutError` after `timeoutMs` (the JetStream manager's own timeout is 1 s). */
async function answerWithin<T>(timeoutMs: number, answer: Promise<T>): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      answer,
      delay(timeoutMs, timer.signal).then(() => {
        throw new errors.TimeoutError();
      }),
    ]);
  } finally {
    timer.abort(CANCELLED);
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
