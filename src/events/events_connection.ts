import type { ConnectionStatus } from "./connection_status.ts";
import type { Event } from "./event.ts";
import type { Publisher, PublishResult } from "./publisher.ts";
import type { Payload, Schema } from "./serializer.ts";

/** Options of {@link EventsConnection.emit}. */
export interface EmitOptions {
  /**
   * The message's id (`Nats-Msg-Id`): a second emit with the same id within
   * the stream's duplicate window is dropped.
   */
  uid?: string;
  /** Headers added to the message, copied verbatim. */
  meta?: Record<string, string>;
  /** Seconds from now before which no actor handles the message (a one-off schedule). Not with `at`. */
  delay?: number;
  /** The instant before which no actor handles the message. Not with `delay`. */
  at?: Date;
}

/**
 * A connection for a set of events, from `Events.connect()`: to a NATS server,
 * or to the in-memory server of `@walnats/clock/testing`.
 * Pass it to `Clock.run()`; close it (or let `await using` do it) when done.
 */
export interface EventsConnection extends Publisher, AsyncDisposable {
  /**
   * Creates the stream of every event, or updates it to the event's settings.
   * Checks every stream before changing any: when one conflicts, none is
   * created or changed. Each stream records its event's payload kind
   * (`Event.payloadKind`; on NATS at the end of the stream's description); a
   * stream of an older version, which records none, is given it.
   *
   * @throws {StreamConflictError} when a stream exists with settings that cannot be updated
   * @throws {WalnatsError} `PAYLOAD_KIND_MISMATCH` when a stream records another payload kind than its
   *   event's; `STREAM_CONFLICT` when another stream stores an event's subject already;
   *   `REQUEST_FAILED` when the server refuses
   */
  register(): Promise<void>;
  /**
   * Checks that the event's stream records the event's payload kind, and
   * records it on a stream of an older version that records none (nothing
   * else of the stream changes): what a schedule's upsert does first.
   *
   * @param event the event
   * @param what what is being done, such as "Cannot upsert schedule 'x'": the error messages start with it
   * @throws {WalnatsError} `PAYLOAD_KIND_MISMATCH` when the stream records another kind;
   *   `STREAM_NOT_FOUND` when the event is not registered
   */
  recordPayloadKind(event: Event, what: string): Promise<void>;
  /**
   * Publishes one message and waits for JetStream to store it. On NATS, while
   * the connection is lost it waits (up to 5 s) for it to come back first; a
   * message with a `uid` whose answer a reconnect cut off is published again
   * (the stream drops the copy if the first one was stored). A stream that
   * cannot answer yet (a server that just restarted, a leader being elected)
   * is tried again within the same 5 s: every message while nobody answered,
   * after a timeout only one with a `uid`.
   *
   * @param event the event
   * @param value the payload
   * @param options `uid`: the dedup id; `meta`: headers
   * @returns the stream sequence, and whether it was a duplicate
   * @throws {TypeError} when the value or options are not usable
   * @throws {WalnatsError} `STREAM_NOT_FOUND` when the event is not registered; `STREAM_UNAVAILABLE` when
   *   its stream cannot answer (no leader, or no answer in time) within those 5 s; `CONNECTION_INTERRUPTED` when a reconnect cut off the answer
   *   to a message without `uid` (it may have been stored); `CONNECTION_FAILED` when the connection is not
   *   back within 5 s
   */
  emit<S extends Schema>(event: Event<S>, value: Payload<S>, options?: EmitOptions): Promise<PublishResult>;
  /**
   * The connection's disconnects and reconnects, as they happen, until it is
   * closed: for health checks, logs and metrics. Each call starts a new
   * iteration. The NATS connection has it; the in-memory one has not.
   */
  status?(): AsyncIterable<ConnectionStatus>;
  /** Closes the connection if `connect()` opened it; a connection you passed in stays open. */
  close(): Promise<void>;
}
