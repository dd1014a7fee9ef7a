/** At most `limit` jobs at once; the first job that throws fails `idle()`. */
export class Jobs {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Waits until fewer than `limit` jobs run. */
  async slot(): Promise<void> {
    while (this.#running.size >= this.#limit) await this.next();
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

  /** Resolves (with `undefined`) when a running job ends; never when none runs. */
  async next(): Promise<undefined> {
    await Promise.race(this.#running);
  }

  /** Waits until no job runs. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await this.next();
    if (this.#failure) throw this.#failure.error;
  }
}
