/**
 * Requests that know about reconnects. nats.js 3.4 discards what is written
 * while it reconnects, and an answer on a dropped connection never comes:
 * a request made in the gap, or in flight when the connection drops, would
 * wait for its whole timeout. A {@link ConnectionWatch} holds requests back
 * while the connection is down and rejects those in flight as soon as it
 * drops or is replaced, so that the caller can retry at once.
 *
 * No nats.js import: it is fed the `type` of nats.js statuses.
 *
 * @module
 */
import { CANCELLED, delay } from "../_async.ts";
import { connectionInterrupted, ErrorCode, WalnatsError } from "../errors.ts";

/** nats.js status types after which the connection requests went out on is gone. */
const DROPPED: ReadonlySet<string> = new Set(["disconnect", "reconnecting", "staleConnection", "forceReconnect"]);
/** The nats.js status type of a connection that is back: requests sent now get answers. */
const BACK = "reconnect";

/** Follows one connection's drops and returns; see the module's documentation. */
export class ConnectionWatch {
  #up = true;
  #closed = false;
  /** Aborts when the connection that requests go out on now drops or is replaced. */
  #current = new AbortController();
  /** Resolves when the connection is back (or the watch is closed). */
  #back: Promise<void> = Promise.resolve();
  #resolveBack: () => void = () => {};

  /** Whether requests go out now: the connection is up, or the watch is closed (requests then fail on their own). */
  get up(): boolean {
    return this.#up || this.#closed;
  }

  /** Takes in one nats.js status type: a drop or a return interrupts the requests in flight. */
  update(type: string): void {
    if (DROPPED.has(type)) {
      if (this.#up) this.#back = new Promise((resolve) => this.#resolveBack = resolve);
      this.#up = false;
      this.#interrupt();
    } else if (type === BACK) {
      this.#up = true;
      this.#interrupt();
      this.#resolveBack();
    }
  }

  /** Lets waiting requests go (they fail on the closed connection); the watch takes no more statuses. */
  close(): void {
    this.#closed = true;
    this.#resolveBack();
  }

  /**
   * Sends a request once the connection is up, and returns its answer.
   *
   * @param what what is tried, for the errors: "Cannot emit 'x'"
   * @param send sends the request and waits for its answer (with a timeout of its own)
   * @param waitMs how long to wait for a lost connection to come back before sending
   * @param stopped ends that wait early (nothing is sent then)
   * @throws {WalnatsError} `CONNECTION_INTERRUPTED` at once when the connection drops or is replaced
   *   while the answer is awaited; `CONNECTION_FAILED` when the connection is not back within `waitMs`
   *   or before `stopped` aborts (nothing was sent); else what `send` rejects with
   */
  async request<T>(what: string, send: () => Promise<T>, waitMs: number, stopped?: AbortSignal): Promise<T> {
    if (!this.up) await this.#connected(what, waitMs, stopped);
    const interrupted = this.#current.signal;
    const answer = send();
    return await new Promise<T>((resolve, reject) => {
      const onInterrupt = () => reject(connectionInterrupted(what));
      interrupted.addEventListener("abort", onInterrupt, { once: true });
      answer.then(resolve, reject).finally(() => interrupted.removeEventListener("abort", onInterrupt));
    });
  }

  async #connected(what: string, waitMs: number, stopped: AbortSignal | undefined): Promise<void> {
    const timer = new AbortController();
    const cancel = () => timer.abort(CANCELLED);
    stopped?.addEventListener("abort", cancel, { once: true });
    if (stopped?.aborted) cancel();
    const notBack = delay(waitMs, timer.signal).catch(() => {}).then(() => {
      throw new WalnatsError(
        ErrorCode.ConnectionFailed,
        `${what}: the connection to NATS is lost and was not back ` +
          `${stopped?.aborted ? "when the wait was given up" : `within ${waitMs} ms`}; nothing was sent`,
      );
    });
    try {
      await Promise.race([this.#back, notBack]);
    } finally {
      stopped?.removeEventListener("abort", cancel);
      timer.abort(CANCELLED);
    }
  }

  #interrupt(): void {
    this.#current.abort(CANCELLED);
    this.#current = new AbortController();
  }
}
