/**
 * What happens to one delivery of a message to an actor: the rules of
 * delays, attempts, retries, termination and job timeouts, shared by the
 * NATS connection and the in-memory one of `@walnats/clock/testing`.
 *
 * @module
 */
import { CANCELLED } from "../_async.ts";
import {
  DELAY_HEADER,
  NEXT_TICK_HEADER,
  NOT_BEFORE_HEADER,
  PAUSE_ON_FAILURE_HEADER,
  PREVIOUS_TICK_HEADER,
  SCHEDULE_HEADER,
  TICK_HEADER,
} from "../events/_headers.ts";
import { pauseRecord, pauseRequestOf, type RecordBucket } from "../events/_pause_request.ts";
import type { Actor, JobContext, JobEvent } from "./actor.ts";
import type { TimeSource } from "../core/time_source.ts";
import { messageOf } from "../errors.ts";
import { type OverlapGate, OverlapKeyError } from "./_overlap.ts";
import { startProcess } from "../events/_tracing.ts";

/** The longest nak of a message that is not due yet; it is checked again then. */
const MAX_DELAY_NAK_MS = 3600_000;

/** One delivery of a message to an actor, whatever brought it. */
export interface Delivery {
  /** The message's stream sequence. */
  readonly seq: number;
  /** The message's subject: the event's, or a schedule's for its fires. */
  readonly subject: string;
  /** The payload's bytes. */
  readonly data: Uint8Array;
  /** The message's headers, first value of each. */
  readonly headers: Readonly<Record<string, string>>;
  /** How many times the message was delivered to this actor, this delivery included. */
  readonly deliveryCount: number;
  /**
   * Done: never deliver it again. Resolves once it is sent: the backend confirms it in the background (the
   * job's slot is free meanwhile) and tells the job event `unconfirmed` when it cannot.
   */
  ack(): Promise<void>;
  /** Deliver it again after `delayMs`. Resolves once it is sent, as {@link Delivery.ack} does. */
  nak(delayMs: number): Promise<void>;
  /** Given up: never deliver it again. Resolves once it is sent, as {@link Delivery.ack} does. */
  term(): Promise<void>;
}

/**
 * Where the delivery count at a delayed message's first attempt is noted:
 * its deliveries before it was due were no attempts.
 */
export interface AttemptNotes {
  /**
   * Notes `count` under `key` unless a count is noted there already; returns the count noted.
   *
   * @param seq the message's stream sequence, for the job event of a bucket made again
   */
  first(key: string, count: number, seq: number): Promise<number>;
  /** Drops the note. */
  forget(key: string, seq: number): Promise<void>;
}

/** What handling a delivery needs besides the actor and the delivery. */
interface DeliveryContext {
  /** The time delays and job timeouts run on. */
  time: TimeSource;
  /** Where delayed messages' first attempts are noted. */
  notes: AttemptNotes;
  /** Told about every start, success, failure, termination and early delivery. */
  onEvent: (event: JobEvent) => void;
  /** Lets one run of a key at a time through, when the actor's `overlap` is not `allow`. */
  overlap?: OverlapGate | undefined;
  /** Where a fire given up pauses its schedule (`Walnats-Pause-On-Failure`); without it, none is paused. */
  records?: RecordBucket | undefined;
}

/**
 * Runs the actor's handler on a delivery and acks, naks (after the retry
 * delay) or terminates it; a delivery that is not due yet is nak'ed for
 * the time left. Never throws for the handler's failures.
 *
 * Each attempt (not a delivery given back before it is due) is a `process <event>` span whose parent is the
 * message's trace context, and the handler runs inside it; the span ends with the attempt's last job event.
 */
export async function handleDelivery(actor: Actor, delivery: Delivery, context: DeliveryContext): Promise<void> {
  const { time, onEvent } = context;
  const { seq, subject, headers } = delivery;
  const dueMs = dueMsOf(
    headers,
    (header, value) => onEvent({ type: "bad-header", actor: actor.name, seq, header, value }),
  );
  const now = time.now();
  if (dueMs !== undefined && dueMs > now) {
    await delivery.nak(Math.min(dueMs - now, MAX_DELAY_NAK_MS));
    onEvent({ type: "delayed", actor: actor.name, seq, dueMs });
    return;
  }
  const span = startProcess({ event: actor.event.name, actor: actor.name, subject, seq, headers });
  if (span === undefined) return await runAttempt(actor, delivery, dueMs !== undefined, context);
  const told = (event: JobEvent) => {
    span.note(event);
    onEvent(event);
  };
  await span.run(() => runAttempt(actor, delivery, dueMs !== undefined, { ...context, onEvent: told }));
}

