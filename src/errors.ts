/**
 * The stable codes of {@link WalnatsError}. Compare `error.code` with these
 * values; the messages may change between versions, the codes do not.
 *
 * @example Telling a conflict apart from other failures
 * ```ts
 * import { ErrorCode, isWalnatsError, WalnatsError } from "@walnats/clock";
 *
 * const error: unknown = new WalnatsError(ErrorCode.StreamConflict, "Stream 'x' differs");
 * if (isWalnatsError(error, ErrorCode.StreamConflict)) {
 *   // leave the stream alone and tell a person
 * }
 * ```
 */
export const ErrorCode = {
  /**
   * The server could not be reached, the connection was closed, TLS failed
   * (the server's certificate is not trusted, or the server refused the
   * client's), or a credential or TLS file could not be read.
   */
  ConnectionFailed: "CONNECTION_FAILED",
  /**
   * The server refused the credentials (user and password, token, nkey or
   * creds) or found none where it requires some. The message names the
   * server and the kind of credentials, never a secret.
   */
  AuthenticationFailed: "AUTHENTICATION_FAILED",
  /** The server answers, but JetStream is not enabled on it or for the account. */
  JetStreamNotEnabled: "JETSTREAM_NOT_ENABLED",
  /**
   * JetStream is enabled but gives no answer now: in a cluster, it has no
   * meta leader (more than half of the servers are down or cut off), so
   * `connect()` cannot check it. Retryable once the cluster has a majority.
   */
  JetStreamUnavailable: "JETSTREAM_UNAVAILABLE",
  /** The server is older than the oldest version this library supports (2.9.0). */
  ServerTooOld: "SERVER_TOO_OLD",
  /** A stream with the event's name exists with a configuration that cannot be updated to the event's. */
  StreamConflict: "STREAM_CONFLICT",
  /** A consumer with the actor's name exists with a configuration that cannot be updated to the actor's. */
  ConsumerConflict: "CONSUMER_CONFLICT",
  /**
   * The connection to the server dropped, or was replaced by a new one,
   * while a request was waiting for its answer: the answer will not come,
   * and the request may or may not have reached the server. Retryable: a
   * clock tries the tick again as soon as the connection is back (the ledger
   * keeps it stored once), and `emit()` with a `uid` does the same; `emit()`
   * without one rejects with this code, as the message may have been stored.
   */
  ConnectionInterrupted: "CONNECTION_INTERRUPTED",
  /** The event's stream does not exist: register the event first. */
  StreamNotFound: "STREAM_NOT_FOUND",
  /**
   * The event's stream exists (or may exist) but cannot answer now: in a
   * cluster it has no leader or no quorum, so the server answers its
   * publishes with "no responders" (the message then says so), or it gave
   * no answer within the request's time (the message says only that).
   * Retryable: a clock keeps trying until the next tick is due, and reports
   * a missed tick with this error.
   */
  StreamUnavailable: "STREAM_UNAVAILABLE",
  /** The actor's consumer does not exist: register the actor first. */
  ConsumerNotFound: "CONSUMER_NOT_FOUND",
  /** No schedule has the id given to `pause()`, `resume()`, `delete()` or `describe()`. */
  ScheduleNotFound: "SCHEDULE_NOT_FOUND",
  /**
   * The event's stream records another payload kind than the event's schema
   * has (`date` against `json`, say): the stream holds, or its schedules fire,
   * payloads of that kind, which an actor of this event could not decode. An
   * event has one payload kind everywhere; the message names the event, the
   * stream's kind and the kind given. Nothing was created or changed: use the
   * same schema in every process, or another event.
   */
  PayloadKindMismatch: "PAYLOAD_KIND_MISMATCH",
  /** The server refused a request; `cause` holds its error. */
  RequestFailed: "REQUEST_FAILED",
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/**
 * The base class of the errors a caller may want to catch: failures of the
 * server or of its state, never of the arguments (those are `TypeError` and
 * `RangeError`, thrown at once).
 *
 * @example Catching a domain failure by its code
 * ```ts
 * import assert from "node:assert/strict";
 * import { ErrorCode, WalnatsError } from "@walnats/clock";
 *
 * const error = new WalnatsError(ErrorCode.StreamNotFound, "Stream 'x' does not exist");
 * assert.equal(error.code, "STREAM_NOT_FOUND");
 * ```
 */
export class WalnatsError extends Error {
  /** The stable code of the failure. */
  readonly code: ErrorCode;

  /**
   * Creates an error with a code.
   *
   * @param code the stable code of the failure
   * @param message a sentence for a person
   * @param options `cause`: the underlying error, if any
   */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WalnatsError";
    this.code = code;
  }
}

