/** `Backlog`: an actor's listener pulls ahead of its free slots only while its latest job was quick. */
import assert from "node:assert/strict";
import { Backlog, QUICK_JOB_MS } from "../../src/nats/_backlog.ts";

Deno.test("Backlog.room() is the free slots alone until a job ended, and after a slow job", () => {
  const backlog = new Backlog<string>(4);
  assert.equal(backlog.room(4), 4, "no job ended yet");
  backlog.ended(QUICK_JOB_MS);
  assert.equal(backlog.room(1), 1, "a job of QUICK_JOB_MS is not quick");
});

Deno.test("Backlog.room() adds maxJobs after a quick job, less the messages waiting; a slow job ends it", () => {
  const backlog = new Backlog<string>(4);
  backlog.ended(QUICK_JOB_MS - 1);
  assert.equal(backlog.room(0), 4);
  backlog.push("a");
  backlog.push("b");
  assert.equal(backlog.room(0), 2);
  assert.equal(backlog.room(1), 3);
  backlog.ended(QUICK_JOB_MS + 1);
  assert.equal(backlog.room(0), -2, "the waiting messages still count: nothing more is asked for");
});

Deno.test("Backlog.shift() gives the waiting messages oldest first, then undefined", () => {
  const backlog = new Backlog<string>(2);
  backlog.push("a");
  backlog.push("b");
  assert.deepEqual([backlog.shift(), backlog.shift(), backlog.shift()], ["a", "b", undefined]);
});
