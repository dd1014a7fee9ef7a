/** The two timer functions a delay needs: the global ones, or a fake clock's. */
export interface Timers<Id> {
  /** Calls `callback` after `ms`; `fail` rejects the delay instead, for timers that will never fire. */
  setTimeout(callback: () => void, ms: number, fail: (error: unknown) => void): Id;
  clearTimeout(id: Id): void;
}

const globalTimers: Timers<ReturnType<typeof setTimeout>> = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/**
 * Resolves after `ms` milliseconds (negative counts as 0) of `timers`' time,
 * or rejects with the signal's reason as soon as it aborts. Leaves no timer
 * behind either way.
 */
export function delay<Id = ReturnType<typeof setTimeout>>(
  ms: number,
  signal?: AbortSignal,
  timers: Timers<Id> = globalTimers as Timers<Id>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      timers.clearTimeout(timer);
      reject(signal?.reason);
    };
    const settle = (error?: unknown) => {
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = timers.setTimeout(() => settle(), Math.max(0, ms), settle);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Whether an error is the one an aborted signal rejects with. */
export function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && error === signal.reason;
}

/**
 * The reason internal controllers abort with when they only cancel a timer
 * or a wait: made once, where `abort()` without a reason makes a
 * `DOMException` (with its stack) every time.
 */
export const CANCELLED: Error = new Error("cancelled");

/**
 * Calls `fn` now and returns its result as a promise: a throw becomes a
 * rejection. What `Promise.try()` does, which Node.js 20 lacks.
 */
export function promiseTry<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

/**
 * A promise and the functions that settle it. What `Promise.withResolvers()` does, which Node.js 20 lacks (a
 * package bundled for Node 20 failed on it: tests/nats/node_test.ts).
 */
export function withResolvers<T>(): PromiseWithResolvers<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
