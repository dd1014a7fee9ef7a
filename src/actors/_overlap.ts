/**
 * Overlap control: at most one run of a key at a time across every process
 * of an actor, with a lease per (actor, key) in a store every process shares
 * (a KV bucket on NATS, a map in memory). The store has no per-key expiry
 * (nats-server 2.9 has no per-key TTL), so a lease carries its own: its
 * holder renews it every {@link RENEW_MS} while the handler runs and deletes
 * it when the handler ends; a lease not renewed for {@link LEASE_MS} is
 * taken over by the next fire of its key, with a compare-and-set on its
 * revision. Shared by the NATS connection and the in-memory one.
 *
 * @module
 */
import { CANCELLED } from "../_async.ts";
import type { TimeSource } from "../core/time_source.ts";
import type { Actor, JobContext, OverlapPolicy, SkipReason } from "./actor.ts";

/** How long a lease lasts after its holder last renewed it: a dead holder's lease is free this long after. */
export const LEASE_MS = 6_000;
/** How often a holder renews its lease, and so learns that a newer fire asks it to stop. */
export const RENEW_MS = 1_000;
/** How often a waiting fire looks again whether its key is free. */
const POLL_MS = 250;
/** `bufferAll`: the waiting fires of one key in one process at most; more are skipped. */
export const BUFFER_ALL_CAP = 100;

/** A lease as the store keeps it. */
export interface LeaseRecord {
  /** The run holding it: unique per run, in every process. */
  readonly holder: string;
  /** The stream sequence of the message the run handles. */
  readonly seq: number;
  /** When it expires unless renewed, in epoch ms of its holder's clock. */
  readonly untilMs: number;
  /** Set by a newer fire of `cancelOther`: the holder aborts its handler's signal. */
  readonly cancel?: boolean;
}

/** A lease and the revision it was read at. */
export interface LeaseEntry {
  readonly record: LeaseRecord;
  readonly revision: number;
}

/**
 * Where the leases live. Every method gets the sequence of the message it
 * works for, so that a store that heals its bucket can say for which one.
 */
export interface LeaseStore {
  /** The lease under `key`; `undefined` when there is none (never taken, released, or its bucket made again). */
  get(key: string, seq: number): Promise<LeaseEntry | undefined>;
  /** Writes the lease if there is none; its revision, or `undefined` when there is one. */
  create(key: string, record: LeaseRecord, seq: number): Promise<number | undefined>;
  /** Writes the lease if it is still at `revision`; the new revision, or `undefined` when it is not. */
  update(key: string, record: LeaseRecord, revision: number, seq: number): Promise<number | undefined>;
  /** Deletes the lease if it is still at `revision` (true); leaves it otherwise (false). */
  remove(key: string, revision: number, seq: number): Promise<boolean>;
}

/** A run allowed to start: it holds its key's lease until {@link OverlapPass.leave}. */
export interface OverlapPass {
  /** The key. */
  readonly key: string;
  /** Aborts when a newer fire of `cancelOther` asks the run to stop, or the lease was lost. */
  readonly signal: AbortSignal;
  /** Whether a newer fire asked the run to stop: it then ends as `cancelled`, whatever the handler did. */
  readonly cancelled: boolean;
  /** Stops renewing and releases the lease. Never rejects. */
  leave(): Promise<void>;
}

/** A fire that must not run. */
export interface OverlapSkip {
  readonly key: string;
  readonly skipped: SkipReason;
}

/** What the gate needs of the listener it works in. */
export interface OverlapSetup {
  readonly store: LeaseStore;
  readonly time: TimeSource;
  /** Runs `wait` without a job slot, and takes one again before it returns. */
  readonly park: <T>(wait: () => Promise<T>) => Promise<T>;
  /** Told once a fire begins to wait for its key. */
  readonly onWaiting: (seq: number, key: string) => void;
  /** Told once it stops waiting (it got the key, or a newer fire did), before `bufferOne` frees the waiter's lease. */
  readonly onWaited: (seq: number, key: string, waitedMs: number) => void;
}

/** The error a holder's signal aborts with when a newer fire asked it to stop. */
export class OverlapCancelled extends Error {
  override readonly name = "OverlapCancelled";
}

