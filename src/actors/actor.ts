import { describe } from "../_describe.ts";
import { wholeMs } from "../core/_units.ts";
import { Event } from "../events/event.ts";
import type { Payload, Schema } from "../events/serializer.ts";

/** What a handler gets besides the payload. */
export interface JobContext {
  /** Which attempt this is, 1 for the first run (waiting out a delay is not an attempt). */
  readonly attempt: number;
  /** The message's stream sequence. */
  readonly seq: number;
  /** Aborts when `jobTimeout` passes. */
  readonly signal: AbortSignal;
  /** The message's headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The scheduled instant of a clock's tick or a schedule's fire (its `Walnats-Tick`); absent on other messages. */
  readonly tick?: Date;
  /** The id of the schedule whose fire this is (its `Walnats-Schedule`); absent on other messages. */
  readonly schedule?: string;
  /**
   * The tick before `tick` on its clock's or schedule's ticks (its `Walnats-Previous-Tick`), within the
   * schedule's bounds; absent when there is none (the first tick after `startAt`, a one-off `at`) and on other
   * messages. A trigger's is the last tick before the trigger.
   */
  readonly previousTick?: Date;
  /**
   * The tick after `tick` on its clock's or schedule's ticks (its `Walnats-Next-Tick`), within the schedule's
   * bounds; absent when there is none (past `stopAt` or the last of `maxTicks`, a one-off `at`) and on other
   * messages. A trigger's is the first tick after the trigger.
   */
  readonly nextTick?: Date;
}

/** Handles one event's payload; a throw or rejection is a failed attempt. */
export type Handler<S extends Schema> = (payload: Payload<S>, context: JobContext) => unknown;

/**
 * What a fire does when a run of its key is going on somewhere in the fleet (see `ActorOptions.overlap`):
 * `allow` runs it anyway; `skip` acks it unrun; `bufferOne` waits (one fire of the key at most, fleet-wide;
 * later ones are skipped); `bufferAll` waits in line (at most 100 fires of a key in each process; later ones are
 * skipped); `cancelOther` aborts the running handler's `signal` and runs once that run has ended.
 */
export type OverlapPolicy = "allow" | "skip" | "bufferOne" | "bufferAll" | "cancelOther";

/** The policies of {@link OverlapPolicy}. */
const OVERLAP_POLICIES: readonly OverlapPolicy[] = ["allow", "skip", "bufferOne", "bufferAll", "cancelOther"];

/** Options of an {@link Actor}. Durations are in seconds. */
export interface ActorOptions<S extends Schema = Schema> {
  /** Attempts in all, the first included, before the message is terminated. Default 5. */
  maxAttempts?: number;
  /** Seconds to wait after the n-th failed attempt: `retryDelay[n-1]`, the last value repeating. Default 0.5, 1, 2, 4. */
  retryDelay?: number | readonly number[];
  /** Seconds the server waits for an ack before it redelivers (a crashed process's message). Default 30. */
  ackWait?: number;
  /** Handlers of this actor running at once in one process. Default 16. */
  maxJobs?: number;
  /** Seconds after which a running handler counts as failed; its `signal` aborts. Default: none. */
  jobTimeout?: number;
  /**
   * What a message does while a run of its key goes on in any process of the actor: `allow` (default, no
   * control), `skip`, `bufferOne`, `bufferAll` or `cancelOther` ({@link OverlapPolicy}). A lease per
   * (actor, key) in the `walnats-leases` bucket holds the key while a handler runs; a dead holder's lease
   * frees within 6 s. A retry is a run of its key like any other.
   */
  overlap?: OverlapPolicy;
  /**
   * The key of a message under `overlap`. Default: the schedule's id for a schedule's fire, the event's name
   * for a clock's tick and any other message (one run of the actor at a time). A throw here fails the attempt as
   * the handler's would (retried, then terminated after `maxAttempts`).
   */
  overlapKey?: (payload: Payload<S>, context: Omit<JobContext, "signal">) => string;
}

