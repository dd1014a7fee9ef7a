/**
 * A worker's view of its fleet: it beats (`FleetStore.beat`) every beat
 * interval (the store's `beatIntervalMs`, {@link BEAT_INTERVAL_MS} when it
 * names none), reads the members after each beat, and counts as live those
 * whose last beat is within {@link TTL_INTERVALS} intervals of the newest
 * beat it read. Beat times are the store's (the server's), so workers whose
 * clocks differ agree on who is live. The worker itself is always live in
 * its own view once its beat landed. A store that tells of joins and leaves
 * (`FleetStore.followChanges`, the in-memory one) gets a round at once for
 * each, besides the interval's.
 *
 * A round whose beat or read fails keeps the last view: a worker cut off
 * from the store keeps firing its share (the others take it over once its
 * beats are older than the TTL; the ledger keeps each fire single while
 * both try). Before its first successful round a worker has no view: it
 * then owns every schedule, as a worker alone does.
 *
 * @module
 */
import { CANCELLED, isAbort } from "../_async.ts";
import { describe } from "../_describe.ts";
import { type Members, members, sameMembers } from "./_rendezvous.ts";
import type { FleetMember, FleetStore } from "./stores.ts";
import type { TimeSource } from "../core/time_source.ts";

/** How often a worker beats and reads the members, in milliseconds, in a store that names no interval (NATS). */
const BEAT_INTERVAL_MS = 300;
/** How many beat intervals after the newest beat a member's last beat still counts as live. */
const TTL_INTERVALS = 4;
/** What a round's beat and read may take on top of the interval, in milliseconds (a few on a local server). */
const ROUND_ALLOWANCE_MS = 200;

/** How a fleet's rounds are timed, in milliseconds: from its store's beat interval. */
export interface FleetTiming {
  /** How often a worker beats and reads the members. */
  readonly beatIntervalMs: number;
  /** How long after the newest beat a member's last beat still counts as live. */
  readonly memberTtlMs: number;
  /**
   * How long after a worker dies (without leaving) the others own its
   * schedules, at the most: its last beat may be one interval before its
   * death, the TTL passes, and the others beat and read the members one
   * interval later at the most. A schedule taken over fires from its first
   * tick after that; with `catchUp` the ticks in between are caught up.
   */
  readonly takeoverMs: number;
  /**
   * How long after a worker leaves (stops cleanly) the others own its schedules, at the most: their next round
   * (at once in a store that tells of leaves).
   */
  readonly handoverMs: number;
}

/**
 * The timing of the fleet in `fleet`.
 *
 * @throws {RangeError} when the store's `beatIntervalMs` is not a positive number of milliseconds
 */
export function fleetTiming(fleet: Pick<FleetStore, "beatIntervalMs" | "followChanges">): FleetTiming {
  const beatIntervalMs = fleet.beatIntervalMs ?? BEAT_INTERVAL_MS;
  if (typeof beatIntervalMs !== "number" || !(beatIntervalMs > 0) || !Number.isFinite(beatIntervalMs)) {
    throw new RangeError(
      `Cannot run the schedules worker: the fleet store's 'beatIntervalMs' must be a positive number of milliseconds, got ${
        describe(beatIntervalMs)
      }`,
    );
  }
  const memberTtlMs = TTL_INTERVALS * beatIntervalMs;
  return {
    beatIntervalMs,
    memberTtlMs,
    takeoverMs: memberTtlMs + 2 * beatIntervalMs + ROUND_ALLOWANCE_MS,
    handoverMs: fleet.followChanges === undefined ? beatIntervalMs + ROUND_ALLOWANCE_MS : 0,
  };
}

/** The timing of a store that names no beat interval and tells of no join or leave: the NATS fleet's. */
const DEFAULT_TIMING = fleetTiming({});
/** {@link FleetTiming.takeoverMs} on NATS. */
export const TAKEOVER_MS: number = DEFAULT_TIMING.takeoverMs;
/** {@link FleetTiming.handoverMs} on NATS. */
export const HANDOVER_MS: number = DEFAULT_TIMING.handoverMs;

/** The ids of the live members: those whose last beat is within `ttlMs` of the newest beat. */
export function liveMembers(beats: readonly FleetMember[], ttlMs: number): string[] {
  const newest = beats.reduce((max, member) => Math.max(max, member.beatMs), -Infinity);
  return beats.filter((member) => member.beatMs >= newest - ttlMs).map((member) => member.id);
}

