import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import { errors } from "@nats-io/nats-core";
import { CANCELLED, delay } from "../_async.ts";

/** Whether nats.js rejected with the JetStream API error `code` (one of `JetStreamApiCodes`). */
export function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** nats.js's `JetStreamNotEnabled`, which its main entry point does not export. */
export function isJetStreamNotEnabled(error: unknown): boolean {
  return error instanceof Error && error.name === "JetStreamNotEnabled";
}

/** Whether no stream answered: nats.js reports a publish that no stream takes as "JetStream not enabled". */
export function isStreamMissing(error: unknown): boolean {
  return isJetStreamNotEnabled(error) || isApiError(error, JetStreamApiCodes.StreamNotFound);
}

/**
 * What a failed publish or ledger read on an event's stream says about the stream:
 *
 * - `missing`: the server answered "stream not found" (API error 10059);
 * - `unavailable`: the server answered with status 503 (such as 10008, "JetStream system temporarily
 *   unavailable"): the stream is there but has no leader or no quorum now;
 * - `timeout`: no answer in the request's time on a connection that stayed up (callers give up requests
 *   the connection cut off before): a slow or busy server, or, in a cluster, a stream without a leader,
 *   whose reads get no answer at all. Only the time is known, so only the time is reported;
 * - `noResponders`: nobody answered the request ("no responders", which nats.js reports as
 *   `JetStreamNotEnabled` for JetStream requests): either no stream stores the subject, or the one that
 *   does has no leader now (in a cluster only the leader listens). Only the stream's info tells which:
 *   see {@link infoVerdict};
 * - `undefined`: anything else (a wrong last sequence, ...), not about the stream.
 */
export function streamFailure(error: unknown): "missing" | "unavailable" | "timeout" | "noResponders" | undefined {
  if (isApiError(error, JetStreamApiCodes.StreamNotFound)) return "missing";
  if (error instanceof JetStreamApiError && error.status === 503) return "unavailable";
  if (isTimeout(error)) return "timeout";
  if (isNoResponders(error)) return "noResponders";
  return undefined;
}

/**
 * After a request on a stream got no responders: what the stream's info request (asked with a short
 * timeout) says. Only the server's "stream not found" makes the stream `missing`; an info answer (the
 * stream exists), another error or no answer in time makes it `unavailable`, which callers retry.
 *
 * @param info how the info request ended: its error, or `undefined` when it answered
 */
export function infoVerdict(info: { error: unknown } | undefined): "missing" | "unavailable" {
  return info !== undefined && isApiError(info.error, JetStreamApiCodes.StreamNotFound) ? "missing" : "unavailable";
}

/**
 * Asks a stream's info (or, given `consumer`, that consumer's) for at most `timeoutMs`, for
 * {@link infoVerdict}.
 *
 * @returns `undefined` when it answered, else its error (or a timeout's)
 */
export async function askInfo(
  jsm: JetStreamManager,
  stream: string,
  timeoutMs: number,
  consumer?: string,
): Promise<{ error: unknown } | undefined> {
  const timer = new AbortController();
  const info: Promise<unknown> = consumer === undefined
    ? jsm.streams.info(stream)
    : jsm.consumers.info(stream, consumer);
  try {
    return await Promise.race([
      info.then(() => undefined, (error: unknown) => ({ error })),
      delay(timeoutMs, timer.signal).then(() => ({ error: new Error(`No answer within ${timeoutMs} ms`) })),
    ]);
  } finally {
    timer.abort(CANCELLED);
  }
}

/** A nats.js timeout: bare, or the cause of a core `RequestError`. */
export function isTimeout(error: unknown): boolean {
  return error instanceof errors.TimeoutError ||
    error instanceof errors.RequestError && error.cause instanceof errors.TimeoutError;
}

/**
 * "No responders": a core `RequestError` caused by it, or nats.js's `JetStreamNotEnabled` wrapping one
 * (not the one wrapping the API's "JetStream not enabled for account", whose cause is an API error).
 */
export function isNoResponders(error: unknown): boolean {
  if (error instanceof errors.RequestError) return error.isNoResponders();
  if (error instanceof errors.NoRespondersError) return true;
  return isJetStreamNotEnabled(error) && !((error as Error).cause instanceof JetStreamApiError);
}