/** One attempt at a due delivery: {@link handleDelivery} past its delay check. */
async function runAttempt(actor: Actor, delivery: Delivery, delayed: boolean, context: DeliveryContext): Promise<void> {
  const { time, notes, onEvent } = context;
  const { seq, headers } = delivery;
  const noteKey = `${actor.event.stream}.${actor.name}.${seq}`;
  let attempt = delivery.deliveryCount;
  /** Gives the message back untried: its attempts cannot be counted, or its overlap key cannot be held, now. */
  const untried = async (error: unknown) => {
    const retryInMs = actor.retryDelayAfterMs(1);
    await delivery.nak(retryInMs);
    onEvent({ type: "failure", actor: actor.name, seq, attempt: 0, error, retryInMs });
  };
  if (delayed) {
    try {
      // Noted before the handler runs, so that a crash during it still counts.
      attempt = attempt - await notes.first(noteKey, attempt, seq) + 1;
    } catch (error) {
      return await untried(error);
    }
  }
  let payload: unknown;
  try {
    payload = actor.event.decode(delivery.data);
  } catch (cause) {
    await delivery.term();
    const error = undecodable(actor, seq, headers[SCHEDULE_HEADER], cause);
    onEvent({ type: "terminated", actor: actor.name, seq, attempt, reason: "decode", error });
    return await pauseOnFailure(actor, delivery, attempt, error, context);
  }
  const job = { attempt, seq, headers, ...origin(headers) };
  const entered = await context.overlap?.enter(payload, job).catch((error: unknown) => ({ error }));
  if (entered && "error" in entered) {
    return entered.error instanceof OverlapKeyError ? await failed(entered.error) : await untried(entered.error);
  }
  if (entered && "skipped" in entered) {
    await delivery.ack();
    onEvent({ type: "skipped", actor: actor.name, seq, attempt, key: entered.key, reason: entered.skipped });
    if (delayed) await notes.forget(noteKey, seq).catch(() => {});
    return;
  }
  onEvent({ type: "start", actor: actor.name, seq, attempt });
  const started = time.now();
  try {
    try {
      await runHandler(actor, payload, job, time, entered?.signal);
    } finally {
      // The run is over: its key is free before the message is acked or given back, so that its retry (a run of
      // the key too, maybe at once in another process) never finds the key held by this run.
      await entered?.leave();
    }
    const durationMs = time.now() - started;
    await delivery.ack();
    onEvent({ type: "success", actor: actor.name, seq, attempt, durationMs });
    if (delayed) await notes.forget(noteKey, seq).catch(() => {});
  } catch (error) {
    if (entered?.cancelled) {
      // A newer message of the key runs next: this one is done, not retried.
      await delivery.ack();
      onEvent({ type: "cancelled", actor: actor.name, seq, attempt, key: entered.key, error });
      if (delayed) await notes.forget(noteKey, seq).catch(() => {});
    } else {
      await failed(error);
    }
  }

  /** A failed attempt: given back after the retry delay, or terminated (and maybe paused) after the last. */
  async function failed(error: unknown): Promise<void> {
    if (attempt >= actor.maxAttempts) {
      await delivery.term();
      onEvent({ type: "terminated", actor: actor.name, seq, attempt, reason: "attempts", error });
      if (delayed) await notes.forget(noteKey, seq).catch(() => {});
      await pauseOnFailure(actor, delivery, attempt, error, context);
    } else {
      const retryInMs = actor.retryDelayAfterMs(attempt);
      await delivery.nak(retryInMs);
      onEvent({ type: "failure", actor: actor.name, seq, attempt, error, retryInMs });
    }
  }
}

/** The longest error message a pause note quotes: a note is read by people, in `describe` and `list`. */
const MAX_NOTE_ERROR = 500;

/**
 * Pauses the schedule of a fire the actor gave up, when the fire asks for it (`Walnats-Pause-On-Failure`):
 * a compare-and-set at the revision that fired, with a note naming the actor, the attempts and the error. Tells
 * `paused`, `pause-skipped` (the schedule changed since: left alone) or `pause-failure` (the bucket cannot be
 * read or written, e.g. with these credentials); never throws, the actor goes on.
 */
