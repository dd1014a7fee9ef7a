import assert from "node:assert/strict";
import { systemTime } from "../../src/core/time_source.ts";

Deno.test("systemTime.sleep() never resolves before Date.now() has moved on by the time asked for", async () => {
  for (const ms of [0, 0.5, 1, 1.5, 2, 3, 7, 20]) {
    const before = Date.now();
    await systemTime.sleep(ms);
    assert.ok(Date.now() >= before + ms, `sleep(${ms}) from ${before} ended at ${Date.now()}`);
  }
});

Deno.test("systemTime.sleep() ends many sleeps due at one instant, each not before it", async () => {
  const instant = Date.now() + 10;
  const woken: number[] = [];
  await Promise.all(
    Array.from({ length: 100 }, () => systemTime.sleep(instant - Date.now()).then(() => woken.push(Date.now()))),
  );
  assert.equal(woken.length, 100);
  assert.ok(woken.every((at) => at >= instant), `woken ${Math.min(...woken)}, instant ${instant}`);
});

Deno.test("systemTime.sleep() rejects with the reason when aborted in its last stretch", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const sleeping = systemTime.sleep(1.5, controller.signal); // short: in its last stretch at once
  controller.abort(reason);
  await assert.rejects(sleeping, (error) => error === reason);
  // The other sleeps of the last stretch go on.
  const before = Date.now();
  await systemTime.sleep(1);
  assert.ok(Date.now() >= before + 1);
});

Deno.test("systemTime.sleep() rejects at once when the signal is already aborted", async () => {
  const reason = new Error("already");
  await assert.rejects(systemTime.sleep(1, AbortSignal.abort(reason)), (error) => error === reason);
});
