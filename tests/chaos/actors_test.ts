/**
 * Actors on a 3-node cluster through a leader kill and server restarts: an
 * R3 event, 200 messages emitted with uids over about 30 s, three processes
 * of one actor, each connected first to another server; the stream leader
 * SIGKILLed (and started again), then two servers restarted one after the
 * other (each stopped by its PID and started again on its port and store),
 * the times and servers planned from a seed (`CHAOS_SEED` replays a run).
 *
 * Audited from the lines the handlers print (each run: the message's
 * payload, stream sequence and `attempt`): every message handled (none
 * lost), and a message handled twice ran the second time as a redelivery
 * (`attempt` > 1), never as two first runs. Prints one line of figures
 * (`chaos:`), for docs/exactly-once.md.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { delay } from "../../src/_async.ts";
import { Event, Events } from "../../mod.ts";
import { waitUntil } from "../_wait.ts";
import type { ActorLine } from "../nats/_actor_process.ts";
import { startCluster } from "../nats/_cluster.ts";
import { allReady, killAll, type ScriptProcess, startScript, stopScript } from "../nats/_processes.ts";
import { awaitNewLeader, chaosSeed, Random, SEED_VARIABLE, streamLeader } from "./_chaos.ts";

const MESSAGES = 200;
/** The pause between two emits: 200 messages over about 30 s. */
const EMIT_EVERY_MS = 150;
/** The actor's ack wait, in seconds: longer than an election (4–8 s on 2.9.10), so an ack can wait one out. */
const ACK_WAIT_S = 10;
/** How long the emitter tries one message before the test fails. */
const EMIT_GIVE_UP_MS = 30_000;
/** How long the SIGKILLed leader stays down. */
const KILL_DOWN_MS = 2_000;

/** One handler run, as a process printed it. */
interface Run {
  payload: number;
  seq: number;
  attempt: number;
}

/** What the runs of the handlers show. */
interface RunAudit {
  /** Messages (payloads from 0 to `messages` - 1) no run handled. */
  lost: number[];
  /** Stream sequences with more than one run. */
  twice: number[];
  /** Stream sequences with more than one run at `attempt` 1: a second run that was not a redelivery. */
  firstRunsTwice: number[];
  /** Runs with `attempt` > 1. */
  redeliveries: number;
  /** Payloads stored under more than one sequence (the emitter's uids should prevent it). */
  storedTwice: number[];
}

/** Audits the runs of `messages` messages, payloads 0 to `messages` - 1. */
function auditRuns(runs: readonly Run[], messages: number): RunAudit {
  const bySeq = Map.groupBy(runs, (run) => run.seq);
  const seqsByPayload = new Map<number, Set<number>>();
  for (const run of runs) seqsByPayload.set(run.payload, (seqsByPayload.get(run.payload) ?? new Set()).add(run.seq));
  return {
    lost: Array.from({ length: messages }, (_, i) => i).filter((payload) => !seqsByPayload.has(payload)),
    twice: [...bySeq].filter(([, own]) => own.length > 1).map(([seq]) => seq),
    firstRunsTwice: [...bySeq].filter(([, own]) => own.filter((run) => run.attempt === 1).length > 1).map(([seq]) =>
      seq
    ),
    redeliveries: runs.filter((run) => run.attempt > 1).length,
    storedTwice: [...seqsByPayload].filter(([, seqs]) => seqs.size > 1).map(([payload]) => payload),
  };
}

Deno.test("auditRuns() finds a lost message, two first runs of one message and a payload stored twice; a redelivery is none of them", () => {
  const runs: Run[] = [
    { payload: 0, seq: 1, attempt: 1 },
    { payload: 0, seq: 1, attempt: 2 }, // a redelivery
    { payload: 1, seq: 2, attempt: 1 },
    { payload: 1, seq: 2, attempt: 1 }, // run twice as a first run
    { payload: 3, seq: 4, attempt: 1 },
    { payload: 3, seq: 5, attempt: 1 }, // stored twice
  ];
  assert.deepEqual(auditRuns(runs, 4), {
    lost: [2],
    twice: [1, 2],
    firstRunsTwice: [2],
    redeliveries: 1,
    storedTwice: [3],
  });
});

/** The consumer's messages not yet delivered plus those delivered and not acked; undefined without an answer. */
async function unsettled(servers: string[], stream: string, consumer: string): Promise<number | undefined> {
  const nc = await connect({ servers, timeout: 1_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1_000, checkAPI: false });
    const info = await jsm.consumers.info(stream, consumer).catch(() => undefined);
    return info === undefined ? undefined : info.num_pending + info.num_ack_pending;
  } finally {
    await nc.close();
  }
}

