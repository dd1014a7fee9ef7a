import assert from "node:assert/strict";
import { delay, isAbort, promiseTry } from "../src/_async.ts";
import { systemTime } from "../src/core/time_source.ts";

Deno.test("delay() rejects with the signal's reason on abort and clears its timer", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const sleeping = delay(3_600_000, controller.signal);
  controller.abort(reason);
  await assert.rejects(sleeping, (error) => error === reason);
});

Deno.test("delay() rejects at once when the signal is already aborted", async () => {
  const reason = new Error("already");
  await assert.rejects(delay(3_600_000, AbortSignal.abort(reason)), (error) => error === reason);
});

Deno.test("systemTime.sleep() stops on abort and leaves no timer behind", async () => {
  const controller = new AbortController();
  const sleeping = systemTime.sleep(3_600_000, controller.signal);
  controller.abort();
  await assert.rejects(sleeping, (error) => isAbort(error, controller.signal));
});

Deno.test("isAbort() recognizes only the reason of an aborted signal", () => {
  const reason = new Error("stop");
  const aborted = AbortSignal.abort(reason);
  assert.equal(isAbort(reason, aborted), true);
  assert.equal(isAbort(new Error("stop"), aborted), false);
  assert.equal(isAbort(reason, new AbortController().signal), false);
  assert.equal(isAbort(reason, undefined), false);
});

Deno.test("promiseTry() calls the function at once and turns its throw into a rejection", async () => {
  const calls: string[] = [];
  const error = new Error("full");
  const rejected = promiseTry(() => {
    calls.push("called");
    throw error;
  });
  calls.push("returned");
  await assert.rejects(rejected, (thrown) => thrown === error);
  assert.deepEqual(calls, ["called", "returned"]);
  assert.equal(await promiseTry(() => 42), 42);
  assert.equal(await promiseTry(() => Promise.resolve("later")), "later");
});
