/**
 * The command's health (a clock's or a schedules worker's), as `/healthz` and `/readyz` tell it.
 *
 * @module
 */
import type { ConnectionStatus } from "../src/events/connection_status.ts";
import { messageOf } from "../src/errors.ts";

/** Whether the worker can emit ticks now, and why not. */
export type Readiness = { ready: true } | { ready: false; reason: string };

/**
 * Alive from its creation until {@link Health.stopped}. Ready once the streams
 * are registered ({@link Health.registered}), while the connection is up and
 * the check (JetStream reads each clock's stream, or a schedules worker's
 * bucket) passes.
 */
export class Health {
  readonly #what: string;
  readonly #waiting: string;
  #stopped = false;
  #connected = true;
  #check: (() => Promise<unknown>) | undefined;

  /**
   * @param what what the check reads, for the reasons: `the streams` (clocks), `the schedules' bucket`
   * @param waiting the reason until {@link Health.registered}
   */
  constructor(what = "the streams", waiting = `connecting and registering ${what}`) {
    this.#what = what;
    this.#waiting = waiting;
  }

  /**
   * The streams are registered (or the worker is connected): readiness runs `check` from now on.
   *
   * @param check rejects when JetStream does not answer or a stream (the bucket) is missing
   */
  registered(check: () => Promise<unknown>): void {
    this.#check = check;
  }

  /** A change of the connection. */
  onStatus(status: ConnectionStatus): void {
    this.#connected = status.type === "reconnected";
  }

  /** The clocks stopped: no longer alive. */
  stopped(): void {
    this.#stopped = true;
  }

  /** Whether the worker's loop is alive. */
  get alive(): boolean {
    return !this.#stopped;
  }

  /** Whether the worker can emit ticks now; runs the check when connected. */
  async ready(): Promise<Readiness> {
    if (this.#stopped) return { ready: false, reason: "stopped" };
    if (this.#check === undefined) return { ready: false, reason: this.#waiting };
    if (!this.#connected) return { ready: false, reason: "the connection to NATS is lost, reconnecting" };
    try {
      await this.#check();
      return { ready: true };
    } catch (error) {
      return { ready: false, reason: `JetStream does not answer for ${this.#what}: ${messageOf(error)}` };
    }
  }
}
