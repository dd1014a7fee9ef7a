/**
 * The retry rule of a tick (src/clock/_retry_until.ts) on fake time: attempt windows of min(1 s, what is
 * left), pauses of 50 ms doubling to 1 s and never past the deadline, one immediate retry after a cut
 * connection, nothing attempted after a stop, a hung attempt given up at its window.
 */
import assert from "node:assert/strict";
import { type Retried, retryUntil } from "../../src/clock/_retry_until.ts";
import { ErrorCode, WalnatsError } from "../../src/errors.ts";
import { FakeTime } from "../../testing/mod.ts";

const T = Date.parse("2026-12-07T12:00:00Z");

/** One attempt as the attempt function saw it: when (ms after T) and the window it was given. */
type Seen = { atMs: number; timeoutMs: number };

/**
 * Runs retryUntil until `deadline` (ms after T) with `attempt` answering each attempt (index from 0), fake
 * time running every timer; returns the attempts seen and the result.
 */
async function run<T>(
  time: FakeTime,
  deadline: number,
  attempt: (index: number) => Promise<T>,
  signal?: AbortSignal,
): Promise<{ seen: Seen[]; result: Retried<T> }> {
  const seen: Seen[] = [];
  const running = retryUntil(
    (timeoutMs) => {
      seen.push({ atMs: time.now() - T, timeoutMs });
      return attempt(seen.length - 1);
    },
    T + deadline,
    time,
    signal,
  );
  await time.runAllAsync();
  return { seen, result: await running };
}

const refused = (index: number) => Promise.reject(new Error(`refused ${index}`));
const interrupted = () =>
  Promise.reject(new WalnatsError(ErrorCode.ConnectionInterrupted, "The connection was cut off"));

Deno.test("retryUntil: failed attempts pause 50 ms doubling to 1 s, windows are min(1 s, what is left), none past the deadline", async () => {
  using time = new FakeTime(T);
  const { seen, result } = await run(time, 3_500, refused);
  assert.deepEqual(seen, [
    { atMs: 0, timeoutMs: 1_000 },
    { atMs: 50, timeoutMs: 1_000 },
    { atMs: 150, timeoutMs: 1_000 },
    { atMs: 350, timeoutMs: 1_000 },
    { atMs: 750, timeoutMs: 1_000 },
    { atMs: 1_550, timeoutMs: 1_000 }, // the pause after the fifth: 800 ms
    { atMs: 2_550, timeoutMs: 950 }, // after the sixth 1 s (1600 capped); 950 ms left
  ]);
  // The last pause stops at the deadline: no attempt at or after it.
  assert.equal(result.ok, false);
  assert.deepEqual({ ...result, error: undefined }, {
    ok: false,
    reason: "unacknowledged",
    attempts: 7,
    endedMs: T + 3_500,
    error: undefined,
  });
  assert.equal((result as { error: Error }).error.message, "refused 6", "the last attempt's error");
});

Deno.test("retryUntil: an attempt that answers ends the retries with its value, the attempts and the time", async () => {
  using time = new FakeTime(T);
  const { seen, result } = await run(time, 10_000, (i) => i < 2 ? refused(i) : Promise.resolve("stored"));
  assert.deepEqual(seen.map(({ atMs }) => atMs), [0, 50, 150]);
  assert.deepEqual(result, { ok: true, value: "stored", attempts: 3, endedMs: T + 150 });
});

Deno.test("retryUntil: a hung attempt is given up at its window, even when it ignores its timeoutMs", async () => {
  using time = new FakeTime(T);
  const { seen, result } = await run(time, 2_500, () => new Promise<never>(() => {}));
  assert.deepEqual(seen, [
    { atMs: 0, timeoutMs: 1_000 },
    { atMs: 1_050, timeoutMs: 1_000 },
    { atMs: 2_150, timeoutMs: 350 }, // the window ends at the deadline
  ]);
  assert.equal(result.ok, false);
  assert.equal(result.ok === false && result.reason, "unacknowledged");
  assert.deepEqual([result.attempts, result.endedMs], [3, T + 2_500]);
  assert.match(String((result as { error: Error }).error), /No answer within 350 ms/);
});

Deno.test("retryUntil: after CONNECTION_INTERRUPTED the next attempt starts at once, once; twice in a row it pauses", async () => {
  using time = new FakeTime(T);
  const { seen, result } = await run(time, 600, interrupted);
  assert.deepEqual(seen.map(({ atMs }) => atMs), [0, 0, 100, 100, 500, 500]);
  assert.deepEqual([result.ok, result.attempts, result.endedMs], [false, 6, T + 600]);
});

Deno.test("retryUntil: an interruption after an ordinary failure is retried at once; an ordinary failure always pauses", async () => {
  using time = new FakeTime(T);
  const { seen } = await run(time, 400, (i) => i === 1 ? interrupted() : refused(i));
  // 0 refused, pause 50; 50 interrupted, at once; 50 refused, pause 200; 250 refused, pause 150 to the deadline.
  assert.deepEqual(seen.map(({ atMs }) => atMs), [0, 50, 50, 250]);
});

Deno.test("retryUntil: a deadline already passed attempts nothing", async () => {
  using time = new FakeTime(T);
  const { seen, result } = await run(time, 0, refused);
  assert.deepEqual(seen, []);
  assert.deepEqual(result, { ok: false, reason: "unacknowledged", attempts: 0, endedMs: T });
});

Deno.test("retryUntil: an abort during a pause ends it as stopped, with no attempt after the abort", async () => {
  using time = new FakeTime(T);
  const stop = new AbortController();
  const seen: number[] = [];
  const running = retryUntil(
    () => {
      seen.push(time.now() - T);
      return refused(seen.length - 1);
    },
    T + 10_000,
    time,
    stop.signal,
  );
  await time.tickAsync(20); // inside the 50 ms pause after the first attempt
  stop.abort(new Error("stopping"));
  await time.runAllAsync();
  const result = await running;
  assert.deepEqual(seen, [0]);
  assert.equal(result.ok === false && result.reason, "stopped");
  assert.deepEqual([result.attempts, result.endedMs], [1, T + 20]);
  assert.equal((result as { error: Error }).error.message, "refused 0", "the report keeps the last attempt's error");
});

Deno.test("retryUntil: an abort during an attempt is stopped without another attempt, even after an interruption", async () => {
  using time = new FakeTime(T);
  const stop = new AbortController();
  const { seen, result } = await run(time, 10_000, () => {
    stop.abort(new Error("stopping"));
    return interrupted(); // would be retried at once, were it not stopped
  }, stop.signal);
  assert.equal(seen.length, 1);
  assert.equal(result.ok === false && result.reason, "stopped");
  assert.deepEqual([result.attempts, result.endedMs], [1, T]);
});

Deno.test("retryUntil: a signal aborted before the start attempts nothing", async () => {
  using time = new FakeTime(T);
  const { seen, result } = await run(time, 10_000, refused, AbortSignal.abort());
  assert.deepEqual(seen, []);
  assert.deepEqual(result, { ok: false, reason: "stopped", attempts: 0, endedMs: T });
});