/**
 * Something that happened to a message of an actor, for `listen({ onEvent })`.
 * `unconfirmed`: the server did not confirm the ack (`reply` says which: `ack`,
 * `nak` or `term`) before the message's ack wait ran out, the connection
 * being lost meanwhile or the server not answering: the server may deliver
 * the message again (an ack after a `success` then runs the handler again).
 * `bad-header`: a delay header (`Walnats-Not-Before`, epoch ms, or Python
 * walnats' `Walnats-Delay`, epoch seconds) holds something other than a
 * number; the delivery goes on as if the header were absent.
 * `pull-failure`: the actor could not pull its messages; its `error` is a
 * `WalnatsError` `CONSUMER_NOT_FOUND` for as long as the actor's consumer
 * (or its event's stream) is deleted: it is not made again behind your back
 * (it would skip the messages stored meanwhile), `register()` does it.
 * `recreated`: the library found one of its own resources deleted while
 * handling message `seq` and made it again (`resource`: `KV_walnats-attempts`,
 * where delayed messages' attempts are counted, or `KV_walnats-leases`, where
 * `overlap` keeps its leases).
 * `paused`: the actor gave up (`terminated`) a fire of a schedule with
 * `pauseOnFailure` and paused the schedule, at the revision that fired,
 * with `note`. `pause-skipped`: the schedule had changed since that fire
 * (upserted, paused, resumed or deleted, also by another actor that gave the
 * fire up first): it was left alone. `pause-failure`: the schedules' bucket
 * could not be read or written (`error`; e.g. the actor's credentials may
 * not write it): nothing paused, the actor goes on.
 * `waiting`: under `overlap`, the message waits for a run of its `key` to end
 * (it holds no job slot meanwhile; its ack is kept alive); `waited` when it
 * stops waiting (it got the key, or a newer message did). `skipped`: under
 * `overlap`, the message was acked without running the handler. `cancelled`:
 * under `cancelOther`, a newer message of the key asked the run to stop (its
 * `signal` aborted) and the handler then failed: the message is acked, not
 * retried.
 */
export type JobEvent =
  | { type: "start"; actor: string; seq: number; attempt: number }
  | { type: "success"; actor: string; seq: number; attempt: number; durationMs: number }
  | { type: "failure"; actor: string; seq: number; attempt: number; error: unknown; retryInMs: number }
  | { type: "terminated"; actor: string; seq: number; attempt: number; reason: "attempts" | "decode"; error: unknown }
  | { type: "delayed"; actor: string; seq: number; dueMs: number }
  | { type: "pull-failure"; actor: string; error: unknown }
  | { type: "unconfirmed"; actor: string; seq: number; reply: "ack" | "nak" | "term"; error: unknown }
  | { type: "bad-header"; actor: string; seq: number; header: string; value: string }
  | { type: "recreated"; actor: string; seq: number; resource: string }
  | { type: "paused"; actor: string; seq: number; schedule: string; revision: number; note: string }
  | { type: "pause-skipped"; actor: string; seq: number; schedule: string; revision: number }
  | { type: "pause-failure"; actor: string; seq: number; schedule: string; error: unknown }
  | { type: "waiting"; actor: string; seq: number; key: string }
  | { type: "waited"; actor: string; seq: number; key: string; waitedMs: number }
  | { type: "skipped"; actor: string; seq: number; attempt: number; key: string; reason: SkipReason }
  | { type: "cancelled"; actor: string; seq: number; attempt: number; key: string; error: unknown };

/**
 * Why a fire was skipped under `overlap`: a run of its key was going on (`running`, with `skip`), a fire
 * already waited for it (`waiting`, with `bufferOne`), 100 fires of the key waited in this process (`full`,
 * with `bufferAll`), or a newer fire of the key ran (`newer`, with `cancelOther`).
 */
export type SkipReason = "running" | "waiting" | "full" | "newer";

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Work that runs on every message of an event, anywhere: one durable
 * consumer per actor name, so the same actor in many processes shares the
 * messages, and actors of different names each get every message.
 *
 * @example An actor that refreshes a cache every 5 minutes
 * ```ts
 * import { Actor, Event } from "@walnats/clock";
 *
 * const fiveMinutes = new Event("5m-passed", Date);
 * const refresh = new Actor("refresh-orders-cache", fiveMinutes, async (tick) => {
 *   console.debug("refreshing for", tick.toISOString());
 * }, { maxAttempts: 3, retryDelay: [1, 5] });
 * ```
 */
export class Actor<S extends Schema = Schema> {
  /** The actor's name: its durable consumer's name. */
  readonly name: string;
  /** The event it handles. */
  readonly event: Event<S>;
  /** The handler. */
  readonly handler: Handler<S>;
  /** Attempts in all. */
  readonly maxAttempts: number;
  /** Milliseconds to wait after each failed attempt; the last repeats. */
  readonly retryDelayMs: readonly number[];
  /** Milliseconds the server waits for an ack. */
  readonly ackWaitMs: number;
  /** Handlers running at once in one process. */
  readonly maxJobs: number;
  /** Milliseconds a handler may run, or `Infinity`. */
  readonly jobTimeoutMs: number;
  /** What a message does while a run of its key goes on. */
  readonly overlap: OverlapPolicy;
  /** The key of a message under `overlap`, when the actor names it. */
  readonly overlapKey: ((payload: Payload<S>, context: Omit<JobContext, "signal">) => string) | undefined;

