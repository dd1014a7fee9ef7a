/**
 * The delay rule of one delivery (src/actors/_delivery.ts), which the NATS actors
 * and the in-memory ones share: our `Walnats-Not-Before` (epoch ms) and
 * Python walnats' `Walnats-Delay` (epoch seconds, a float), on hand-built
 * headers. tests/nats/walnats_delay_test.ts publishes the same headers into
 * a real stream.
 */
import assert from "node:assert/strict";
import { type Delivery, handleDelivery } from "../src/actors/_delivery.ts";
import { Actor, Event, type JobEvent } from "../mod.ts";
import { FakeTime } from "../testing/mod.ts";

const NOW = Date.parse("2026-12-07T12:00:00Z");

/** What one delivery with `headers` did: the replies it sent, the job events told, the attempts the handler ran. */
async function deliver(headers: Record<string, string>, deliveryCount = 1) {
  using time = new FakeTime(NOW);
  const replies: string[] = [];
  const events: JobEvent[] = [];
  const attempts: number[] = [];
  const actor = new Actor("remind", new Event("reminder", String), (_text, { attempt }) => void attempts.push(attempt));
  const delivery: Delivery = {
    seq: 7,
    data: new TextEncoder().encode('"call Ada"'),
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
