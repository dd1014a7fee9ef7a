import {
  type Consumer,
  type ConsumerConfig,
  JetStreamApiCodes,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { CANCELLED, delay } from "../_async.ts";
import { checkListenOptions } from "../actors/_listen_options.ts";
import { type AttemptNotes, type Delivery, handleDelivery } from "../actors/_delivery.ts";
import { Jobs } from "../actors/_jobs.ts";
import { OverlapGate } from "../actors/_overlap.ts";
import type { Actor } from "../actors/actor.ts";
import type { ActorsConnection, ListenOptions } from "../actors/actors_connection.ts";
import { actorStreamNotFound, ConsumerConflictError, consumerNotFound } from "../errors.ts";
import { systemTime } from "../core/time_source.ts";
import type { ConnectionStatus } from "../events/connection_status.ts";
import type { NatsLink } from "./_link.ts";
import { askInfo, isApiError } from "./_api_errors.ts";
import { ACK, AckReplies, confirmAck, nakPayload, TERM } from "./_confirmed_ack.ts";
import { Backlog } from "./_backlog.ts";
import type { RecordBucket } from "../events/_pause_request.ts";
import { natsRecordBucket } from "./_record_bucket.ts";
import { ConnectionWatch } from "./_connection_watch.ts";
import { LEASES_BUCKET, LEASES_PURPOSE, LEASES_TTL_MS, natsLeaseStore } from "./_lease_store.ts";
import { OwnBucket } from "./_own_bucket.ts";
import { type Pull, PullPlanner, type PullResult } from "./_pull_planner.ts";

/** The bucket where actors note when the attempts at a delayed message began. */
const ATTEMPTS_BUCKET = "walnats-attempts";
/** How long such a note is kept at most, in milliseconds. */
const ATTEMPTS_TTL_MS = 7 * 24 * 3600_000;
/** The pause after a failed pull. */
const PULL_RETRY_MS = 250;
/** How long one pull waits for messages: also how long `listen({ burst })` waits to find none. */
const PULL_EXPIRES_MS = 2_000;
/**
 * How long after its expiry a pull waits for the server to say it has ended. nats-server 2.9.10 sometimes
 * says nothing when a delayed message falls due just as the pull expires; the message then waits for the
 * next pull. Without this bound, 16 of 105 such runs delivered it 0.75–1.25 s late.
 */
const PULL_GRACE_MS = 250;
/**
 * How often the server tells a waiting pull it is alive. nats.js gives up a pull after two silent
 * intervals; by default an interval is half the expiry, which puts that moment on the expiry itself, where
 * it fails the pull (a `pull-failure`, then a pause) instead of letting `PULL_GRACE_MS` end it.
 */
const PULL_HEARTBEAT_MS = 500;
/** How long, after a failed pull, the consumer's info may take to say whether the consumer is still there. */
const CONSUMER_INFO_MS = 500;
/**
 * How long `listen()`, once its signal aborted and its jobs ended, waits for the server to confirm their acks:
 * a server that does not answer (a consumer deleted, say) would otherwise hold it until the ack wait ran out.
 */
const STOP_CONFIRM_MS = 500;

/** The NATS side of {@link ActorsConnection}. */
export class NatsActorsConnection implements ActorsConnection {
  readonly #link: NatsLink;
  readonly #actors: readonly Actor[];
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /** Where delayed messages' first attempts are noted. */
  readonly #attempts: OwnBucket;
  /** Where the overlap leases are kept. */
  readonly #leases: OwnBucket;
  /** The connection's drops and returns: acks wait while it is down, and are sent again when it cut them off. */
  readonly #watch = new ConnectionWatch();
  /** Feeds `#watch` until `close()`. */
  readonly #watching: Promise<void>;

  /** Where a fire given up pauses its schedule (`pauseOnFailure`). */
  readonly #records: RecordBucket;

  constructor(link: NatsLink, actors: readonly Actor[]) {
    this.#records = natsRecordBucket(link.js);
    this.#link = link;
    this.#actors = actors;
    this.#js = link.js;
    this.#jsm = link.jsm;
    this.#attempts = new OwnBucket(link.js, link.jsm, ATTEMPTS_BUCKET, ATTEMPTS_TTL_MS, {
      what: "the actors' attempts bucket",
      blocked: "delayed messages",
    });
    this.#leases = new OwnBucket(link.js, link.jsm, LEASES_BUCKET, LEASES_TTL_MS, LEASES_PURPOSE);
    this.#watching = (async () => {
      for await (const status of link.natsStatus()) this.#watch.update(status.type);
    })().catch(() => {}); // a status iterator that breaks leaves acks to their own timeouts
  }

  async register(): Promise<void> {
    const plans = [];
    for (const actor of this.#actors) {
      const stream = actor.event.stream;
      try {
        await this.#jsm.streams.info(stream);
      } catch (error) {
        if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
        throw actorStreamNotFound(actor, error);
      }
      const wanted = consumerConfig(actor);
      const existing = await this.#jsm.consumers.info(stream, actor.name).then((info) => info.config, (error) => {
        if (isApiError(error, JetStreamApiCodes.ConsumerNotFound)) return undefined;
        throw error;
      });
      if (existing) checkConsumer(actor, wanted, existing);
      plans.push({ stream, actor, wanted, existing });
    }
    for (const { stream, actor, wanted, existing } of plans) {
      if (!existing) await this.#jsm.consumers.add(stream, wanted);
      else if (existing.ack_wait !== wanted.ack_wait || existing.max_deliver !== wanted.max_deliver) {
        await this.#jsm.consumers.update(stream, actor.name, { ack_wait: wanted.ack_wait, max_deliver: -1 });
      }
    }
  }

  async listen(options: ListenOptions = {}): Promise<void> {
    checkListenOptions(options);
    await Promise.all(this.#actors.map((actor) => this.#listen(actor, options)));
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

  /**
   * Runs the actor's jobs on the messages its pulls bring: the {@link PullPlanner} says when to pull and how
   * many (for the free slots, and for the {@link Backlog} while jobs are quick); a message held is pulsed in
   * progress until its job ends, so that none is redelivered while it waits.
   */
  async #listen(actor: Actor, { signal, burst = false, onEvent = () => {} }: ListenOptions): Promise<void> {
    const consumer = await this.#consumer(actor);
    const jobs = new Jobs(actor.maxJobs);
    const planner = new PullPlanner(actor.maxJobs);
    const backlog = new Backlog<JsMsg>(actor.maxJobs);
    const pulls = new Set<Promise<PullResult>>();
    const recreated = (bucket: OwnBucket) => (seq: number) =>
      onEvent({ type: "recreated", actor: actor.name, seq, resource: bucket.stream });
    const context = {
      time: systemTime,
      notes: this.#notes(recreated(this.#attempts)),
      onEvent,
      records: this.#records,
      overlap: actor.overlap === "allow" ? undefined : new OverlapGate(actor, actor.overlap, {
        store: natsLeaseStore(this.#leases, recreated(this.#leases)),
        time: systemTime,
        park: (wait) => jobs.park(wait),
        onWaiting: (seq, key) => onEvent({ type: "waiting", actor: actor.name, seq, key }),
        onWaited: (seq, key, waitedMs) => onEvent({ type: "waited", actor: actor.name, seq, key, waitedMs }),
      }),
    };
    const inProgress = new InProgress(actor.ackWaitMs, this.#watch);
    /** The acks, naks and terms sent and not confirmed yet: they hold no job slot. */
    const confirmations = new Jobs(Infinity);
    const replies = new AckReplies(this.#link.nc);
    /** Aborts when `listen()` stops waiting for confirmations: those still in flight are told as unconfirmed. */
    const givenUp = new AbortController();
    /**
     * Sends an ack, nak or term of `msg` and resolves: the server's confirmation (see {@link confirmAck}) is
     * awaited in the background, so that the job's slot is free for the next message meanwhile. One that is not
     * confirmed before the message's ack wait runs out is told as `unconfirmed`.
     */
    const reply = (msg: JsMsg, kind: "ack" | "nak" | "term", payload: string): Promise<void> => {
      // Read while the message is held: its handler is done, so no later pulse moves the instant.
      const redeliveryMs = inProgress.redeliveryMs(msg);
      confirmations.start(() =>
        confirmAck({
          watch: this.#watch,
          send: (timeoutMs) => replies.send(replySubject(msg), payload, timeoutMs),
          redeliveryMs: () => redeliveryMs,
          stopped: givenUp.signal,
          what: `Cannot ${kind} message ${msg.seq} of '${actor.event.stream}' for actor '${actor.name}'`,
        }).catch((error: unknown) =>
          onEvent({ type: "unconfirmed", actor: actor.name, seq: msg.seq, reply: kind, error })
        )
      );
      return Promise.resolve();
    };
    /** Starts the job of a message held; the caller made sure a slot is free. */
    const run = (msg: JsMsg) =>
      jobs.start(async () => {
        const startedMs = performance.now();
        try {
          await handleDelivery(actor, deliveryOf(msg, reply), context);
        } finally {
          inProgress.release(msg);
          backlog.ended(performance.now() - startedMs);
        }
      });
    const puller: Puller = {
      consumer,
      planner,
      signal,
      take: (msg) => {
        if (signal?.aborted) return msg.nak();
        inProgress.hold(msg);
        if (jobs.free > 0) run(msg);
        else backlog.push(msg);
      },
      onFailure: async (error) =>
        onEvent({
          type: "pull-failure",
          actor: actor.name,
          error: signal?.aborted ? error : await this.#pullFailure(actor, error),
        }),
    };
    try {
      while (!signal?.aborted) {
        for (let msg; jobs.free > 0 && (msg = backlog.shift());) run(msg);
        const pull = planner.start(backlog.room(jobs.free));
        if (pull) {
          const pulling: Promise<PullResult> = runPull(puller, pull).finally(() => pulls.delete(pulling));
          pulls.add(pulling);
          continue;
        }
        const ended = await Promise.race([...pulls, jobs.next()]);
        if (burst && ended && planner.burstOver(ended, jobs.free)) return;
      }
    } finally {
      await Promise.all(pulls);
      // Handled too, not given back: each give-back would count as an attempt.
      for (let msg = backlog.shift(); msg; msg = backlog.shift()) {
        await jobs.slot();
        run(msg);
      }
      try {
        await jobs.idle();
      } finally {
        if (signal?.aborted) {
          const timer = new AbortController();
          await Promise.race([confirmations.idle(), delay(STOP_CONFIRM_MS, timer.signal).catch(() => {})]);
          timer.abort(CANCELLED);
          givenUp.abort(CANCELLED);
          replies.close(); // rejects the acks still waiting for an answer: each is then told as unconfirmed
        }
        try {
          await confirmations.idle();
        } finally {
          replies.close(); // also when a job's report threw: the inbox subscription ends with the listener
        }
      }
    }
  }

  /**
   * What a failed pull of the actor's messages is reported as: `CONSUMER_NOT_FOUND` when the consumer's info
   * says it (or its stream) is gone, deleted while the actor listened (nats.js then reports only "consumer
   * deleted" once, then "heartbeats missed" for every pull); else the pull's own error. Asked only after a
   * failure, so that listening costs no request more.
   */
  async #pullFailure(actor: Actor, error: unknown): Promise<unknown> {
    const info = await askInfo(this.#jsm, actor.event.stream, CONSUMER_INFO_MS, actor.name);
    const gone = info !== undefined &&
      (isApiError(info.error, JetStreamApiCodes.ConsumerNotFound) ||
        isApiError(info.error, JetStreamApiCodes.StreamNotFound));
    return gone ? consumerNotFound(actor, info.error) : error;
  }

  /** The actor's consumer; `CONSUMER_NOT_FOUND` when it or its stream is missing. */
  async #consumer(actor: Actor): Promise<Consumer> {
    return await this.#js.consumers.get(actor.event.stream, actor.name).catch((error) => {
      if (
        !isApiError(error, JetStreamApiCodes.ConsumerNotFound) && !isApiError(error, JetStreamApiCodes.StreamNotFound)
      ) {
        throw error;
      }
      throw consumerNotFound(actor, error);
    });
  }

  /**
   * The KV bucket as {@link AttemptNotes}: `create` only succeeds for the first note of a key.
   *
   * @param onRecreated told when the bucket was found deleted and was made again
   */
  #notes(onRecreated: (seq: number) => void): AttemptNotes {
    return {
      first: (key, count, seq) =>
        this.#attempts.use(() => onRecreated(seq), async (kv) => {
          try {
            await kv.create(key, String(count));
            return count;
          } catch {
            return Number((await kv.get(key))?.string() ?? count);
          }
        }),
      forget: (key, seq) => this.#attempts.use(() => onRecreated(seq), async (kv) => void await kv.purge(key)),
    };
  }
}