  /**
   * Creates an actor; it runs in `Actors.connect()`'s `listen()`.
   *
   * @param name letters, digits, `-` and `_`
   * @param event the event to handle
   * @param handler called with the payload and a {@link JobContext}
   * @param options retries, ack wait, concurrency, timeout and overlap control
   * @throws {TypeError} when the name, event or handler is not usable
   * @throws {RangeError} when an option is out of range
   */
  constructor(name: string, event: Event<S>, handler: Handler<S>, options: ActorOptions<S> = {}) {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new TypeError(
        `Cannot create Actor: 'name' must be letters, digits, '-' and '_' (a consumer name), got ${describe(name)}`,
      );
    }
    if (!(event instanceof Event)) {
      throw new TypeError(`Cannot create Actor: 'event' must be an Event, got ${describe(event)}`);
    }
    if (typeof handler !== "function") {
      throw new TypeError(`Cannot create Actor: 'handler' must be a function, got ${describe(handler)}`);
    }
    const { maxAttempts = 5, retryDelay = [0.5, 1, 2, 4], ackWait = 30, maxJobs = 16, jobTimeout } = options;
    const { overlap = "allow", overlapKey } = options;
    const delays = typeof retryDelay === "number" ? [retryDelay] : [...retryDelay];
    const delaysMs = delays.map((s) => s === 0 ? 0 : wholeMs(s));
    if (delaysMs.length === 0 || delaysMs.some((ms) => ms === undefined)) {
      throw rangeError("retryDelay", "seconds >= 0 (a number or a non-empty list)", retryDelay);
    }
    const ackWaitMs = wholeMs(ackWait);
    if (ackWaitMs === undefined) throw rangeError("ackWait", "a positive number of seconds", ackWait);
    const jobTimeoutMs = jobTimeout === undefined ? Infinity : wholeMs(jobTimeout);
    if (jobTimeoutMs === undefined) throw rangeError("jobTimeout", "a positive number of seconds", jobTimeout);
    if (!(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) {
      throw rangeError("maxAttempts", "a whole number >= 1", maxAttempts);
    }
    if (!(Number.isSafeInteger(maxJobs) && maxJobs >= 1)) throw rangeError("maxJobs", "a whole number >= 1", maxJobs);
    if (!OVERLAP_POLICIES.includes(overlap)) {
      throw rangeError("overlap", `one of ${OVERLAP_POLICIES.join(", ")}`, overlap);
    }
    if (overlapKey !== undefined && typeof overlapKey !== "function") {
      throw new TypeError(`Cannot create Actor: 'overlapKey' must be a function, got ${describe(overlapKey)}`);
    }
    this.name = name;
    this.event = event;
    this.handler = handler;
    this.maxAttempts = maxAttempts;
    this.retryDelayMs = Object.freeze(delaysMs as number[]);
    this.ackWaitMs = ackWaitMs;
    this.maxJobs = maxJobs;
    this.jobTimeoutMs = jobTimeoutMs;
    this.overlap = overlap;
    this.overlapKey = overlapKey;
  }

  /**
   * Milliseconds to wait after the `attempt`-th failed attempt.
   *
   * @param attempt the failed attempt, 1 for the first
   * @returns the delay before the next attempt, in milliseconds
   */
  retryDelayAfterMs(attempt: number): number {
    return this.retryDelayMs[Math.min(attempt, this.retryDelayMs.length) - 1] ?? 0;
  }

  /**
   * Milliseconds to wait after the `attempt`-th failed attempt.
   *
   * @deprecated Use {@link Actor.retryDelayAfterMs}; `retryDelayAfter()` goes in the next release.
   * @param attempt the failed attempt, 1 for the first
   * @returns the delay before the next attempt, in milliseconds
   */
  retryDelayAfter(attempt: number): number {
    return this.retryDelayAfterMs(attempt);
  }
}

function rangeError(option: string, rule: string, value: unknown): RangeError {
  return new RangeError(`Cannot create Actor: '${option}' must be ${rule}, got ${describe(value)}`);
}
