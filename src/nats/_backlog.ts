/**
 * The messages an actor's listener pulled ahead of its free job slots.
 *
 * Internal module (leading underscore): not part of the published API.
 *
 * @module
 */

/** How long the latest job may have taken, at most, for a listener to pull ahead, in milliseconds. */
export const QUICK_JOB_MS = 20;

/**
 * The messages a listener pulled ahead of its free slots, each waiting for
 * one. It pulls ahead, up to `maxJobs` messages more, only while its latest
 * job was quick (under {@link QUICK_JOB_MS}): then a slot frees before a
 * pull's round trip ends, and pulling for free slots alone held a no-op
 * actor to under half a bare `consume()` loop's throughput. A slow job stops
 * it, so that a busy process leaves the messages to idle ones. Whoever holds
 * a waiting message keeps it in progress on the server meanwhile.
 */
export class Backlog<T> {
  readonly #maxJobs: number;
  readonly #waiting: T[] = [];
  /** How long the latest job took, in milliseconds: none yet counts as slow. */
  #latestJobMs = Infinity;

  /** @param maxJobs how many jobs of the actor may run at once: also how many messages may wait */
  constructor(maxJobs: number) {
    this.#maxJobs = maxJobs;
  }

  /** How many messages the listener may ask for now, with `free` job slots (less than none: none). */
  room(free: number): number {
    return free + (this.#latestJobMs < QUICK_JOB_MS ? this.#maxJobs : 0) - this.#waiting.length;
  }

  /** A message came while no slot was free: it waits. */
  push(message: T): void {
    this.#waiting.push(message);
  }

  /** The message that waited longest, taken out; `undefined` when none waits. */
  shift(): T | undefined {
    return this.#waiting.shift();
  }

  /** A job ended after `durationMs`. */
  ended(durationMs: number): void {
    this.#latestJobMs = durationMs;
  }
}