async function pauseOnFailure(
  actor: Actor,
  { seq, headers }: Delivery,
  attempt: number,
  error: unknown,
  { records, time, onEvent }: DeliveryContext,
): Promise<void> {
  const request = pauseRequestOf(headers);
  if (request === undefined || records === undefined) return;
  if ("bad" in request) {
    return onEvent({ type: "bad-header", actor: actor.name, seq, header: PAUSE_ON_FAILURE_HEADER, value: request.bad });
  }
  const { key: schedule, revision } = request;
  const tick = headers[TICK_HEADER] ? ` of ${new Date(Number(headers[TICK_HEADER])).toISOString()}` : "";
  const reason = messageOf(error);
  const note = `Paused on failure: actor '${actor.name}' gave up the fire${tick} (message ${seq}) after ` +
    `${attempt} ${attempt === 1 ? "attempt" : "attempts"}: ${
      reason.length > MAX_NOTE_ERROR ? `${reason.slice(0, MAX_NOTE_ERROR)}…` : reason
    }`;
  try {
    const outcome = await pauseRecord(records, request, note, time.now());
    onEvent(
      outcome === "paused"
        ? { type: "paused", actor: actor.name, seq, schedule, revision, note }
        : { type: "pause-skipped", actor: actor.name, seq, schedule, revision },
    );
  } catch (error) {
    onEvent({ type: "pause-failure", actor: actor.name, seq, schedule, error });
  }
}

/** What a delay header's value must look like to count: a decimal number, as both libraries write it. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The epoch ms before which a message must not be handled, `undefined` when
 * it is not delayed: the later of our `Walnats-Not-Before` (epoch ms) and
 * Python walnats' `Walnats-Delay` (epoch seconds, a float), rounded up so
 * that it never runs early. A value that is not a number counts as absent
 * and is handed to `onBadValue`.
 */
function dueMsOf(
  headers: Readonly<Record<string, string>>,
  onBadValue: (header: string, value: string) => void,
): number | undefined {
  let dueMs: number | undefined;
  for (const [header, msPerUnit] of [[NOT_BEFORE_HEADER, 1], [DELAY_HEADER, 1000]] as const) {
    const value = headers[header];
    if (value === undefined) continue;
    if (!DECIMAL.test(value)) {
      onBadValue(header, value);
      continue;
    }
    dueMs = Math.max(dueMs ?? -Infinity, Math.ceil(Number(value) * msPerUnit));
  }
  return dueMs;
}

/**
 * The error of a payload the actor's event cannot decode: it names what a person needs to find the message
 * (the stream sequence, and the schedule that fired it, if any) and the kind the actor expected.
 */
function undecodable(actor: Actor, seq: number, schedule: string | undefined, cause: unknown): TypeError {
  const source = schedule ? ` (fired by schedule '${schedule}')` : "";
  return new TypeError(
    `Cannot decode message ${seq} of stream '${actor.event.stream}'${source} as payload kind ` +
      `'${actor.event.payloadKind}': ${messageOf(cause)}`,
    { cause },
  );
}

/**
 * Where a message stands on its schedule, from its headers, when it is a clock's tick or a schedule's fire:
 * its tick, its schedule, the ticks before and after it. A header that is not a number counts as absent.
 */
function origin(
  headers: Readonly<Record<string, string>>,
): Pick<JobContext, "tick" | "schedule" | "previousTick" | "nextTick"> {
  const schedule = headers[SCHEDULE_HEADER];
  const instants = { tick: TICK_HEADER, previousTick: PREVIOUS_TICK_HEADER, nextTick: NEXT_TICK_HEADER };
  const dates = Object.entries(instants)
    .map(([field, header]) => [field, Number(headers[header] || NaN)] as const)
    .filter(([, ms]) => !Number.isNaN(ms))
    .map(([field, ms]) => [field, new Date(ms)]);
  return { ...Object.fromEntries(dates), ...(schedule ? { schedule } : {}) };
}

/** The signal of a job without a timeout: it never aborts. */
const NO_TIMEOUT = new AbortController().signal;

/**
 * Runs the handler; once `jobTimeout` has passed, aborts the job's signal and rejects. The signal also aborts
 * with `cancel` (the overlap lease's: a newer message of the key asks the run to stop).
 */
async function runHandler(
  actor: Actor,
  payload: unknown,
  context: Omit<JobContext, "signal">,
  time: TimeSource,
  cancel: AbortSignal | undefined,
): Promise<void> {
  if (actor.jobTimeoutMs === Infinity) {
    await actor.handler(payload as never, { ...context, signal: cancel ?? NO_TIMEOUT });
    return;
  }
  const timeout = new AbortController();
  const timer = new AbortController();
  const timedOut = time.sleep(actor.jobTimeoutMs, timer.signal).then(() => {
    const error = new Error(`Job timed out after ${actor.jobTimeoutMs} ms`);
    timeout.abort(error);
    throw error;
  });
  try {
    const signal = cancel ? AbortSignal.any([timeout.signal, cancel]) : timeout.signal;
    const job = Promise.resolve().then(() => actor.handler(payload as never, { ...context, signal }));
    await Promise.race([job, timedOut]);
  } finally {
    timer.abort(CANCELLED);
  }
}