/** One worker's membership of its fleet, for one run. */
export class FleetView {
  readonly #fleet: FleetStore;
  readonly #time: TimeSource;
  /** How its rounds are timed: from the store's beat interval. */
  readonly timing: FleetTiming;
  /** The worker run's id: its key in the store. */
  readonly workerId: string;
  /**
   * Told of every new view, once the members changed, with the start of the last successful round before
   * (of this one, for the first view): a member that left or joined since then may have changed who fires
   * what from then on; and the members that joined (new since the view before) with their last beat, epoch
   * ms on the store's clock: a joiner fires what it gains from its join's start, a moment before that beat.
   */
  readonly #onChange: (view: Members, sinceMs: number, joined: ReadonlyMap<string, number>) => void;
  /** Told of the store's own resource a beat found deleted and made again. */
  readonly #onRecreated: (resource: string) => void;
  #view: Members | undefined;
  /** When the last successful round started (its beat), epoch ms. */
  #lastRoundMs: number | undefined;

  /** @throws {RangeError} when the store's `beatIntervalMs` is not a positive number of milliseconds */
  constructor(
    fleet: FleetStore,
    workerId: string,
    time: TimeSource,
    onChange: (view: Members, sinceMs: number, joined: ReadonlyMap<string, number>) => void,
    onRecreated: (resource: string) => void = () => {},
  ) {
    this.timing = fleetTiming(fleet);
    this.#fleet = fleet;
    this.workerId = workerId;
    this.#time = time;
    this.#onChange = onChange;
    this.#onRecreated = onRecreated;
  }

  /** The live members as last read; `undefined` before the first successful round. */
  get view(): Members | undefined {
    return this.#view;
  }

  /**
   * Beats and reads the members once; a new view is told to `onChange`.
   *
   * @returns whether the round succeeded (a failed one keeps the last view)
   */
  async refresh(): Promise<boolean> {
    const startedMs = this.#time.now();
    let beats: FleetMember[];
    try {
      const beat = await this.#fleet.beat(this.workerId);
      if (beat?.recreated !== undefined) this.#onRecreated(beat.recreated);
      beats = await this.#fleet.members();
    } catch {
      return false; // cut off from the store: the last view stands (see the module's documentation)
    }
    this.#take(beats, startedMs);
    return true;
  }

  /**
   * The first round of a worker joining the fleet: reads the members, tells its view (itself among them),
   * and only then beats. The others drop its share as soon as they see that beat: by then it has planned it,
   * however long the round takes. Then a round as `refresh()` does at once, for the workers that joined at
   * the same moment (until it, each of them owns what it would own alone).
   *
   * @returns whether the rounds succeeded (a failed one leaves no view, or no beat until the next round)
   */
  async join(): Promise<boolean> {
    const startedMs = this.#time.now();
    try {
      this.#take(await this.#fleet.members(), startedMs);
    } catch {
      return false;
    }
    return await this.refresh();
  }

  /** Takes the beats a round read as the view; a new view is told to `onChange`. */
  #take(beats: readonly FleetMember[], startedMs: number): void {
    const view = members([...liveMembers(beats, this.timing.memberTtlMs), this.workerId]);
    const sinceMs = this.#lastRoundMs ?? startedMs;
    this.#lastRoundMs = startedMs;
    if (this.#view === undefined || !sameMembers(view, this.#view)) {
      const before = new Set(this.#view?.ids ?? [this.workerId]);
      const joined = new Map(
        beats.filter((beat) => view.ids.includes(beat.id) && !before.has(beat.id)).map((
          beat,
        ) => [beat.id, beat.beatMs]),
      );
      this.#view = view;
      this.#onChange(view, sinceMs, joined);
    }
  }

  /**
   * Refreshes every beat interval (from the start of one round to the
   * start of the next), and at once when the store tells of a join or a
   * leave, until `signal` aborts; then leaves the fleet. The first round is
   * one interval after the call: call `refresh()` first.
   */
  async run(signal: AbortSignal): Promise<void> {
    // Aborted when the run stops, or when the store tells of a join or a leave (during a round too: the next
    // sleep then ends at once). One per sleep that ended early: AbortSignal.any() at every round cost more
    // than the round itself.
    let wake = new AbortController();
    const stop = () => wake.abort(CANCELLED);
    signal.addEventListener("abort", stop, { once: true });
    const unfollow = this.#fleet.followChanges?.(stop);
    try {
      let roundMs = this.#time.now();
      while (!signal.aborted) {
        try {
          await this.#time.sleep(Math.max(0, roundMs + this.timing.beatIntervalMs - this.#time.now()), wake.signal);
        } catch (error) {
          if (!isAbort(error, wake.signal)) throw error;
          wake = new AbortController();
          if (signal.aborted) break;
        }
        roundMs = this.#time.now();
        await this.refresh();
      }
    } finally {
      unfollow?.();
      signal.removeEventListener("abort", stop);
      // A worker that cannot reach the store to leave is dropped by the others after the TTL instead.
      await this.#fleet.leave(this.workerId).catch(() => {});
    }
  }
}
