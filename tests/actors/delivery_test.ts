/**
 * The delay rule of one delivery (src/actors/_delivery.ts), which the NATS actors
 * and the in-memory ones share: our `Walnats-Not-Before` (epoch ms) and
 * Python walnats' `Walnats-Delay` (epoch seconds, a float), on hand-built
 * headers. tests/nats/walnats_delay_test.ts publishes the same headers into
 * a real stream.
 */
import assert from "node:assert/strict";
import { type Delivery, handleDelivery } from "../../src/actors/_delivery.ts";
import { Actor, type ActorOptions, Event, type JobContext, type JobEvent } from "../../mod.ts";
import { FakeTime } from "../../testing/mod.ts";

const NOW = Date.parse("2026-12-07T12:00:00Z");

/**
 * What one delivery with `headers` did: the replies it sent, the job events told, the attempts the handler
 * ran. `options` make the handler throw, set the actor's options, or replace the payload.
 */
async function deliver(
  headers: Record<string, string>,
  deliveryCount = 1,
  options: { fail?: boolean; actor?: ActorOptions; data?: Uint8Array; contexts?: JobContext[] } = {},
) {
  using time = new FakeTime(NOW);
  const replies: string[] = [];
  const events: JobEvent[] = [];
  const attempts: number[] = [];
  const actor = new Actor("remind", new Event("reminder", String), (_text, context) => {
    attempts.push(context.attempt);
    options.contexts?.push(context);
    if (options.fail) throw new Error("no phone");
  }, options.actor);
  const delivery: Delivery = {
    seq: 7,
    subject: "reminder",
    data: options.data ?? new TextEncoder().encode('"call Ada"'),
    headers,
    deliveryCount,
    ack: () => Promise.resolve(void replies.push("ack")),
    nak: (delayMs) => Promise.resolve(void replies.push(`nak ${delayMs}`)),
    term: () => Promise.resolve(void replies.push("term")),
  };
  const notes = { first: (_key: string, count: number) => Promise.resolve(count), forget: () => Promise.resolve() };
  await handleDelivery(actor, delivery, { time, notes, onEvent: (event) => void events.push(event) });
  return { replies, events: events.map(({ type }) => type), all: events, attempts };
}

/** Python's `str(time.time() + seconds)` at NOW. */
const walnatsDelay = (seconds: number) => String((NOW + seconds * 1000) / 1000);

Deno.test("a Walnats-Delay still to come (Python walnats' epoch seconds) is given back until then, unhandled", async () => {
  const { replies, all, attempts } = await deliver({ "Walnats-Delay": walnatsDelay(90.25) });
  assert.deepEqual(replies, ["nak 90250"]);
  assert.deepEqual(all, [{ type: "delayed", actor: "remind", seq: 7, dueMs: NOW + 90_250 }]);
  assert.deepEqual(attempts, []);
});

Deno.test("a Walnats-Delay that has passed is handled as attempt 1 (its deliveries before were no attempts)", async () => {
  // The third delivery, the first one due: nothing is noted yet for the message.
  const { replies, events, attempts } = await deliver({ "Walnats-Delay": walnatsDelay(-1) }, 3);
  assert.deepEqual([replies, events, attempts], [["ack"], ["start", "success"], [1]]);
});

Deno.test("with both delay headers the later instant wins, whichever header holds it", async () => {
  const notBefore = (seconds: number) => String(NOW + seconds * 1000);
  const delayLater = await deliver({ "Walnats-Not-Before": notBefore(10), "Walnats-Delay": walnatsDelay(60) });
  const notBeforeLater = await deliver({ "Walnats-Not-Before": notBefore(60), "Walnats-Delay": walnatsDelay(10) });
  const onePassed = await deliver({ "Walnats-Not-Before": notBefore(-5), "Walnats-Delay": walnatsDelay(30) });
  assert.deepEqual(
    [delayLater.replies, notBeforeLater.replies, onePassed.replies],
    [["nak 60000"], ["nak 60000"], ["nak 30000"]],
  );
});

Deno.test("a delay header that is not a number counts as absent, and is reported with the actor, seq and value", async () => {
  for (const [header, value] of [["Walnats-Delay", "soon"], ["Walnats-Delay", ""], ["Walnats-Not-Before", "0x10"]]) {
    const { replies, all, attempts } = await deliver({ [header!]: value! });
    assert.deepEqual(all[0], { type: "bad-header", actor: "remind", seq: 7, header, value });
    assert.deepEqual([replies, all.slice(1).map((e) => e.type), attempts], [["ack"], ["start", "success"], [1]]);
  }
  // A good one beside a bad one still delays.
  const { replies, events } = await deliver({ "Walnats-Not-Before": "later", "Walnats-Delay": walnatsDelay(5) });
  assert.deepEqual([replies, events], [["nak 5000"], ["bad-header", "delayed"]]);
});

