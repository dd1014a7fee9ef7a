/**
 * A schedules worker: follows the stored schedules through a watch and
 * fires each of its events' schedules at its ticks, with one timer for all
 * of them (a min-heap of next fire instants). Each fire goes out the way a
 * clock's tick does (`emitDue`), on the schedule's own ledger subject, so
 * that any number of workers store it once.
 *
 * The fleet shares the work: each worker beats in the fleet's store and
 * plans only the schedules it owns, by rendezvous hashing of the schedule
 * id over the live members ({@link FleetView}). It keeps every schedule of
 * its events (so that it can take one over at once), but only the owned
 * ones have a next instant in the heap. When the members change, it plans
 * the schedules it newly owns from their latest tick since the round before
 * (their former owner may have dropped it; those with `catchUp`
 * first catch up the ticks missed since their last stored fire: the ledger
 * makes that safe) and forgets the next instant of those it no longer owns
 * (their heap items are dropped when they come up). A worker with a stale
 * view (paused, cut off) may fire a schedule another one owns now: the
 * ledger answers `duplicate`, and the fire is stored once.
 */
import { CANCELLED, isAbort } from "../_async.ts";
import { emitDue, type TickSource } from "../clock/_emit_due.ts";
import { fireMessage, fireSubject, fireTemplate, manualFireSubject, MAX_CLOCK_SKEW_MS } from "./_fire.ts";
import { FleetView } from "./_fleet.ts";
import { MinHeap } from "./_min_heap.ts";
import { keyHash, type Members, ownerOf } from "./_rendezvous.ts";
import { ONE_OFF_WINDOW_MS, readRecord, recordJitterMs, scheduleOf, type ScheduleRecord } from "./_schedule_record.ts";
import type { AppliedChange, FireReport, ResourceReport } from "./schedule_types.ts";
import { ErrorCode, isWalnatsError } from "../errors.ts";
import type { Event } from "../events/event.ts";
import type { Publisher } from "../events/publisher.ts";
import { type DueTicks, dueTicks, gainedFrom, planFrom } from "../core/schedule.ts";
import { jitteredInstant } from "./_jitter.ts";
import type { FireLog, FleetStore, ScheduleChange, ScheduleStore } from "./stores.ts";
import type { TimeSource } from "../core/time_source.ts";

/** How many stale items the heap may hold beyond twice the schedules before a membership change rebuilds it. */
const MIN_HEAP_GARBAGE = 1_024;

/** Longest single sleep: after it the worker reads the time again. */
const MAX_SLEEP_MS = 30_000;
/**
 * The most fires in flight at once; the others due wait their turn. Without
 * a bound, 10,000 fires due at once sent 10,000 ledger reads together and
 * most of them waited past their 1 s attempt (their retries then made it
 * worse); a few hundred keep the server's queue short and as fast as
 * pipelined publishes.
 */
const MAX_FIRES_IN_FLIGHT = 256;

/** One schedule the worker knows. */
interface Entry {
  readonly id: string;
  /** The store's revision of its record: a change with the same revision is one already applied. */
  readonly revision: number;
  /** Its id's {@link keyHash}: who owns it is computed from this and the members. */
  readonly hash: number;
  readonly paused: boolean;
  readonly source: TickSource;
  /** Whether fires may have gone out unseen by this worker (new to it, resumed, or a fire missed). */
  catchUpPending: boolean;
  /** The tick it is planned for; `undefined` while not planned (not owned, paused, ended, firing). */
  nextMs: number | undefined;
  /** The instant of a one-off (`at`) schedule; `undefined` for any other. */
  readonly oneOffMs: number | undefined;
  /** Its jitter in milliseconds (0: none): each fire goes out at {@link jitteredInstant}. */
  readonly jitterMs: number;
}

/**
 * A planned fire: when it is sent, its tick, and the entry it was planned for (stale once the entry is replaced
 * or planned anew). The two instants differ by the schedule's jitter: the heap orders by when to send, the tick
 * is the fire's identity.
 */
interface Planned {
  readonly atMs: number;
  /**
   * How long after its tick it is sent: the tick is `atMs - delayMs`. The literal 0 without jitter: a small
   * integer takes no memory of its own, where the tick, or a difference of two instants, takes a heap number
   * (24 B more per planned fire, measured with 100,000 schedules).
   */
  readonly delayMs: number;
  readonly entry: Entry;
}