/**
 * The key of a message under overlap control: the actor's `overlapKey`, else
 * the schedule's id for a schedule's fire, else the event's name (a clock's
 * tick, and any other message of the event).
 */
function overlapKeyOf(actor: Actor, payload: unknown, context: Omit<JobContext, "signal">): string {
  if (actor.overlapKey === undefined) return context.schedule ?? actor.event.name;
  let key: unknown;
  try {
    key = actor.overlapKey(payload as never, context);
  } catch (cause) {
    throw new OverlapKeyError(`Actor '${actor.name}': 'overlapKey' threw on message ${context.seq}`, { cause });
  }
  if (typeof key !== "string" || key === "") {
    throw new OverlapKeyError(`Actor '${actor.name}': 'overlapKey' must return a non-empty string, got ${String(key)}`);
  }
  return key;
}

/**
 * The actor's `overlapKey` threw or gave no key: the user's code failed on this message, as a handler would, so the
 * attempt counts (retried after `retryDelay`, terminated after `maxAttempts`) rather than coming back for ever.
 */
export class OverlapKeyError extends Error {
  override readonly name = "OverlapKeyError";
}

/** Lets the runs of one actor's keys through according to its `overlap` policy, in one listener. */
export class OverlapGate {
  readonly #actor: Actor;
  readonly #policy: Exclude<OverlapPolicy, "allow">;
  readonly #setup: OverlapSetup;
  /** Names this listener's runs apart from every other process's. */
  readonly #id = crypto.randomUUID();
  #runs = 0;
  /** `bufferAll`: how many fires of each lease key wait in this listener. */
  readonly #waiting = new Map<string, number>();

  constructor(actor: Actor, policy: Exclude<OverlapPolicy, "allow">, setup: OverlapSetup) {
    this.#actor = actor;
    this.#policy = policy;
    this.#setup = setup;
  }

