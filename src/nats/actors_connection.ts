import {
  type ConsumerConfig,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import { delay } from "../_async.ts";
import { NOT_BEFORE_HEADER } from "../_headers.ts";
import type { Actor, JobEvent } from "../actor.ts";
import { ConsumerConflictError, ErrorCode, WalnatsError } from "../errors.ts";

/** The bucket where actors note when the attempts at a delayed message began. */
const ATTEMPTS_BUCKET = "walnats-attempts";
/** How long such a note is kept at most, in milliseconds. */
const ATTEMPTS_TTL_MS = 7 * 24 * 3600_000;
/** The longest nak of a message that is not due yet; it is checked again then. */
const MAX_DELAY_NAK_MS = 3600_000;
/** The pause after a failed pull. */
const PULL_RETRY_MS = 250;
/** How long one pull waits for messages: also how long a stop may wait for the pull to end. */
const PULL_EXPIRES_MS = 1_000;

/** Options of {@link ActorsConnection.listen}. */
export interface ListenOptions {
  /** Stops listening: no new messages are taken, running handlers finish, taken ones are given back. */
  signal?: AbortSignal;
  /** Handle the messages there are now, then return. */
  burst?: boolean;
  /** Called for every start, success, failure, termination and early delayed message. */
  onEvent?: (event: JobEvent) => void;
}

/** A connection that runs actors, from `Actors.connect()`. */
export interface ActorsConnection extends AsyncDisposable {
  /**
   * Creates each actor's durable consumer, or updates its ack wait. Checks
   * every actor before it changes anything.
   *
   * @throws {WalnatsError} `STREAM_NOT_FOUND` when an actor's event was never registered;
   *   `CONSUMER_CONFLICT` when a consumer of the actor's name exists with another subject, deliver or ack policy
   */
  register(): Promise<void>;
  /**
   * Runs every actor until `signal` aborts (or, with `burst`, until no message is left).
   *
   * @param options signal, burst, onEvent
   */
  listen(options?: ListenOptions): Promise<void>;
  /** Closes the connection if `connect()` opened it. */
  close(): Promise<void>;
}

/** The NATS side of {@link ActorsConnection}. */
export class NatsActorsConnection implements ActorsConnection {
  readonly #nc: NatsConnection;
  readonly #owned: boolean;
  readonly #actors: readonly Actor[];
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  #attempts: Promise<KV> | undefined;

  constructor(
    nc: NatsConnection,
    owned: boolean,
    actors: readonly Actor[],
    js: JetStreamClient,
    jsm: JetStreamManager,
  ) {
    this.#nc = nc;
    this.#owned = owned;
    this.#actors = actors;
    this.#js = js;
    this.#jsm = jsm;
  }

  async register(): Promise<void> {
    const plans = [];
    for (const actor of this.#actors) {
      const stream = actor.event.stream;
      try {
        await this.#jsm.streams.info(stream);
      } catch (error) {
        if (!isCode(error, JetStreamApiCodes.StreamNotFound)) throw error;
        throw new WalnatsError(
          ErrorCode.StreamNotFound,
          `Cannot register actor '${actor.name}': stream '${stream}' of event '${actor.event.name}' does not exist; ` +
            "register the event first",
          { cause: error },
        );
      }
      const wanted = consumerConfig(actor);
      const existing = await this.#jsm.consumers.info(stream, actor.name).then((info) => info.config, (error) => {
        if (isCode(error, JetStreamApiCodes.ConsumerNotFound)) return undefined;
        throw error;
      });
      for (const field of ["filter_subject", "deliver_policy", "ack_policy"] as const) {
        if (existing && existing[field] !== wanted[field]) {
          throw new ConsumerConflictError(stream, actor.name, field, wanted[field], existing[field]);
        }
      }
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
    await Promise.all(this.#actors.map((actor) => this.#listen(actor, options)));
  }

  async close(): Promise<void> {
    if (this.#owned && !this.#nc.isClosed()) await this.#nc.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Pulls only as many messages as there are free job slots, so that no
   * message waits in a buffer while its ack wait runs out.
   */
  async #listen(actor: Actor, { signal, burst = false, onEvent = () => {} }: ListenOptions): Promise<void> {
    const consumer = await this.#js.consumers.get(actor.event.stream, actor.name);
    const jobs = new Jobs(actor.maxJobs);
    try {
      while (!signal?.aborted) {
        await jobs.slot();
        let count = 0;
        try {
          const batch = await consumer.fetch({ max_messages: jobs.free, expires: PULL_EXPIRES_MS });
          const stop = () => batch.stop();
          signal?.addEventListener("abort", stop, { once: true });
          if (signal?.aborted) stop();
          try {
            for await (const msg of batch) {
              count++;
              if (signal?.aborted) msg.nak();
              else jobs.start(() => this.#handle(actor, msg, onEvent));
            }
          } finally {
            signal?.removeEventListener("abort", stop);
          }
        } catch (error) {
          // A pull can fail while the server restarts or the client reconnects: report it and pull again.
          onEvent({ type: "pull-failure", actor: actor.name, error });
          if (!signal?.aborted) await delay(PULL_RETRY_MS, signal).catch(() => {});
          continue;
        }
        if (burst && count === 0) {
          await jobs.idle();
          if (jobs.free === actor.maxJobs) return;
        }
      }
    } finally {
      await jobs.idle();
    }
  }

  async #handle(actor: Actor, msg: JsMsg, onEvent: (event: JobEvent) => void): Promise<void> {
    const seq = msg.seq;
    const headers: Record<string, string> = {};
    for (const [name, values] of msg.headers ?? []) headers[name] = values[0] ?? "";
    const notBefore = Number(headers[NOT_BEFORE_HEADER] ?? NaN);
    const waitMs = notBefore - Date.now();
    if (waitMs > 0) {
      msg.nak(Math.min(waitMs, MAX_DELAY_NAK_MS));
      onEvent({ type: "delayed", actor: actor.name, seq, dueMs: notBefore });
      return;
    }
    const delayed = !Number.isNaN(notBefore);
    let attempt = msg.info.deliveryCount;
    if (delayed) {
      try {
        attempt = await this.#delayedAttempt(actor, msg);
      } catch (error) {
        // The attempts cannot be counted now: give the message back untried.
        const retryInMs = actor.retryDelayAfter(1);
        msg.nak(retryInMs);
        onEvent({ type: "failure", actor: actor.name, seq, attempt: 0, error, retryInMs });
        return;
      }
    }
    let payload: unknown;
    try {
      payload = actor.event.decode(msg.data);
    } catch (error) {
      msg.term(); // nats-server 2.9 ignores a +TERM that carries a reason
      onEvent({ type: "terminated", actor: actor.name, seq, attempt, reason: "decode", error });
      return;
    }
    onEvent({ type: "start", actor: actor.name, seq, attempt });
    const started = performance.now();
    const timeout = new AbortController();
    const pulse = setInterval(() => msg.working(), Math.max(1, actor.ackWaitMs / 2));
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        if (actor.jobTimeoutMs === Infinity) return;
        timer = setTimeout(() => {
          const error = new Error(`Job timed out after ${actor.jobTimeoutMs} ms`);
          timeout.abort(error);
          reject(error);
        }, actor.jobTimeoutMs);
      });
      const context = { attempt, seq, signal: timeout.signal, headers };
      await Promise.race([Promise.resolve().then(() => actor.handler(payload as never, context)), timedOut]);
      msg.ack();
      onEvent({ type: "success", actor: actor.name, seq, attempt, durationMs: performance.now() - started });
      if (delayed) await this.#forget(actor, msg);
    } catch (error) {
      if (attempt >= actor.maxAttempts) {
        msg.term();
        onEvent({ type: "terminated", actor: actor.name, seq, attempt, reason: "attempts", error });
        if (delayed) await this.#forget(actor, msg);
      } else {
        const retryInMs = actor.retryDelayAfter(attempt);
        msg.nak(retryInMs);
        onEvent({ type: "failure", actor: actor.name, seq, attempt, error, retryInMs });
      }
    } finally {
      clearInterval(pulse);
      clearTimeout(timer);
    }
  }

  /**
   * The attempt of a delayed message: its deliveries before it was due were
   * no attempts, so the delivery count at its first attempt is noted (before
   * the handler runs, so that a crash still counts).
   */
  async #delayedAttempt(actor: Actor, msg: JsMsg): Promise<number> {
    const kv = await this.#bucket();
    const key = attemptsKey(actor, msg);
    const count = msg.info.deliveryCount;
    try {
      await kv.create(key, String(count));
      return 1;
    } catch {
      const first = Number((await kv.get(key))?.string() ?? count);
      return count - first + 1;
    }
  }

  async #forget(actor: Actor, msg: JsMsg): Promise<void> {
    await (await this.#bucket()).purge(attemptsKey(actor, msg)).catch(() => {});
  }

  #bucket(): Promise<KV> {
    this.#attempts ??= new Kvm(this.#js).create(ATTEMPTS_BUCKET, { history: 1, ttl: ATTEMPTS_TTL_MS });
    return this.#attempts;
  }
}

/** The consumer an actor needs. */
function consumerConfig(actor: Actor) {
  return {
    durable_name: actor.name,
    filter_subject: actor.event.subject,
    ack_policy: "explicit" as ConsumerConfig["ack_policy"],
    deliver_policy: "new" as ConsumerConfig["deliver_policy"],
    ack_wait: nanos(actor.ackWaitMs),
    max_deliver: -1,
  };
}

function attemptsKey(actor: Actor, msg: JsMsg): string {
  return `${actor.event.stream}.${actor.name}.${msg.seq}`;
}

function isCode(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** At most `limit` jobs at once; the first job that throws fails `idle()`. */
class Jobs {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Waits until fewer than `limit` jobs run. */
  async slot(): Promise<void> {
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
  }

  /** How many more jobs may start now. */
  get free(): number {
    return this.#limit - this.#running.size;
  }

  /** Starts a job without waiting for it; the caller made sure a slot is free. */
  start(job: () => Promise<void>): void {
    const running: Promise<void> = job()
      .catch((error) => void (this.#failure ??= { error }))
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  /** Waits until no job runs. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    if (this.#failure) throw this.#failure.error;
  }
}