/**
 * The consumer an actor needs. It has no filter subject: the event's stream
 * holds the event's messages and its schedules' fires (two subjects), and
 * nats-server 2.9 allows one filter subject per consumer.
 */
function consumerConfig(actor: Actor) {
  return {
    durable_name: actor.name,
    ack_policy: "explicit" as ConsumerConfig["ack_policy"],
    deliver_policy: "new" as ConsumerConfig["deliver_policy"],
    ack_wait: nanos(actor.ackWaitMs),
    max_deliver: -1,
  };
}

/**
 * Throws a {@link ConsumerConflictError} when the existing consumer of the actor's name cannot be updated to
 * the one it needs: it filters a subject (the previous version's consumers filter the event's subject, and
 * would miss the schedules' fires), or it delivers or acks otherwise.
 */
function checkConsumer(actor: Actor, wanted: ReturnType<typeof consumerConfig>, existing: ConsumerConfig): void {
  const stream = actor.event.stream;
  const filter = existing.filter_subject ?? "";
  if (filter !== "") {
    const advice = filter === actor.event.subject
      ? `It was made by a previous version, which filtered the event's subject; the actor now also gets the ` +
        `fires of the event's schedules. Delete the consumer (nats consumer rm ${stream} ${actor.name}) so that ` +
        "register() makes it again: nats-server 2.9 cannot change a consumer's filter in place"
      : undefined;
    throw new ConsumerConflictError(stream, actor.name, "filter_subject", undefined, filter, advice);
  }
  for (const field of ["deliver_policy", "ack_policy"] as const) {
    if (existing[field] !== wanted[field]) {
      throw new ConsumerConflictError(stream, actor.name, field, wanted[field], existing[field]);
    }
  }
}

