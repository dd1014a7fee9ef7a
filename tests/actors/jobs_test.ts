/**
 * The job slots of an actor (src/actors/_jobs.ts): at most `limit` jobs at once, `idle()` waits for all of
 * them, and the first job that throws fails `idle()`. Jobs end when the test says so, through deferred
 * promises, so nothing here depends on timing.
 */
import assert from "node:assert/strict";
import { Jobs } from "../../src/actors/_jobs.ts";

/** A job that ends when `end()` (or `fail()`) is called, and says whether it started. */
function job() {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const state = { started: false, end: () => resolve(), fail: (error: unknown) => reject(error) };
  return {
    ...state,
    run: () => {
      state.started = true;
      return promise;
    },
    get started() {
      return state.started;
    },
  };
}

/** Lets every settled promise run its continuations. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Whether `promise` has settled by now. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => void (done = true), () => void (done = true));
  await settle();
  return done;
}

Deno.test("Jobs.slot() resolves at once while fewer than the limit run, and waits while the limit runs", async () => {
  const jobs = new Jobs(2);
  const [a, b] = [job(), job()];
  await jobs.slot();
  jobs.start(a.run);
  await jobs.slot();
  jobs.start(b.run);
  assert.equal(jobs.free, 0);
  const slot = jobs.slot();
  assert.equal(await settled(slot), false, "a third slot while two jobs run");
  b.end();
  assert.equal(await settled(slot), true, "a slot once one job ended");
  assert.equal(jobs.free, 1);
  a.end();
  await jobs.idle();
  assert.equal(jobs.free, 2);
});

Deno.test("Jobs.start() runs the job at once, without waiting for it", () => {
  const jobs = new Jobs(1);
  const a = job();
  jobs.start(a.run);
  assert.equal(a.started, true);
  a.end();
  return jobs.idle();
});

Deno.test("Jobs.idle() waits until no job runs, and resolves at once when none does", async () => {
  const jobs = new Jobs(3);
  await jobs.idle();
  const [a, b] = [job(), job()];
  jobs.start(a.run);
  jobs.start(b.run);
  const idle = jobs.idle();
  a.end();
  assert.equal(await settled(idle), false, "idle while one job still runs");
  b.end();
  assert.equal(await settled(idle), true);
});

Deno.test("Jobs.idle() throws the first failure, after every job ended; later ones are not kept", async () => {
  const jobs = new Jobs(3);
  const [a, b, c] = [job(), job(), job()];
  for (const each of [a, b, c]) jobs.start(each.run);
  const first = new Error("first");
  a.fail(first);
  await settle();
  b.fail(new Error("second"));
  const idle = jobs.idle();
  assert.equal(await settled(idle), false, "idle while a job still runs, even after a failure");
  c.end();
  await assert.rejects(idle, (error) => error === first);
  assert.equal(jobs.free, 3, "a failed job frees its slot");
});

Deno.test("Jobs.next() resolves with undefined when a running job ends, and not before", async () => {
  const jobs = new Jobs(2);
  const [a, b] = [job(), job()];
  jobs.start(a.run);
  jobs.start(b.run);
  const next = jobs.next();
  assert.equal(await settled(next), false);
  b.end();
  assert.equal(await next, undefined);
  assert.equal(jobs.free, 1);
  a.end();
  await jobs.idle();
});