// --- the rest of a delivery's rules: retries, termination, undecodable payloads, origin -------------------

Deno.test("a failed attempt is given back after the retry delay of its attempt, the last delay repeating", async () => {
  const actor = { retryDelay: [1, 5], maxAttempts: 10 };
  const naks = [];
  for (const count of [1, 2, 3, 9]) {
    const { replies, all, attempts } = await deliver({}, count, { fail: true, actor });
    assert.deepEqual(attempts, [count]);
    const failure = all.find((event) => event.type === "failure");
    assert.deepEqual([failure?.type === "failure" && failure.retryInMs, failure?.attempt], [
      Number(replies[0]!.slice(4)),
      count,
    ]);
    naks.push(...replies);
  }
  assert.deepEqual(naks, ["nak 1000", "nak 5000", "nak 5000", "nak 5000"]);
});

Deno.test("the attempt at maxAttempts that fails terminates the message instead of a retry", async () => {
  const actor = { retryDelay: 2, maxAttempts: 3 };
  const below = await deliver({}, 2, { fail: true, actor });
  assert.deepEqual([below.replies, below.events], [["nak 2000"], ["start", "failure"]]);
  const last = await deliver({}, 3, { fail: true, actor });
  assert.deepEqual([last.replies, last.events], [["term"], ["start", "terminated"]]);
  const terminated = last.all[1]!;
  assert.ok(terminated.type === "terminated");
  assert.deepEqual([terminated.attempt, terminated.reason, String(terminated.error)], [
    3,
    "attempts",
    "Error: no phone",
  ]);
});

/** Bytes a text payload cannot decode from. */
const NOT_UTF8 = new Uint8Array([0xff, 0xfe]);

Deno.test("an undecodable payload is terminated unhandled, with an error naming the seq, stream, schedule and kind", async () => {
  const { replies, all, attempts } = await deliver({ "Walnats-Schedule": "daily-call" }, 1, { data: NOT_UTF8 });
  assert.deepEqual([replies, attempts, all.map(({ type }) => type)], [["term"], [], ["terminated"]]);
  const terminated = all[0]!;
  assert.ok(terminated.type === "terminated");
  assert.equal(terminated.reason, "decode");
  assert.ok(terminated.error instanceof TypeError);
  assert.match(
    terminated.error.message,
    /^Cannot decode message 7 of stream '[^']+' \(fired by schedule 'daily-call'\) as payload kind '[^']+': /,
  );
  const plain = await deliver({}, 1, { data: NOT_UTF8 });
  const error = plain.all[0]!.type === "terminated" ? plain.all[0]!.error : undefined;
  assert.doesNotMatch(String(error), /fired by schedule/, "no schedule named when the message has none");
});

Deno.test("the job context carries the tick and schedule a message was sent for, and nothing for a plain message", async () => {
  const contexts: JobContext[] = [];
  await deliver({ "Walnats-Tick": String(NOW), "Walnats-Schedule": "daily-call" }, 1, { contexts });
  await deliver({}, 1, { contexts });
  assert.deepEqual(contexts.map(({ tick, schedule, seq }) => [tick, schedule, seq]), [
    [new Date(NOW), "daily-call", 7],
    [undefined, undefined, 7],
  ]);
});

Deno.test("the job context carries the ticks before and after a tick; a header that is not a number is left out", async () => {
  const contexts: JobContext[] = [];
  const headers = { "Walnats-Tick": String(NOW), "Walnats-Previous-Tick": String(NOW - 60_000) };
  await deliver({ ...headers, "Walnats-Next-Tick": String(NOW + 60_000) }, 1, { contexts });
  await deliver({ ...headers, "Walnats-Next-Tick": "soon" }, 1, { contexts });
  await deliver({ "Walnats-Tick": String(NOW) }, 1, { contexts });
  assert.deepEqual(contexts.map(({ previousTick, nextTick }) => [previousTick, nextTick]), [
    [new Date(NOW - 60_000), new Date(NOW + 60_000)],
    [new Date(NOW - 60_000), undefined],
    [undefined, undefined],
  ]);
  assert.ok(!("nextTick" in contexts[1]!), "an unreadable Walnats-Next-Tick is no key of the context");
});