/** What the pulls of one listener work with: its consumer, planner and signal, and where messages go. */
interface Puller {
  readonly consumer: Consumer;
  readonly planner: PullPlanner;
  readonly signal: AbortSignal | undefined;
  /** Takes each message as it comes: starts its job, or gives it back once the signal aborted. */
  readonly take: (msg: JsMsg) => void;
  /** Told when a pull fails; the pause after it begins once this resolves. */
  readonly onFailure: (error: unknown) => Promise<void>;
}

/**
 * Runs one pull of `pull.count` messages and tells the planner how it went. Never rejects: a pull can fail
 * while the server restarts or the client reconnects, and then ends after a pause of `PULL_RETRY_MS`
 * (none once the signal aborted), its slots still asked for during the pause.
 */
async function runPull(
  { consumer, planner, signal, take, onFailure }: Puller,
  pull: Pull,
): Promise<PullResult> {
  try {
    const messages = await consumer.fetch({
      max_messages: pull.count,
      expires: PULL_EXPIRES_MS,
      idle_heartbeat: PULL_HEARTBEAT_MS,
    });
    const stop = () => messages.stop();
    signal?.addEventListener("abort", stop, { once: true });
    if (signal?.aborted) stop();
    const overdue = setTimeout(stop, PULL_EXPIRES_MS + PULL_GRACE_MS);
    try {
      for await (const msg of messages) {
        planner.arrived(pull);
        take(msg);
      }
    } finally {
      clearTimeout(overdue);
      signal?.removeEventListener("abort", stop);
    }
    return planner.ended(pull);
  } catch (error) {
    await onFailure(error);
    if (!signal?.aborted) await delay(PULL_RETRY_MS, signal).catch(() => {});
    return planner.failed(pull, error);
  }
}