Deno.test("R3 event, 3 actor processes: a leader SIGKILL and two server restarts lose no message, and a message runs twice only as a redelivery", async () => {
  const seed = chaosSeed();
  const random = new Random(seed);
  await using cluster = await startCluster();
  const urls = [...cluster.servers.values()].map((server) => server.url);
  const event = new Event("chaos-actors", Number, { limits: { replicas: 3 } });
  const actorName = "chaos-worker";
  await using events = await waitForStream(event, urls);

  // Each process starts on another server; it learns the others from the cluster and moves when its own goes.
  const procs: ScriptProcess<ActorLine>[] = urls.map((url, i) =>
    startScript<ActorLine>(`actor #${i + 1}`, "./_actor_process.ts", [
      "--server",
      url,
      "--event",
      event.name,
      "--actor",
      actorName,
      "--job-ms=400",
      `--ack-wait=${ACK_WAIT_S}`,
    ])
  );
  const disruptions: string[] = [];
  let electionMs = NaN;
  try {
    await allReady(procs);
    const emitted = emitAll(events, event);

    // The stream leader SIGKILLed 5–9 s in, started again 2 s later.
    await delay(random.int(5_000, 9_000));
    const leader = await streamLeader(urls, event.stream);
    assert.ok(leader !== undefined, "the stream has no leader");
    const killedAt = Date.now();
    const restarted = cluster.servers.get(leader)!.restart({ signal: "SIGKILL", downMs: KILL_DOWN_MS });
    const others = urls.filter((url) => url !== cluster.servers.get(leader)!.url);
    const newLeader = await awaitNewLeader(others, event.stream, leader, restarted);
    electionMs = Date.now() - killedAt;
    await restarted;
    disruptions.push(`SIGKILL of leader ${leader}: ${newLeader} leads after ${electionMs} ms`);

    // Two servers restarted (SIGTERM), one after the other, each once the stream has a leader again.
    const names = [...cluster.servers.keys()];
    const first = random.pick(names);
    for (const name of [first, random.pick(names.filter((other) => other !== first))]) {
      await delay(random.int(3_000, 6_000));
      const downMs = random.int(500, 2_000);
      await cluster.servers.get(name)!.restart({ downMs });
      await awaitNewLeader(urls, event.stream);
      disruptions.push(`restart of ${name}, down ${downMs} ms`);
    }

    await emitted;
    const runs = () => procs.flatMap((proc) => proc.lines.filter((line) => line.type === "handled"));
    await waitUntil(() => new Set(runs().map((run) => run.payload)).size === MESSAGES, {
      what: `all ${MESSAGES} messages handled`,
      timeoutMs: 45_000,
      details: () => JSON.stringify(auditRuns(runs().map(toRun), MESSAGES)),
    });
    // Nothing left to deliver or to redeliver: every run that will happen has happened.
    await waitUntil(async () => await unsettled(urls, event.stream, actorName).catch(() => undefined) === 0, {
      what: "the consumer to have no message pending or unacknowledged",
      timeoutMs: 30_000,
    });
    for (const proc of procs) await stopScript(proc);

    const all = runs().map(toRun);
    const audit = auditRuns(all, MESSAGES);
    const unconfirmed = procs.flatMap((proc) => proc.lines.filter((line) => line.type === "unconfirmed"));
    console.log(`chaos: actors (${SEED_VARIABLE}=${seed}): ${
      JSON.stringify({
        messages: MESSAGES,
        handled: MESSAGES - audit.lost.length,
        runs: all.length,
        runTwice: audit.twice.length,
        redeliveries: audit.redeliveries,
        firstRunsTwice: audit.firstRunsTwice.length,
        unconfirmedAcks: unconfirmed.length,
        perProcess: procs.map((proc) => proc.lines.filter((line) => line.type === "handled").length),
        disruptions,
      })
    }`);
    assert.deepEqual(audit.lost, [], `messages lost (seed ${seed})`);
    assert.deepEqual(audit.firstRunsTwice, [], `messages run twice as a first run (seed ${seed})`);
    assert.deepEqual(audit.storedTwice, [], `payloads stored twice despite their uid (seed ${seed})`);
  } finally {
    await killAll(procs);
  }
});

function toRun(line: ActorLine): Run {
  return { payload: line.payload!, seq: line.seq, attempt: line.attempt! };
}

/** Creates the R3 stream (the cluster takes a while to answer for one: tried until it does) and returns the connection. */
async function waitForStream(event: Event, urls: string[]) {
  let conn: Awaited<ReturnType<Events["connect"]>> | undefined;
  await waitUntil(async () => {
    try {
      conn ??= await new Events(event).connect({ servers: urls });
      await conn.register();
      return true;
    } catch {
      return false;
    }
  }, { what: "the R3 stream to be created" });
  return conn!;
}

/**
 * Emits payloads 0 to `MESSAGES` - 1, one every `EMIT_EVERY_MS`, each with the uid `m-<payload>`: an emit
 * that fails (the stream without a leader, the connection lost) is tried again for up to 30 s, the uid keeping it
 * single.
 */
async function emitAll(events: Awaited<ReturnType<Events["connect"]>>, event: Event<typeof Number>): Promise<void> {
  const pending: Promise<void>[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    pending.push((async () => {
      const giveUpAt = Date.now() + EMIT_GIVE_UP_MS;
      for (;;) {
        try {
          await events.emit(event, i, { uid: `m-${i}` });
          return;
        } catch (error) {
          if (Date.now() > giveUpAt) throw error;
          await delay(100);
        }
      }
    })());
    await delay(EMIT_EVERY_MS);
  }
  await Promise.all(pending);
}