/** What a worker runs with. */
export interface RunnerSetup {
  readonly publisher: Publisher;
  readonly store: ScheduleStore;
  /** Where the fleet's workers beat, to split the schedules between them. */
  readonly fleet: FleetStore;
  /**
   * The fires stored outside the ledger (backfills): catch-up skips their ticks, which the ledger does not
   * show. Without it, a tick backfilled after the last scheduled fire may be caught up again past the window.
   */
  readonly fires: FireLog | undefined;
  /** The events whose schedules it fires, by name; schedules of other events are left to other workers. Empty: every event's. */
  readonly events: ReadonlyMap<string, Event>;
  readonly time: TimeSource;
  readonly onTick: (report: FireReport) => void;
  /** Told of every change the worker applied: a schedule stored (created, changed, paused, resumed) or deleted. */
  readonly onChange: (change: AppliedChange) => void;
  /** Told of a resource found missing (the schedules' bucket) or made again (the fleet's). */
  readonly onResource: (report: ResourceReport) => void;
}

/** The schedules' bucket as the reports name it: the stream behind it on NATS. */
const SCHEDULES_RESOURCE = "KV_walnats-schedules";
/** While the schedules' bucket is missing, how often the worker tries to watch it again, and says it is missing. */
const MISSING_RETRY_MS = 1_000;

/** One run of a worker; see the module's documentation. */
export class ScheduleRunner {
  readonly #setup: RunnerSetup;
  readonly #workerId = crypto.randomUUID();
  readonly #fleet: FleetView;
  /** This worker's index in the fleet view's members; -1 before the first view (it then owns every schedule). */
  #self = -1;
  /** Whether this worker has its first view of the fleet, or its first round failed: nothing is planned before. */
  #viewed = false;
  /** Resolves when the watch brought every schedule stored at its start (`ready`). */
  readonly #loaded: Promise<void>;
  #markLoaded = () => {};
  /** Whether every schedule stored at the watch's start was applied: later changes are live ones. */
  #ready = false;
  readonly #entries = new Map<string, Entry>();
  #planned = newHeap();
  /** The ids with a fire in flight: planned again when it ends. */
  readonly #firing = new Set<string>();
  /**
   * Aborted to wake the loop early: a change was applied, a fire ended, or the run stops (one signal to sleep
   * on: `AbortSignal.any()` at every wake-up cost more than the wake-up).
   */
  #wake = new AbortController();
  /**
   * Until when the loop sleeps: a plan wakes it only for an earlier instant (100,000 schedules read at
   * start-up wake it a few times, not 100,000 times). `-Infinity` while it waits for a fire to end.
   */
  #sleepUntil = Infinity;
  /** Set while the loop waits for a fire to end, at {@link MAX_FIRES_IN_FLIGHT}: called when one does. */
  #slotFree: (() => void) | undefined;
  /** What stops the run: a failed watch, or an `onTick` that threw. */
  #failure: { error: unknown } | undefined;
  /** Aborts the fires in flight: when the run's signal aborts, or the run fails. */
  readonly #stopFires = new AbortController();