/**
 * Where a message's acks go: nats.js 3.4's `JsMsg` type hides the `reply` its messages carry (its
 * `ackAck()` would send only once).
 */
function replySubject(msg: JsMsg): string {
  const reply = (msg as JsMsg & { readonly reply?: unknown }).reply;
  if (typeof reply !== "string" || reply === "") {
    throw new TypeError(`Message ${msg.seq} has no reply subject to ack to`);
  }
  return reply;
}

/** A JetStream message as a {@link Delivery} whose acks, naks and terms go through `reply`. */
function deliveryOf(
  msg: JsMsg,
  reply: (msg: JsMsg, kind: "ack" | "nak" | "term", payload: string) => Promise<void>,
): Delivery {
  const headers: Record<string, string> = {};
  for (const [name, values] of msg.headers ?? []) headers[name] = values[0] ?? "";
  return {
    seq: msg.seq,
    subject: msg.subject,
    data: msg.data,
    headers,
    deliveryCount: msg.info.deliveryCount,
    ack: () => reply(msg, "ack", ACK),
    nak: (delayMs) => reply(msg, "nak", nakPayload(delayMs)),
    term: () => reply(msg, "term", TERM),
  };
}

/**
 * Tells the server, every half ack wait, that the messages a listener holds
 * are still being worked on, so that none is redelivered while it waits for
 * a slot or its handler runs: one timer for all of them, running only while
 * there are some. Knows when the server would deliver each again. A message
 * whose job is done is no longer pulsed: its ack is confirmed (or given up)
 * by the instant it had then, so that a reply the server never answers is
 * not sent for ever.
 */
