/**
 * Actors' confirmed acks on a real nats-server, pipelined: a job's slot is
 * free once its handler is done and its ack is sent, while the server's
 * confirmation is awaited in the background; `listen()` ends only once the
 * confirmations in flight are in (or told as `unconfirmed`). The connection
 * passed to `Actors.connect()` holds back or drops the acks as the test says,
 * standing for a server slow to confirm, or one whose answers are lost.
 */
import assert from "node:assert/strict";
import { errors, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { delay } from "../../src/_async.ts";
import { AckReplies } from "../../src/nats/_confirmed_ack.ts";
import { Actor, Actors, Event, Events, type JobEvent } from "../../mod.ts";
import { settled, waitUntil } from "../_wait.ts";
import { consumerCounts } from "./_stream.ts";

/** Where an ack, nak or term of a JetStream message goes. */
const ACK_PREFIX = "$JS.ACK.";

/** `nc` with its publishes of acks, naks and terms handed to `ack`, which sends them or not; the rest go through. */
function withAcks(nc: NatsConnection, ack: (send: () => void) => void): NatsConnection {
  return new Proxy(nc, {
    get(target, property) {
      if (property === "publish") {
        return (...args: Parameters<NatsConnection["publish"]>) =>
          args[0].startsWith(ACK_PREFIX) ? ack(() => target.publish(...args)) : target.publish(...args);
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("an actor with maxJobs 1 handles every message while the server has confirmed none of their acks; a burst listen() ends only once they are confirmed", async () => {
  await using server = await startNatsServer();
  const event = new Event("held-acks", Number);
  await using events = await new Events(event).connect({ servers: server.url });
  await events.register();
  const nc = await connect({ servers: server.url });
  try {
    let release = () => {};
    const released = new Promise<void>((resolve) => release = resolve);
    let acksSent = 0;
    const held = withAcks(nc, (send) => {
      acksSent++;
      released.then(send);
    });
    const handled: number[] = [];
    const actor = new Actor("held-acks-worker", event, (payload) => void handled.push(payload), { maxJobs: 1 });
    await using actors = await new Actors(actor).connect(held);
    await actors.register();
    for (let i = 0; i < 3; i++) await events.emit(event, i);

    const jobEvents: JobEvent[] = [];
    const order: string[] = [];
    const stop = new AbortController();
    // A burst ends once no message is left, and waits for its confirmations however long they take (an
    // aborted listen() gives them 0.5 s at most: that bound is not what this test is about).
    const listening = actors.listen({ signal: stop.signal, burst: true, onEvent: (e) => jobEvents.push(e) })
      .then(() => void order.push("listen() ended"));
    try {
      await waitUntil(() => handled.length === 3, {
        what: "the 3 messages handled, one slot, no ack confirmed",
        details: () => `handled ${JSON.stringify(handled)}, ${acksSent} acks sent`,
      });
      assert.equal(acksSent, 3, "each message's ack sent once");
      assert.deepEqual(jobEvents.map((e) => e.type), ["start", "success", "start", "success", "start", "success"]);

      await delay(200); // a listen() that does not wait for its confirmations ends meanwhile
      order.push("acks confirmed");
      release();
      await settled(listening, { what: "listen() to end" });
    } finally {
      release();
      stop.abort();
      await listening;
    }
    assert.deepEqual(order, ["acks confirmed", "listen() ended"]);
    assert.deepEqual(handled, [0, 1, 2], "each message handled once, in order");
    assert.deepEqual(jobEvents.filter((e) => e.type === "unconfirmed"), [], "every ack confirmed");
    assert.deepEqual(await consumerCounts(server.url, event.stream, actor.name), { pending: 0, ackPending: 0 });
  } finally {
    await nc.close();
  }
});

Deno.test("an ack the server never confirms is told as unconfirmed after the handler's success, once the message's ack wait ran out, while the listener runs", async () => {
  await using server = await startNatsServer();
  const event = new Event("lost-acks", Number);
  await using events = await new Events(event).connect({ servers: server.url });
  await events.register();
  const nc = await connect({ servers: server.url });
  try {
    // Every ack is lost on its way: the server never answers it.
    const held = withAcks(nc, () => {});
    const actor = new Actor("lost-acks-worker", event, () => {}, { ackWait: 1 });
    await using actors = await new Actors(actor).connect(held);
    await actors.register();
    const { seq } = await events.emit(event, 1);

    const jobEvents: JobEvent[] = [];
    const stop = new AbortController();
    // Stopped by the report itself: it came while the listener ran, from the ack wait, not from the stop.
    const onEvent = (e: JobEvent) => {
      jobEvents.push(e);
      if (e.type === "unconfirmed") stop.abort();
    };
    // Before: the in-progress pulses kept moving the ack's deadline while it was retried: no report, no end.
    await settled(actors.listen({ signal: stop.signal, onEvent }), {
      what: "the unconfirmed report",
      details: () => JSON.stringify(jobEvents),
    });
    const first = jobEvents.findIndex((e) => e.type === "unconfirmed");
    assert.deepEqual(
      jobEvents.slice(0, 2).map((e) => [e.type, "seq" in e ? e.seq : undefined]),
      [["start", seq], ["success", seq]],
    );
    const unconfirmed = jobEvents[first] as Extract<JobEvent, { type: "unconfirmed" }>;
    assert.deepEqual([unconfirmed.seq, unconfirmed.reply], [seq, "ack"]);
    assert.ok(unconfirmed.error instanceof errors.TimeoutError, `unconfirmed for ${unconfirmed.error}`);
  } finally {
    await nc.close();
  }
});

Deno.test("AckReplies.send() rejects with NoRespondersError when nobody listens on the subject, with TimeoutError when nobody answers", async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const replies = new AckReplies(nc);
  const silent = nc.subscribe("acks.silent");
  try {
    await assert.rejects(replies.send("acks.nobody", "+ACK", 5_000), errors.NoRespondersError);
    await assert.rejects(replies.send("acks.silent", "+ACK", 50), errors.TimeoutError);
  } finally {
    silent.unsubscribe();
    replies.close();
    await nc.close();
  }
});
