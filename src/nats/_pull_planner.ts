/**
 * How many messages an actor's listener pulls, and when: the bookkeeping of
 * its pulls, without I/O or timers.
 *
 * Internal module (leading underscore): not part of the published API.
 *
 * @module
 */

/** One pull the planner decided on: it asks for `count` messages. */
export interface Pull {
  /** How many messages the pull asks for. */
  readonly count: number;
}

/** How a pull ended: it brought `received` messages (none, maybe), or it failed with `failed`. */
export type PullResult = { readonly received: number } | { readonly failed: unknown };

/**
 * Decides the pulls of one listener, so that no message waits in a buffer
 * while its ack wait runs out: the slots asked for in pulls not answered yet
 * plus the jobs running are never more than `maxJobs`. Pulls overlap: once
 * half the slots (at least one) are free and not asked for, the next pull
 * goes out while the last one may still be answering; with no pull out, any
 * free slot is asked for.
 */
export class PullPlanner {
  readonly #maxJobs: number;
  readonly #batch: number;
  /** Per pull out: how many of the messages it asked for have not come yet. */
  readonly #missing = new Map<Pull, number>();

  /** @param maxJobs how many jobs of the actor may run at once */
  constructor(maxJobs: number) {
    this.#maxJobs = maxJobs;
    this.#batch = Math.max(1, Math.floor(maxJobs / 2));
  }

  /** Slots asked for in pulls whose messages have not come yet. */
  get asked(): number {
    let asked = 0;
    for (const missing of this.#missing.values()) asked += missing;
    return asked;
  }

  /** Pulls started and not ended yet. */
  get pullsOut(): number {
    return this.#missing.size;
  }

  /**
   * The pull to start now, with `free` job slots, counted as out; `undefined`
   * when none should start: fewer than half the slots are free and not asked
   * for while a pull is out, or none at all.
   */
  start(free: number): Pull | undefined {
    const wanted = free - this.asked;
    if (!(wanted >= this.#batch || (wanted > 0 && this.#missing.size === 0))) return undefined;
    const pull: Pull = { count: wanted };
    this.#missing.set(pull, wanted);
    return pull;
  }

  /** One message of `pull` came: its slot is no longer asked for, a job takes it. */
  arrived(pull: Pull): void {
    this.#missing.set(pull, this.#missingOf(pull) - 1);
  }

  /** `pull` ended: the slots of the messages that did not come are free again. */
  ended(pull: Pull): PullResult {
    const missing = this.#missingOf(pull);
    this.#missing.delete(pull);
    return { received: pull.count - missing };
  }

  /** `pull` failed with `error`: the slots of the messages that did not come are free again. */
  failed(pull: Pull, error: unknown): PullResult {
    this.#missingOf(pull);
    this.#missing.delete(pull);
    return { failed: error };
  }

  /**
   * Whether a listener that runs in bursts is done: the pull that ended with
   * `result` found nothing, while no other pull is out and, with `free` job
   * slots, no job runs.
   */
  burstOver(result: PullResult, free: number): boolean {
    return "received" in result && result.received === 0 && this.#missing.size === 0 && free === this.#maxJobs;
  }

  #missingOf(pull: Pull): number {
    const missing = this.#missing.get(pull);
    if (missing === undefined) throw new Error("This pull is not out: it was not started here, or it ended");
    return missing;
  }
}