  /**
   * Takes the lease of the message's key for a run of it, waiting for it (without a job slot) when the policy
   * buffers, asking the holder to stop first with `cancelOther`; or says why the fire is skipped.
   *
   * @throws what the store throws (the server unreachable), or what the actor's `overlapKey` throws
   */
  async enter(payload: unknown, job: Omit<JobContext, "signal">): Promise<OverlapPass | OverlapSkip> {
    const { seq } = job;
    const key = overlapKeyOf(this.#actor, payload, job);
    const leaseKey = `${this.#actor.name}.${encodeKey(key)}`;
    const holder = `${this.#id}.${this.#runs++}`;
    const first = await this.#take(leaseKey, holder, seq);
    if (first instanceof Held) return this.#pass(key, first);
    let taken: LeaseEntry = first;
    if (this.#policy === "skip") return { key, skipped: "running" };
    if (this.#policy === "cancelOther" && taken.record.seq > seq) return { key, skipped: "newer" };
    // bufferOne: one fire waits for the key, fleet-wide, holding the key's second lease.
    const waiter = this.#policy === "bufferOne" ? await this.#take(`${leaseKey}.next`, holder, seq) : undefined;
    if (waiter !== undefined && !(waiter instanceof Held)) return { key, skipped: "waiting" };
    const waiting = this.#waiting.get(leaseKey) ?? 0;
    if (this.#policy === "bufferAll" && waiting >= BUFFER_ALL_CAP) return { key, skipped: "full" };
    this.#waiting.set(leaseKey, waiting + 1);
    this.#setup.onWaiting(seq, key);
    const sinceMs = this.#setup.time.now();
    try {
      return await this.#setup.park(async () => {
        for (;;) {
          const busy = taken.record;
          if (this.#policy === "cancelOther" && busy.seq < seq && !busy.cancel) {
            await this.#setup.store.update(leaseKey, { ...busy, cancel: true }, taken.revision, seq);
          }
          await this.#setup.time.sleep(POLL_MS);
          const next = await this.#take(leaseKey, holder, seq);
          if (next instanceof Held) return this.#pass(key, next);
          if (this.#policy === "cancelOther" && next.record.seq > seq) return { key, skipped: "newer" as const };
          taken = next;
        }
      });
    } finally {
      this.#setup.onWaited(seq, key, this.#setup.time.now() - sinceMs);
      const left = (this.#waiting.get(leaseKey) ?? 1) - 1;
      if (left === 0) this.#waiting.delete(leaseKey);
      else this.#waiting.set(leaseKey, left);
      await waiter?.leave();
    }
  }

  /** Takes the lease under `leaseKey` when it is free or expired; else the live lease that holds it. */
  async #take(leaseKey: string, holder: string, seq: number): Promise<Held | LeaseEntry> {
    const { store, time } = this.#setup;
    for (;;) {
      const entry = await store.get(leaseKey, seq);
      const nowMs = time.now();
      if (entry !== undefined && entry.record.untilMs > nowMs) return entry;
      const record = { holder, seq, untilMs: nowMs + LEASE_MS };
      const revision = entry === undefined
        ? await store.create(leaseKey, record, seq)
        : await store.update(leaseKey, record, entry.revision, seq);
      if (revision !== undefined) return new Held(store, time, leaseKey, record, revision);
      // Another fire took it between the read and the write: read it again.
    }
  }

  #pass(key: string, held: Held): OverlapPass {
    return {
      key,
      signal: held.signal,
      get cancelled() {
        return held.signal.reason instanceof OverlapCancelled;
      },
      leave: () => held.leave(),
    };
  }
}

/**
 * A lease this process holds: renewed every {@link RENEW_MS} until {@link Held.leave}. A renewal that finds
 * the revision moved reads the lease: a newer fire's cancel request aborts the signal with
 * {@link OverlapCancelled}; a lease taken by another run (this one could not renew it in time) aborts it too;
 * a lease gone with its bucket is written again.
 */
class Held {
  readonly #store: LeaseStore;
  readonly #time: TimeSource;
  readonly #key: string;
  readonly #record: LeaseRecord;
  #revision: number;
  readonly #abort = new AbortController();
  readonly #stop = new AbortController();
  readonly #renewing: Promise<void>;

  constructor(store: LeaseStore, time: TimeSource, key: string, record: LeaseRecord, revision: number) {
    this.#store = store;
    this.#time = time;
    this.#key = key;
    this.#record = record;
    this.#revision = revision;
    this.#renewing = this.#renew();
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  async leave(): Promise<void> {
    this.#stop.abort(CANCELLED);
    await this.#renewing;
    const { seq, holder } = this.#record;
    try {
      if (await this.#store.remove(this.#key, this.#revision, seq)) return;
      // The revision moved since the last renewal (a newer fire's cancel request): still ours, it goes at its own.
      const entry = await this.#store.get(this.#key, seq);
      if (entry?.record.holder === holder) await this.#store.remove(this.#key, entry.revision, seq);
    } catch {
      // Left to expire: nobody waits longer than LEASE_MS for it.
    }
  }

  async #renew(): Promise<void> {
    const { seq, holder } = this.#record;
    while (!this.#stop.signal.aborted) {
      try {
        await this.#time.sleep(RENEW_MS, this.#stop.signal);
      } catch {
        return; // left
      }
      const record = { ...this.#record, untilMs: this.#time.now() + LEASE_MS };
      try {
        const renewed = await this.#store.update(this.#key, record, this.#revision, seq);
        if (renewed !== undefined) {
          this.#revision = renewed;
          continue;
        }
        const entry = await this.#store.get(this.#key, seq);
        if (entry === undefined) {
          const made = await this.#store.create(this.#key, record, seq);
          if (made !== undefined) this.#revision = made;
          else this.#abort.abort(new Error(`The lease '${this.#key}' was taken by another run`));
        } else if (entry.record.holder === holder) {
          this.#revision = entry.revision;
          if (entry.record.cancel) this.#abort.abort(new OverlapCancelled(`A newer fire of '${this.#key}' runs next`));
        } else {
          this.#abort.abort(new Error(`The lease '${this.#key}' was taken by another run: it was not renewed in time`));
        }
      } catch {
        // The store did not answer: try again at the next renewal; the lease expires if this lasts.
      }
    }
  }
}

/** A key as a KV key token: base64url of its UTF-8 bytes, so that any key (dots, spaces) fits. */
function encodeKey(key: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(key)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
