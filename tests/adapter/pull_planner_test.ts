/**
 * The pull planner of the NATS actor listener: how many messages to pull
 * and when, without a server.
 */
import assert from "node:assert/strict";
import { type Pull, PullPlanner } from "../../src/nats/_pull_planner.ts";

/** `pull`, which the test expects to be there. */
function started(pull: Pull | undefined): Pull {
  assert.ok(pull, "a pull was started");
  return pull;
}

/** `count` messages of `pull` come. */
function arrive(planner: PullPlanner, pull: Pull, count: number): void {
  for (let n = 0; n < count; n++) planner.arrived(pull);
}

Deno.test("start() with no pull out asks for every free slot", () => {
  for (const maxJobs of [1, 2, 5, 16]) {
    const planner = new PullPlanner(maxJobs);
    assert.equal(started(planner.start(maxJobs)).count, maxJobs, `maxJobs ${maxJobs}`);
    assert.equal(planner.asked, maxJobs);
    assert.equal(planner.pullsOut, 1);
  }
  // Any free slot is worth a pull when none is out, fewer than half the slots too.
  assert.equal(started(new PullPlanner(16).start(1)).count, 1);
});

Deno.test("start() with no free slot starts no pull", () => {
  const planner = new PullPlanner(4);
  assert.equal(planner.start(0), undefined);
  assert.equal(planner.pullsOut, 0);
});

Deno.test("start() overlaps a pull only once at least half the slots are free and not asked for", () => {
  // maxJobs 5: the batch is 2 (half, rounded down).
  const planner = new PullPlanner(5);
  const first = started(planner.start(5));
  arrive(planner, first, 5); // five jobs run, the pull is still out
  assert.equal(planner.start(0), undefined);
  assert.equal(planner.start(1), undefined, "1 free slot while a pull is out is less than the batch");
  assert.deepEqual(started(planner.start(2)), { count: 2 });
  assert.equal(planner.pullsOut, 2);
  // 3 free slots, 2 of them asked for: 1 unasked is less than the batch.
  assert.equal(planner.start(3), undefined);
  assert.deepEqual(started(planner.start(4)), { count: 2 });
  assert.equal(planner.asked, 4);
});

Deno.test("start() with maxJobs 1 asks for one message at a time", () => {
  const planner = new PullPlanner(1);
  const pull = started(planner.start(1));
  assert.equal(pull.count, 1);
  assert.equal(planner.start(1), undefined, "the slot is asked for already");
  planner.arrived(pull);
  assert.equal(planner.start(0), undefined);
  planner.ended(pull);
  assert.equal(started(planner.start(1)).count, 1);
});

Deno.test("never more slots asked for and jobs running than maxJobs, through any order of arrivals, ends and failures", () => {
  // A deterministic pseudo-random walk (xorshift32) over the listener's steps.
  let state = 12345;
  const random = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  for (const maxJobs of [1, 2, 3, 4, 7, 16]) {
    const planner = new PullPlanner(maxJobs);
    const out: { pull: Pull; missing: number }[] = [];
    let running = 0;
    let overlapped = false;
    for (let step = 0; step < 2_000; step++) {
      const pull = planner.start(maxJobs - running);
      if (pull) out.push({ pull, missing: pull.count });
      // Out of 10: 4 a message arrives, 1 a pull ends or fails, 4 a job ends, 1 nothing happens.
      const choice = random(10);
      const index = random(Math.max(1, out.length));
      const chosen = out[index];
      if (choice < 4 && chosen && chosen.missing > 0) {
        planner.arrived(chosen.pull);
        chosen.missing--;
        running++;
      } else if (choice === 4 && chosen) {
        const result = random(2) === 0 ? planner.ended(chosen.pull) : planner.failed(chosen.pull, new Error("x"));
        if ("received" in result) assert.equal(result.received, chosen.pull.count - chosen.missing);
        out.splice(index, 1);
      } else if (choice < 9 && running > 0) {
        running--; // a job ends
      }
      const asked = out.reduce((sum, { missing }) => sum + missing, 0);
      assert.equal(planner.asked, asked, `maxJobs ${maxJobs}, step ${step}`);
      assert.equal(planner.pullsOut, out.length);
      overlapped ||= out.length > 1;
      assert.ok(asked + running <= maxJobs, `maxJobs ${maxJobs}, step ${step}: ${asked} asked + ${running} running`);
    }
    assert.ok(overlapped || maxJobs === 1, `maxJobs ${maxJobs}: the walk had two pulls out at once`);
  }
});

Deno.test("ended() of a pull that brought fewer messages than asked gives the other slots back", () => {
  const planner = new PullPlanner(4);
  const pull = started(planner.start(4));
  arrive(planner, pull, 1);
  assert.equal(planner.asked, 3);
  assert.deepEqual(planner.ended(pull), { received: 1 });
  assert.equal(planner.asked, 0);
  assert.equal(planner.pullsOut, 0);
  // One job runs on the message that came: the 3 other slots are asked for again.
  assert.deepEqual(started(planner.start(3)), { count: 3 });
});

Deno.test("failed() gives back the slots of a failed pull and reports its error", () => {
  const planner = new PullPlanner(4);
  const pull = started(planner.start(4));
  arrive(planner, pull, 2);
  const error = new Error("connection lost");
  assert.deepEqual(planner.failed(pull, error), { failed: error });
  assert.equal(planner.asked, 0);
  assert.equal(planner.pullsOut, 0);
  assert.deepEqual(started(planner.start(2)), { count: 2 });
});

Deno.test("a pull that ended or failed cannot be counted again", () => {
  const planner = new PullPlanner(2);
  const pull = started(planner.start(2));
  planner.ended(pull);
  assert.throws(() => planner.arrived(pull), /not out/);
  assert.throws(() => planner.ended(pull), /not out/);
  assert.throws(() => planner.failed(pull, new Error("x")), /not out/);
  assert.equal(planner.asked, 0);
});

Deno.test("burstOver() only when a pull found nothing while no other pull is out and no job runs", () => {
  const planner = new PullPlanner(4);
  const empty = started(planner.start(4));
  const nothing = planner.ended(empty);
  assert.deepEqual(nothing, { received: 0 });
  assert.equal(planner.burstOver(nothing, 4), true);
  assert.equal(planner.burstOver(nothing, 3), false, "a job runs");
  assert.equal(planner.burstOver({ received: 1 }, 4), false, "the pull found a message");
  assert.equal(planner.burstOver({ failed: new Error("x") }, 4), false, "the pull failed: it found nothing yet");

  // Another pull is out: the first brought 4 messages, 2 of their jobs ended, a second pull asks for 2.
  const first = started(planner.start(4));
  arrive(planner, first, 4);
  const second = started(planner.start(2));
  assert.equal(planner.burstOver(planner.ended(second), 4), false, "the first pull is still out");
  assert.equal(planner.burstOver(planner.ended(first), 4), false, "the first pull brought 4 messages");
  assert.equal(planner.burstOver(planner.ended(started(planner.start(4))), 4), true);
});
