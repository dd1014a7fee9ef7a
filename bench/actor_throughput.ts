/**
 * actor_throughput: messages per second an `Actor` with a no-op handler
 * handles and acks, next to a bare nats.js `consume()` + `ack()` loop on
 * the same stream, in the same run; and the actor with other `maxJobs`.
 * The bare loop and the actors take turns over 3 rounds of 10,000 messages
 * each, and each reports its median: on a shared machine one measurement of
 * either alone swings by half.
 *
 * @module
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Actor, Actors, Event, Events } from "../mod.ts";
import { atLeast, type CaseResult } from "./_case.ts";
import { median, preciseNow, round } from "./_stats.ts";

const MESSAGES = 10_000;
const ROUNDS = 3;
const EVENT = new Event("bench-actor", String);
/** The default first; the others show what the pull size does. */
const MAX_JOBS = [16, 64, 256];

/** Registers the consumers, then per round stores the messages and lets each consumer handle all of them in turn. */
export async function actorThroughput(url: string): Promise<CaseResult> {
  const nc = await connect({ servers: url });
  try {
    await using events = await new Events(EVENT).connect(nc);
    await events.register();
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(EVENT.stream, {
      durable_name: "bench-bare",
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
    });
    const actors = MAX_JOBS.map((maxJobs) => new Actor(`bench-actor-${maxJobs}`, EVENT, () => {}, { maxJobs }));
    await using sub = await new Actors(...actors).connect(nc);
    await sub.register();
    const js = jetstream(nc);

    const bare: number[] = [];
    const rates = new Map<Actor<typeof String>, number[]>(actors.map((actor) => [actor, []]));
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(Array.from({ length: MESSAGES }, (_, index) => js.publish(EVENT.subject, String(index))));
      bare.push(await bareRate(nc));
      for (const actor of actors) rates.get(actor)!.push(await actorRate(url, actor));
    }
    const baseline = { messagesPerSecond: median(bare), rounds: bare };
    const byMaxJobs: Record<string, number> = {};
    for (const [actor, samples] of rates) byMaxJobs[actor.maxJobs] = median(samples);
    const ours = { messagesPerSecond: byMaxJobs[MAX_JOBS[0]!] ?? NaN, byMaxJobs, rounds: rates.get(actors[0]!) };
    const ratio = round(ours.messagesPerSecond / baseline.messagesPerSecond);
    return {
      ours,
      baseline,
      ratio,
      ratioOf: `messages/s, Actor (default maxJobs 16) / consume() + ack(), medians of ${ROUNDS} rounds taken in turn`,
      summary: {
        ours: `${ours.messagesPerSecond} msg/s (maxJobs ${
          Object.entries(byMaxJobs).map(([jobs, rate]) => `${jobs}: ${rate}`).join(", ")
        })`,
        baseline: `consume() + ack(): ${baseline.messagesPerSecond} msg/s`,
      },
      targets: [
        atLeast("rate Actor / consume() >= 0.5 (at least as fast as 055be64)", ratio, 0.5),
        atLeast("rate Actor / consume() >= 0.8 (the goal)", ratio, 0.8),
      ],
    };
  } finally {
    await nc.close();
  }
}

/** How fast a bare `consume()` loop acks the messages. */
async function bareRate(nc: Parameters<typeof jetstream>[0]): Promise<number> {
  const consumer = await jetstream(nc).consumers.get(EVENT.stream, "bench-bare");
  const started = preciseNow();
  const messages = await consumer.consume();
  let handled = 0;
  for await (const message of messages) {
    message.ack();
    if (++handled === MESSAGES) break;
  }
  return Math.round(MESSAGES / (preciseNow() - started) * 1000);
}

/** How fast the actor handles the messages, on a connection of its own, as a process running it has. */
async function actorRate(url: string, actor: Actor<typeof String>): Promise<number> {
  await using sub = await new Actors(actor).connect({ servers: url });
  const stop = new AbortController();
  let handled = 0;
  let finished = NaN;
  const started = preciseNow();
  await sub.listen({
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type !== "success" || ++handled < MESSAGES) return;
      finished = preciseNow();
      stop.abort();
    },
  });
  return Math.round(MESSAGES / (finished - started) * 1000);
}
