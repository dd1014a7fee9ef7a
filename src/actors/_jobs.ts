import { withResolvers } from "../_async.ts";

/**
 * At most `limit` jobs hold a slot at once; the first job that throws fails `idle()`. A job may give its slot
 * up while it waits ({@link Jobs.park}): a message waiting for its overlap key holds no slot.
 */
export class Jobs {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  /** The jobs holding a slot: the running ones but those parked. */
  #busy = 0;
  /** Resolves when a job parks; made when someone waits for a slot, kept until then. */
  #parked: PromiseWithResolvers<void> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Waits until a slot is free. */
  async slot(): Promise<void> {
    while (this.#busy >= this.#limit) await this.next();
  }

  /** How many more jobs may start now. */
  get free(): number {
    return this.#limit - this.#busy;
  }

  /** Starts a job without waiting for it; the caller made sure a slot is free. */
  start(job: () => Promise<void>): void {
    this.#busy++;
    const running: Promise<void> = job()
      .catch((error) => void (this.#failure ??= { error }))
      .finally(() => {
        this.#running.delete(running);
        this.#busy--;
      });
    this.#running.add(running);
  }

  /**
   * Runs `wait` without the slot of the job that calls it, then takes a slot again (waiting for one) before
   * it returns: only a running job may call it, once at a time.
   */
  async park<T>(wait: () => Promise<T>): Promise<T> {
    this.#busy--;
    this.#parked?.resolve();
    this.#parked = undefined;
    try {
      return await wait();
    } finally {
      // Checked and taken in one step: another parked job waking with this one must not take the same slot.
      while (this.#busy >= this.#limit) await this.next();
      this.#busy++;
    }
  }

  /**
   * Resolves (with `undefined`) when a slot frees: a job ends or parks; never when none runs. A job's end is
   * awaited as it settles, not told at once: jobs ending in the same turn then free their slots for one pull.
   */
  async next(): Promise<undefined> {
    this.#parked ??= withResolvers();
    await Promise.race([...this.#running, this.#parked.promise]);
  }

  /** Waits until no job runs, parked ones included. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await this.next();
    if (this.#failure) throw this.#failure.error;
  }
}
