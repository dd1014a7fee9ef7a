import { CANCELLED, isAbort } from "../_async.ts";
import { ErrorCode, isWalnatsError } from "../errors.ts";
import type { TimeSource } from "../core/time_source.ts";

/** Longest wait for one attempt's answer. */
const ATTEMPT_TIMEOUT_MS = 1_000;
/** Pauses between failed attempts: 50 ms, doubling, at most 1 s. */
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 1_000;

/** How the attempts ended, and when (epoch ms on the time source). */
export type Retried<T> =
  & { attempts: number; endedMs: number }
  & ({ ok: true; value: T } | { ok: false; reason: "unacknowledged" | "stopped"; error?: unknown });

/**
 * Runs `attempt` until it resolves, `deadline` (epoch ms on `time`) comes, or
 * `signal` aborts. Each attempt gets at most 1 s, and no more than what is
 * left: it is given up then even when it does not keep to its `timeoutMs`.
 * Failed attempts are followed by a pause (50 ms, doubling, at most 1 s),
 * except one the connection cut off (`CONNECTION_INTERRUPTED`): the next
 * attempt starts at once, as the publisher holds it back until the
 * connection is up. Twice in a row, the pause applies again.
 */
export async function retryUntil<T>(
  attempt: (timeoutMs: number) => Promise<T>,
  deadline: number,
  time: TimeSource,
  signal: AbortSignal | undefined,
): Promise<Retried<T>> {
  let attempts = 0;
  let error: unknown;
  let pausedLast = true;
  const failed = (reason: "unacknowledged" | "stopped"): Retried<T> => ({
    ok: false,
    reason,
    attempts,
    endedMs: time.now(),
    ...(error === undefined ? {} : { error }),
  });
  for (let now = time.now(); now < deadline; now = time.now()) {
    if (signal?.aborted) return failed("stopped"); // no new attempt once stopped: nothing goes out after the stop
    attempts++;
    try {
      const value = await withTimeout(attempt, Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, deadline - now)), time);
      return { ok: true, value, attempts, endedMs: time.now() };
    } catch (failure) {
      error = failure;
    }
    const remainingMs = deadline - time.now();
    if (remainingMs <= 0) break;
    const pause: boolean = !pausedLast || !isWalnatsError(error, ErrorCode.ConnectionInterrupted);
    pausedLast = pause;
    try {
      if (signal?.aborted) throw signal.reason;
      if (pause) await time.sleep(Math.min(RETRY_BASE_MS * 2 ** (attempts - 1), RETRY_MAX_MS, remainingMs), signal);
    } catch (failure) {
      if (!isAbort(failure, signal)) throw failure;
      return failed("stopped");
    }
  }
  return failed("unacknowledged");
}

/** One attempt, given up after `timeoutMs` of the time source's time. */
async function withTimeout<T>(
  attempt: (timeoutMs: number) => Promise<T>,
  timeoutMs: number,
  time: TimeSource,
): Promise<T> {
  const answer = attempt(timeoutMs); // first: an attempt that keeps to its own timeout reports its own error
  const timer = new AbortController();
  const timedOut = time.sleep(timeoutMs, timer.signal).then(() => {
    throw new Error(`No answer within ${timeoutMs} ms`);
  });
  try {
    return await Promise.race([answer, timedOut]);
  } finally {
    timer.abort(CANCELLED);
  }
}