  constructor(setup: RunnerSetup) {
    this.#setup = setup;
    this.#loaded = new Promise((resolve) => this.#markLoaded = resolve);
    this.#fleet = new FleetView(
      setup.fleet,
      this.#workerId,
      setup.time,
      (view, sinceMs, joined) => this.#share(view, sinceMs, joined),
      (resource) => setup.onResource({ type: "recreated", resource }),
    );
  }

  /** Fires until `signal` aborts; rejects when the watch fails or `onTick` throws. */
  async run(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return;
    const { time } = this.#setup;
    const watching = new AbortController();
    const stop = () => {
      watching.abort();
      this.#stopFires.abort(CANCELLED);
      this.#wake.abort(CANCELLED);
    };
    signal?.addEventListener("abort", stop, { once: true });
    const following = this.#follow(watching.signal).catch((error) => this.#fail(error));
    // Announced only once it knows every schedule: the others drop its share as soon as they see it. The first
    // view comes before the first plan: a worker joining a fleet fires only its share. A run that failed or was
    // stopped while loading never joins.
    await Promise.race([this.#loaded, following]);
    const joining = !signal?.aborted && this.#failure === undefined;
    const beating = new AbortController();
    const membership = joining ? this.#join(beating.signal).catch((error) => this.#fail(error)) : undefined;
    const fires = new Set<Promise<void>>();
    try {
      while (!signal?.aborted && this.#failure === undefined) {
        const now = time.now();
        for (
          let next = this.#planned.peek();
          next !== undefined && next.atMs <= now && this.#firing.size < MAX_FIRES_IN_FLIGHT;
          next = this.#planned.peek()
        ) {
          this.#planned.pop();
          const { entry, atMs, delayMs } = next;
          const tickMs = atMs - delayMs;
          if (this.#entries.get(entry.id) !== entry || entry.nextMs !== tickMs || this.#firing.has(entry.id)) continue;
          const due = dueTicks(entry.source.schedule, tickMs, now);
          const sendMs = sendInstant(entry, due.current, due.deadline);
          if (sendMs > now) {
            // Overslept into a later tick's window before its jittered instant: the whole cycle waits for it.
            this.#planned.push({ atMs: sendMs, delayMs: sendMs - tickMs, entry });
            continue;
          }
          entry.nextMs = undefined;
          this.#firing.add(entry.id);
          const fire: Promise<void> = this.#fire(entry, due, now, this.#stopFires.signal)
            .catch((error) => this.#fail(error))
            .finally(() => {
              fires.delete(fire);
              this.#freeSlot();
            });
          fires.add(fire);
        }
        if (this.#firing.size >= MAX_FIRES_IN_FLIGHT) {
          // No timer: every fire ends by its deadline (or when `signal` aborts), and the first to end wakes the loop.
          this.#sleepUntil = -Infinity;
          await new Promise<void>((resolve) => this.#slotFree = resolve);
          continue;
        }
        const sleepMs = Math.max(0, Math.min((this.#planned.peek()?.atMs ?? Infinity) - now, MAX_SLEEP_MS));
        this.#sleepUntil = now + sleepMs;
        const wake = this.#wake.signal;
        try {
          await time.sleep(sleepMs, wake);
        } catch (error) {
          if (!isAbort(error, wake)) throw error;
        }
        if (wake.aborted) this.#wake = new AbortController();
      }
    } finally {
      stop();
      beating.abort(); // leaves the fleet at once: the others take the schedules over while the last fires end
      signal?.removeEventListener("abort", stop);
      await Promise.all([following, membership, ...fires]);
    }
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /**
   * Applies every change the store's watch brings. Once loaded, a bucket deleted while watched stops every
   * schedule, and is said missing every {@link MISSING_RETRY_MS} until a new watch reads it from its start
   * (made again by `register()`); before, it is the caller's error (never registered).
   */
  async #follow(signal: AbortSignal): Promise<void> {
    const { store, time, onResource } = this.#setup;
    while (!signal.aborted) {
      try {
        for await (const change of store.watch(signal)) this.#apply(change);
        return;
      } catch (error) {
        if (!this.#ready || !isWalnatsError(error, ErrorCode.StreamNotFound)) throw error;
        // Stored schedules cannot be told from deleted ones now: none fires, the next watch brings them all.
        this.#entries.clear();
        this.#planned = newHeap();
        onResource({ type: "missing", resource: SCHEDULES_RESOURCE, error });
        await time.sleep(MISSING_RETRY_MS, signal).catch((error) => {
          if (!isAbort(error, signal)) throw error;
        });
      }
    }
  }

  #apply(change: ScheduleChange): void {
    if (change.kind === "ready") {
      this.#ready = true;
      return this.#markLoaded();
    }
    if (change.kind === "delete") {
      this.#entries.delete(change.id);
      this.#setup.onChange({ id: change.id, kind: "delete", revision: 0 });
      return;
    }
    const { id, revision, data } = change.schedule;
    const known = this.#entries.get(id);
    if (known?.revision === revision) return;
    const read = readRecord(data);
    if ("refused" in read) {
      // A newer version's record (a policy this worker does not know), or not a record: never fired without it.
      this.#entries.delete(id);
      this.#setup.onChange({ id, kind: "refused", revision, reason: read.refused });
      return;
    }
    this.#setup.onChange({ id, kind: "put", revision });
    const { record } = read;
    const { events } = this.#setup;
    if (events.size > 0 && !events.has(record.event)) {
      this.#entries.delete(id);
      return;
    }
    const entry = this.#entryOf(record, revision);
    this.#entries.set(entry.id, entry);
    if (this.#firing.has(entry.id)) return;
    const nowMs = this.#setup.time.now();
    const live = this.#ready && known?.paused !== true; // a resume fires from its next tick after it is seen
    this.#plan(entry, live ? planFrom(entry.source.schedule, Date.parse(record.updatedAt), nowMs) : nowMs);
  }

  /** The entry of a stored schedule of one of this worker's events. */
  #entryOf(record: ScheduleRecord, revision: number): Entry {
    const template = fireTemplate(record, revision);
    const { stream } = template;
    const workerId = this.#workerId;
    return {
      id: record.id,
      revision,
      hash: keyHash(record.id),
      paused: record.paused !== undefined,
      catchUpPending: record.catchUp > 0,
      nextMs: undefined,
      oneOffMs: record.at === undefined ? undefined : Date.parse(record.at),
      jitterMs: recordJitterMs(record),
      source: {
        event: record.event,
        schedule: scheduleOf(record),
        catchUp: record.catchUp,
        ledger: { subject: fireSubject(stream, record.id), stream },
        emptyLedgerTick: -Infinity,
        message: (tickMs, late) => fireMessage(template, tickMs, workerId, late),
      },
    };
  }

  /**
   * Joins the fleet while the loop fires (it sleeps until the view plans something): plans this worker's
   * share before its first beat lands, then beats until `signal` aborts.
   */
  async #join(signal: AbortSignal): Promise<void> {
    const joinedMs = this.#setup.time.now();
    await this.#fleet.join();
    if (!this.#viewed) {
      // The members could not be read: without a view, it fires every schedule.
      this.#viewed = true;
      this.#replan(joinedMs);
    }
    await this.#fleet.run(signal);
  }

  /**
   * Plans the entry's first tick after `afterMs` (sent at its jittered instant), unless it is paused, over, or
   * another worker's; wakes the loop.
   */
  #plan(entry: Entry, afterMs: number): void {
    if (entry.paused || !this.#viewed || !this.#owns(entry)) return;
    const tickMs = entry.source.schedule.next(afterMs) ?? this.#lateOneOff(entry, afterMs);
    if (tickMs === undefined) return;
    entry.nextMs = tickMs;
    const atMs = sendInstant(entry, tickMs);
    this.#planned.push({ atMs, delayMs: delayOf(entry, atMs, tickMs), entry });
    if (atMs < this.#sleepUntil) this.#wake.abort(CANCELLED);
    if (this.#planned.size > 2 * this.#entries.size + MIN_HEAP_GARBAGE) this.#compact();
  }

  /**
   * A one-off schedule whose instant passed before this worker planned it (it started, or took the schedule
   * over, just after): still due within its window, once. The ledger answers `duplicate` if it went out.
   */
  #lateOneOff(entry: Entry, afterMs: number): number | undefined {
    const { oneOffMs } = entry;
    if (oneOffMs === undefined || afterMs < oneOffMs || afterMs >= oneOffMs + ONE_OFF_WINDOW_MS) return undefined;
    return oneOffMs;
  }

  /** Whether this worker fires the entry: it owns it in its fleet view, or it has no view yet. */
  #owns(entry: Entry): boolean {
    const view = this.#fleet.view;
    return view === undefined || ownerOf(entry.hash, view) === this.#self;
  }

  /**
   * Takes a new view of the fleet: plans the schedules this worker newly
   * owns from their latest tick since `sinceMs` (catching up, with `catchUp`,
   * from their last stored fire), and unplans those it no longer owns but
   * the due fires of a joiner's share up to its beat (see {@link #replan}).
   */
  #share(view: Members, sinceMs: number, joined: ReadonlyMap<string, number>): void {
    this.#self = view.ids.indexOf(this.#workerId);
    this.#viewed = true;
    this.#replan(sinceMs, joined);
  }

  /**
   * Plans the entries this worker owns and has not planned, from their latest tick since `sinceMs` (see
   * {@link gainedFrom}), and unplans the others, also those due but not yet sent (a backlog): they are
   * their new owner's now. Except a due fire of a joiner's share whose tick is not after the joiner's beat:
   * the joiner plans what it gains from its join's start, a moment before that beat, and would not send it
   * (a join during a burst lost that burst's tick of the joiner's share); this worker sends it, and the ledger
   * answers `duplicate` to one of the two when both did.
   *
   * @param sinceMs since when the former owners may have stopped firing what this worker gains
   * @param joined the members new in this view, with their last beat (epoch ms on the store's clock)
   */
  #replan(sinceMs: number, joined: ReadonlyMap<string, number> = new Map()): void {
    const now = this.#setup.time.now();
    // No further back than a takeover: a worker cut off for longer had its share taken over meanwhile.
    const fromMs = Math.min(now, Math.max(sinceMs, now - this.#fleet.timing.takeoverMs));
    const view = this.#fleet.view;
    for (const entry of this.#entries.values()) {
      const owner = view === undefined ? this.#self : ownerOf(entry.hash, view);
      if (owner !== this.#self) {
        const joinerBeatMs = entry.nextMs === undefined || joined.size === 0
          ? undefined
          : joined.get(view!.ids[owner]!);
        if (joinerBeatMs === undefined || entry.nextMs! > joinerBeatMs) entry.nextMs = undefined;
      } else if (entry.nextMs === undefined && !this.#firing.has(entry.id)) {
        entry.catchUpPending = entry.source.catchUp > 0;
        this.#plan(entry, gainedFrom(entry.source.schedule, fromMs, now));
      }
    }
    if (this.#planned.size > 2 * this.#entries.size + MIN_HEAP_GARBAGE) this.#compact();
  }

  /** Rebuilds the heap from the planned entries: the items of unplanned ones wait for their instant otherwise. */
  #compact(): void {
    const heap = newHeap();
    for (const entry of this.#entries.values()) {
      if (entry.nextMs !== undefined) {
        const atMs = sendInstant(entry, entry.nextMs);
        heap.push({ atMs, delayMs: delayOf(entry, atMs, entry.nextMs), entry });
      }
    }
    this.#planned = heap;
  }

  /** Fires what is due for the entry at `nowMs`, then plans its next tick (or its replacement's). */
  async #fire(entry: Entry, due: DueTicks, nowMs: number, signal: AbortSignal | undefined): Promise<void> {
    const { publisher, time, onTick, fires } = this.#setup;
    const { stream } = entry.source.ledger;
    let emitted: boolean;
    try {
      emitted = await emitDue(entry.source, due, entry.catchUpPending, nowMs, {
        publisher,
        time,
        signal,
        // With jitter, the lag is the worker's own: from the instant the fire was due to go out.
        onTick: (report) =>
          onTick({
            ...report,
            ...(entry.jitterMs === 0
              ? {}
              : { lagMs: report.lagMs + report.tick.getTime() - sendInstant(entry, report.tick.getTime()) }),
            schedule: entry.id,
          }),
        ...(fires === undefined ? {} : {
          storedOutsideLedger: (lastMs: number | undefined) =>
            manualTicks(fires, this.#setup.store, stream, entry.id, lastMs),
        }),
      });
    } finally {
      // Before the next tick is planned: the loop may pop it as soon as it is (a fire tried until its
      // deadline ends at the next tick), and must find the schedule free.
      this.#firing.delete(entry.id);
    }
    const latest = this.#entries.get(entry.id);
    if (latest === entry) {
      entry.catchUpPending = entry.source.catchUp > 0 && !emitted;
      if (entry.oneOffMs === undefined) this.#plan(entry, due.current); // a one-off was tried: nothing follows
    } else if (latest !== undefined) {
      this.#plan(latest, Math.max(due.current, time.now())); // changed while firing: from its next tick
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#stopFires.abort(CANCELLED);
    this.#wake.abort(CANCELLED);
    this.#freeSlot();
  }

  /** Wakes the loop if it waits for a fire to end. */
  #freeSlot(): void {
    this.#slotFree?.();
    this.#slotFree = undefined;
  }
}

/**
 * The ticks of the schedule's manual fires stored since its last scheduled fire (`lastMs`; all of them when
 * the ledger is empty): catch-up does not store them again.
 */
async function manualTicks(
  fires: FireLog,
  store: ScheduleStore,
  stream: string,
  id: string,
  lastMs: number | undefined,
): Promise<Set<number>> {
  const ticks = new Set<number>();
  const subject = manualFireSubject(stream, id);
  // One cheap read first: most schedules never had a manual fire, and a fleet taking a dead worker's schedules
  // over catches them all up at once (a history read each made a consumer each at once and stalled the server).
  if (await store.lastFire({ stream, subject }) === undefined) return ticks;
  const since = lastMs === undefined ? {} : { sinceMs: lastMs - MAX_CLOCK_SKEW_MS };
  for await (const fire of fires.read({ stream, id }, since)) {
    if (fire.subject === subject && fire.tickMs !== undefined) ticks.add(fire.tickMs);
  }
  return ticks;
}

/**
 * When the entry's fire of `tickMs` is sent: at its tick plus its jitter offset, below its next tick
 * (`deadlineMs`, found when not given).
 */
function sendInstant(entry: Entry, tickMs: number, deadlineMs?: number): number {
  if (entry.jitterMs === 0) return tickMs;
  return jitteredInstant(entry.id, tickMs, entry.jitterMs, deadlineMs ?? entry.source.schedule.deadline(tickMs));
}

/** The {@link Planned.delayMs} of a fire sent at `atMs` for `tickMs`: the literal 0 for an entry without jitter. */
function delayOf(entry: Entry, atMs: number, tickMs: number): number {
  return entry.jitterMs === 0 ? 0 : atMs - tickMs;
}

/** An empty heap of planned fires, the earliest first. */
function newHeap(): MinHeap<Planned> {
  return new MinHeap<Planned>((a, b) => a.atMs < b.atMs);
}