/**
 * Whether `error` is a {@link WalnatsError}, and, when `code` is given, one
 * with that code: one call instead of an `instanceof` and a comparison.
 *
 * @example Retrying only when the stream is missing
 * ```ts
 * import assert from "node:assert/strict";
 * import { ErrorCode, isWalnatsError, WalnatsError } from "@walnats/clock";
 *
 * const error: unknown = new WalnatsError(ErrorCode.StreamNotFound, "Stream 'x' does not exist");
 * assert.ok(isWalnatsError(error));
 * assert.ok(isWalnatsError(error, ErrorCode.StreamNotFound));
 * assert.ok(!isWalnatsError(error, ErrorCode.StreamConflict));
 * assert.ok(!isWalnatsError(new Error("other")));
 * ```
 *
 * @param error anything caught
 * @param code the code it must have, if any
 * @returns true when it is a `WalnatsError` (with that code)
 */
export function isWalnatsError(error: unknown, code?: ErrorCode): error is WalnatsError {
  return error instanceof WalnatsError && (code === undefined || error.code === code);
}

/** The message of an error, or the text of anything else thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A stream named like the event exists, and one of its settings cannot be
 * changed to the event's. Nothing was changed: neither this stream nor the
 * streams of the other events being registered.
 *
 * @example Reading which setting is in the way
 * ```ts
 * import assert from "node:assert/strict";
 * import { StreamConflictError } from "@walnats/clock";
 *
 * const error = new StreamConflictError("minute-passed", "storage", "file", "memory");
 * assert.equal(error.field, "storage");
 * ```
 */
export class StreamConflictError extends WalnatsError {
  /** The name of the stream. */
  readonly stream: string;
  /** The stream configuration field that conflicts, as the server names it. */
  readonly field: string;
  /** The value the event needs. */
  readonly expected: unknown;
  /** The value the existing stream has. */
  readonly actual: unknown;

