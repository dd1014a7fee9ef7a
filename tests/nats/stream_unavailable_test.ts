/**
 * STREAM_UNAVAILABLE against a real 3-node cluster: a replicated stream
 * without a leader answers publishes with "no responders", and the library
 * says the stream cannot answer, not that it does not exist; a schedules
 * worker started while its bucket has no leader waits for one.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  type AppliedChange,
  Clock,
  ErrorCode,
  Event,
  Events,
  isWalnatsError,
  Schedules,
  type TickReport,
} from "../../mod.ts";
import { delay } from "../../src/_async.ts";
import { settled, waitUntil } from "../_wait.ts";
import { startCluster } from "./_cluster.ts";

/** The name of the server leading `stream`, once there is one. */
async function streamLeader(url: string, stream: string): Promise<string> {
  const nc = await connect({ servers: url });
  try {
    let leader: string | undefined;
    await waitUntil(async () => {
      const jsm = await jetstreamManager(nc, { timeout: 1_000, checkAPI: false });
      leader = (await jsm.streams.info(stream).catch(() => undefined))?.cluster?.leader;
      return leader !== undefined && leader !== "";
    }, { what: `a leader of '${stream}'` });
    return leader!;
  } finally {
    await nc.close();
  }
}

Deno.test("a clustered stream without a leader is STREAM_UNAVAILABLE for emit() and ticks; a missing one STREAM_NOT_FOUND", async () => {
  await using cluster = await startCluster();
  const clock = new Clock({
    event: new Event("second-passed", Date, { limits: { replicas: 3 } }),
    period: 1,
  });
  const never = new Event("never-registered", Object);
  // The cluster takes a while to answer for an R3 stream: try until it does.
  await waitUntil(async () => {
    try {
      await using conn = await new Events(clock.event).connect({ servers: cluster.urls });
      await conn.register();
      return true;
    } catch {
      return false;
    }
  }, { what: "the R3 stream to be created" });
  // While the cluster is whole, an event without a stream is STREAM_NOT_FOUND, as on a single server.
  {
    await using conn = await new Events(never).connect({ servers: cluster.urls });
    const error = await conn.emit(never, { a: 1 }).then(() => assert.fail("stored"), (error: unknown) => error);
    assert.ok(isWalnatsError(error, ErrorCode.StreamNotFound), String(error));
  }

  // Stop the stream's leader and one more server: the last one is a follower without a quorum.
  const leader = await streamLeader(cluster.urls, "second-passed");
  const survivor = [...cluster.servers.keys()].find((name) => name !== leader)!;
  // Connected first: without a JetStream meta leader, connect()'s own JetStream check gets no answer.
  await using conn = await new Events(clock.event).connect({ servers: cluster.servers.get(survivor)!.url });
  for (const [name, server] of cluster.servers) if (name !== survivor) await server.stop();

  const error = await settled(
    conn.emit(clock.event, new Date()).then(() => assert.fail("stored"), (error: unknown) => error),
    { what: "emit() to fail" },
  );
  assert.ok(isWalnatsError(error, ErrorCode.StreamUnavailable), String(error));
  // Without a quorum the follower answers 503 or not at all, as the machine's load has it: either is unavailable.
  assert.match((error as Error).message, /stream 'second-passed' (cannot answer now|did not answer in time)/);

  const reports: TickReport[] = [];
  await settled(clock.run(conn, { burst: true, onTick: (report) => reports.push(report) }), { what: "the tick" });
  assert.equal(reports.length, 1, JSON.stringify(reports));
  assert.equal(reports[0]?.outcome, "missed");
  assert.equal(reports[0]?.reason, "unacknowledged");
  assert.ok(isWalnatsError(reports[0]?.error, ErrorCode.StreamUnavailable), String(reports[0]?.error));
});

Deno.test("a schedules worker started while the schedules' bucket has no leader waits for it, then follows the schedules", async () => {
  await using cluster = await startCluster();
  const event = new Event("reminders", Object, { limits: { replicas: 3 } });
  await using admin = await new Schedules(event).connect({ servers: cluster.urls });
  await waitUntil(() => admin.register().then(() => true, () => false), { what: "the R3 bucket to be created" });
  await admin.upsert("before", { event, period: 3600, value: {} });

  const bucket = "KV_walnats-schedules";
  const leader = await streamLeader(cluster.urls, bucket);
  const survivor = cluster.servers.get([...cluster.servers.keys()].find((name) => name !== leader)!)!;
  await using worker = await new Schedules(event).connect({ servers: survivor.url });
  const others = [...cluster.servers.values()].filter((server) => server !== survivor);
  const outage = Promise.all(others.map((server) => server.restart({ downMs: 3_000 })));
  const nc = await connect({ servers: survivor.url });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 500, checkAPI: false });
    await waitUntil(() => jsm.streams.info(bucket).then(() => false, () => true), {
      what: "the bucket to lose its leader",
    });
  } finally {
    await nc.close();
  }

  const stop = new AbortController();
  const changes: AppliedChange[] = [];
  let failure: unknown;
  const running = worker.run({ signal: stop.signal, onChange: (change) => changes.push(change) })
    .catch((error: unknown) => failure = error);
  try {
    // Mid-outage (the bucket has no quorum until the two servers are back): the worker waits, it has not failed.
    await delay(1_000);
    assert.deepEqual([failure, changes], [undefined, []]);
    await outage;
    const told = (id: string) => () => {
      if (failure !== undefined) throw failure;
      return changes.some((change) => change.id === id && change.kind === "put");
    };
    await waitUntil(told("before"), { what: "the worker to read the schedule stored before" });
    await waitUntil(() => admin.upsert("after", { event, period: 3600, value: {} }).then(() => true, () => false), {
      what: "an upsert after the outage",
    });
    await waitUntil(told("after"), { what: "the worker to follow a change after the outage" });
  } finally {
    stop.abort();
    await running;
  }
  assert.equal(failure, undefined, String(failure));
});