class InProgress {
  readonly #ackWaitMs: number;
  readonly #everyMs: number;
  readonly #watch: ConnectionWatch;
  /** The messages held, each with when the server last heard of it (its delivery, or a pulse), in epoch ms. */
  readonly #held = new Map<JsMsg, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(ackWaitMs: number, watch: ConnectionWatch) {
    this.#ackWaitMs = ackWaitMs;
    this.#everyMs = Math.max(1, ackWaitMs / 2);
    this.#watch = watch;
  }

  /** Holds a message just delivered, until {@link InProgress.release}. */
  hold(msg: JsMsg): void {
    this.#held.set(msg, Date.now());
    this.#timer ??= setInterval(() => this.#pulse(), this.#everyMs);
  }

  /** Stops holding the message: its job is done. */
  release(msg: JsMsg): void {
    this.#held.delete(msg);
    if (this.#held.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * When the server will deliver `msg` again, in epoch ms: an ack wait after it last heard of it. A pulse
   * written while the connection is down is lost (nats.js 3.4 empties its send buffer when it reconnects):
   * only those sent while it is up count.
   */
  redeliveryMs(msg: JsMsg): number {
    return (this.#held.get(msg) ?? -Infinity) + this.#ackWaitMs;
  }

  #pulse(): void {
    const sentMs = Date.now();
    for (const msg of this.#held.keys()) {
      msg.working();
      if (this.#watch.up) this.#held.set(msg, sentMs);
    }
  }
}