  /**
   * Creates the error for one conflicting field.
   *
   * @param stream the stream's name
   * @param field the conflicting configuration field
   * @param expected the value the event needs
   * @param actual the value the stream has
   */
  constructor(stream: string, field: string, expected: unknown, actual: unknown) {
    super(
      ErrorCode.StreamConflict,
      `Stream '${stream}' exists with ${field} ${JSON.stringify(actual)}, ` +
        `but the event needs ${JSON.stringify(expected)}; the stream was left as it was`,
    );
    this.name = "StreamConflictError";
    this.stream = stream;
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A consumer named like the actor exists, and one of its settings cannot be
 * changed to the actor's. Nothing was changed.
 *
 * @example Reading which setting is in the way
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConsumerConflictError } from "@walnats/clock";
 *
 * const error = new ConsumerConflictError("order-placed", "email", "filter_subject", "order-placed", undefined);
 * assert.equal(error.field, "filter_subject");
 * ```
 */
export class ConsumerConflictError extends WalnatsError {
  /** The name of the stream. */
  readonly stream: string;
  /** The name of the consumer: the actor's. */
  readonly consumer: string;
  /** The consumer configuration field that conflicts, as the server names it. */
  readonly field: string;
  /** The value the actor needs. */
  readonly expected: unknown;
  /** The value the existing consumer has. */
  readonly actual: unknown;

  /**
   * Creates the error for one conflicting field.
   *
   * @param stream the stream's name
   * @param consumer the consumer's name
   * @param field the conflicting configuration field
   * @param expected the value the actor needs (`undefined`: unset)
   * @param actual the value the consumer has
   * @param advice what to do about it, a sentence appended to the message
   */
  constructor(stream: string, consumer: string, field: string, expected: unknown, actual: unknown, advice?: string) {
    super(
      ErrorCode.ConsumerConflict,
      `Consumer '${consumer}' of stream '${stream}' exists with ${field} ${JSON.stringify(actual) ?? "unset"}, ` +
        `but the actor needs ${JSON.stringify(expected) ?? "it unset"}; the consumer was left as it was` +
        (advice === undefined ? "" : `. ${advice}`),
    );
    this.name = "ConsumerConflictError";
    this.stream = stream;
    this.consumer = consumer;
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The error of `listen()` for an actor whose consumer does not exist. */
export function consumerNotFound(actor: { name: string; event: { stream: string } }, cause?: unknown): WalnatsError {
  return new WalnatsError(
    ErrorCode.ConsumerNotFound,
    `Cannot listen: actor '${actor.name}' has no consumer on stream '${actor.event.stream}'; register the actor first`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The error of a use of one of the library's own buckets (the actors' attempts bucket, the overlap leases) when
 * a stream that is not a KV bucket holds the bucket's name: what goes there would go nowhere. Nothing is
 * changed; the stream is a person's to move.
 *
 * @param purpose what the bucket is ("the actors' attempts bucket") and what waits for it ("delayed messages")
 */
export function ownBucketTaken(
  stream: string,
  subject: string,
  subjects: readonly string[],
  purpose: { readonly what: string; readonly blocked: string },
): WalnatsError {
  return new WalnatsError(
    ErrorCode.StreamConflict,
    `Stream '${stream}' is not ${purpose.what}: it stores ${JSON.stringify(subjects)}, not ` +
      `'${subject}'; ${purpose.blocked} cannot be handled until it is deleted or renamed (it was left as it was)`,
  );
}

/** The error of a tick's publish or ledger read on a stream that does not exist. */
export function streamNotFound(stream: string, cause?: unknown): WalnatsError {
  return new WalnatsError(
    ErrorCode.StreamNotFound,
    `Stream '${stream}' does not exist: register the event first`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The error of a tick's publish or ledger read, or of `what` (such as "Cannot emit 'x'"), when the server
 * said the stream cannot answer (status 503, or no responders while the stream exists).
 */
export function streamUnavailable(stream: string, what?: string, cause?: unknown): WalnatsError {
  return new WalnatsError(
    ErrorCode.StreamUnavailable,
    `${what === undefined ? "" : `${what}: `}stream '${stream}' cannot answer now (no leader or no quorum in its ` +
      "cluster); try again later",
    cause === undefined ? {} : { cause },
  );
}

/**
 * The error of a tick's publish or ledger read, or of `what`, when the stream gave no answer within the
 * request's time: all that is known is the time, so that is all it says (a slow server is not a lost leader).
 */
export function streamTimedOut(stream: string, what?: string, cause?: unknown): WalnatsError {
  return new WalnatsError(
    ErrorCode.StreamUnavailable,
    `${what === undefined ? "" : `${what}: `}stream '${stream}' did not answer in time; try again later`,
    cause === undefined ? {} : { cause },
  );
}

/** The error of `what` (such as "Cannot emit 'x'") when the connection dropped or reconnected while it waited. */
export function connectionInterrupted(what: string, cause?: unknown): WalnatsError {
  return new WalnatsError(
    ErrorCode.ConnectionInterrupted,
    `${what}: the connection to NATS was interrupted while waiting for the answer; the request may or may not ` +
      "have reached the server",
    cause === undefined ? {} : { cause },
  );
}

/** The error of `what` (such as "Cannot emit 'x'") when no stream stores the event's subject. */
export function noStreamStores(what: string, cause?: unknown): WalnatsError {
  return new WalnatsError(
    ErrorCode.StreamNotFound,
    `${what}: no stream stores it; register the event first`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The error of `what` (such as "Cannot register stream 'ping'") when the event's stream records the payload
 * kind `stored` and the event has `given`.
 */
export function payloadKindMismatch(what: string, event: string, stored: string, given: string): WalnatsError {
  return new WalnatsError(
    ErrorCode.PayloadKindMismatch,
    `${what}: event '${event}' has payload kind '${stored}' (recorded on its stream), got '${given}'; an event ` +
      "has one payload kind everywhere: nothing was created or changed",
  );
}

/** The error of `what` (such as "Cannot upsert schedule 'x'") when the event's stream does not exist. */
export function eventNotRegistered(what: string, event: { name: string; stream: string }): WalnatsError {
  return new WalnatsError(
    ErrorCode.StreamNotFound,
    `${what}: stream '${event.stream}' of event '${event.name}' does not exist; register the event first`,
  );
}

/** The error of `register()` for an actor whose event's stream does not exist. */
export function actorStreamNotFound(
  actor: { name: string; event: { name: string; stream: string } },
  cause?: unknown,
): WalnatsError {
  return new WalnatsError(
    ErrorCode.StreamNotFound,
    `Cannot register actor '${actor.name}': stream '${actor.event.stream}' of event '${actor.event.name}' ` +
      "does not exist; register the event first",
    cause === undefined ? {} : { cause },
  );
}
