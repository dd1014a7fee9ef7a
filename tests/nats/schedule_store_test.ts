/**
 * The schedules' store on a real nats-server: the `walnats-schedules` KV
 * bucket (compare-and-set, list, watch across a restart), the ledger read of
 * a schedule's fires, and the bucket's replicas on a 3-node cluster.
 */
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { type NatsServer, startNatsServer } from "../_nats_server_supervisor.ts";
import { ErrorCode, Event, isWalnatsError } from "../../mod.ts";
import { dialOrAdopt } from "../../src/nats/connect.ts";
import { deleteTheConsumer } from "./_stream.ts";
import { connectNatsSchedules, SCHEDULES_BUCKET } from "../../src/nats/schedule_store.ts";
import type { ScheduleChange, SchedulesBackendConnection, ScheduleStore } from "../../src/schedules/stores.ts";
import { waitUntil } from "../_wait.ts";
import { startCluster } from "./_cluster.ts";

const BUCKET_STREAM = `KV_${SCHEDULES_BUCKET}`;
const text = new TextEncoder();
const decoded = new TextDecoder();

/** The events' connection and the store on one link, for `servers`; disposing closes the link. */
async function open(servers: string, events: Event[] = []): Promise<SchedulesBackendConnection & AsyncDisposable> {
  const conn = connectNatsSchedules(await dialOrAdopt({ servers }), events);
  return { ...conn, [Symbol.asyncDispose]: () => conn.events.close() };
}

/** A store with its bucket registered. */
async function registered(server: NatsServer): Promise<SchedulesBackendConnection & AsyncDisposable> {
  const conn = await open(server.url);
  await conn.store.registerBucket();
  return conn;
}

/** Every schedule `list()` gives, as `[id, data as text, revision]`, sorted by id. */
async function listed(store: ScheduleStore): Promise<[string, string, number][]> {
  const all: [string, string, number][] = [];
  for await (const s of store.list()) all.push([s.id, decoded.decode(s.data), s.revision]);
  return all.sort(([a], [b]) => a.localeCompare(b));
}

/** A change as a short tuple: `["put", id, data]`, `["delete", id]`, `["ready"]`. */
function shortly(change: ScheduleChange): unknown[] {
  if (change.kind === "put") return ["put", change.schedule.id, decoded.decode(change.schedule.data)];
  if (change.kind === "delete") return ["delete", change.id];
  return ["ready"];
}

/** `watch()` in the background, collecting its changes; disposing aborts it and waits for its end. */
function watching(store: ScheduleStore) {
  const stop = new AbortController();
  const changes: unknown[][] = [];
  const done = (async () => {
    for await (const change of store.watch(stop.signal)) changes.push(shortly(change));
  })();
  const until = (what: string, condition: () => boolean) =>
    waitUntil(condition, { what, details: () => JSON.stringify(changes) });
  return {
    changes,
    done,
    until,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await done;
    },
  };
}

/** The bucket's leader (`undefined` while it has none) and its consumers, read on a connection of its own. */
async function bucketInfo(servers: string) {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1_000 });
    const leader = (await jsm.streams.info(BUCKET_STREAM).catch(() => undefined))?.cluster?.leader || undefined;
    return { leader, consumers: await jsm.consumers.list(BUCKET_STREAM).next() };
  } finally {
    await nc.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then((value) => assert.fail(`expected a rejection, got ${String(value)}`), (error) => error);
}

Deno.test("registerBucket() creates the bucket (history 1, replicas 1) and leaves it as it is the second time", async () => {
  await using server = await startNatsServer();
  await using conn = await open(server.url);
  await conn.store.registerBucket();
  assert.equal(await conn.store.write("a", text.encode("1"), 0), 1);
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const before = await jsm.streams.info(BUCKET_STREAM);
    assert.equal(before.config.max_msgs_per_subject, 1);
    assert.equal(before.config.num_replicas, 1);
    await conn.store.registerBucket();
    const after = await jsm.streams.info(BUCKET_STREAM);
    assert.deepEqual(after.config, before.config);
    assert.equal(after.created, before.created);
    assert.equal(after.state.messages, 1);
  } finally {
    await nc.close();
  }
});

Deno.test("write() is a compare-and-set: of two writers at the same revision one wins, the other gets undefined", async () => {
  await using server = await startNatsServer();
  await using first = await registered(server);
  await using second = await open(server.url);
  const created = await first.store.write("weekly", text.encode("v1"), 0);
  assert.equal(typeof created, "number");
  // A second create of the same key loses too.
  assert.equal(await second.store.write("weekly", text.encode("other"), 0), undefined);

  const results = await Promise.all([
    first.store.write("weekly", text.encode("from first"), created!),
    second.store.write("weekly", text.encode("from second"), created!),
  ]);
  const winners = results.filter((r) => r !== undefined);
  assert.equal(winners.length, 1, JSON.stringify(results));
  assert.equal(results.filter((r) => r === undefined).length, 1);
  const stored = await first.store.get("weekly");
  assert.equal(stored?.revision, winners[0]);
  assert.equal(decoded.decode(stored!.data), results[0] === undefined ? "from second" : "from first");
  // The loser's revision is stale for good.
  assert.equal(await second.store.write("weekly", text.encode("late"), created!), undefined);
});

Deno.test("remove() with a stale revision deletes nothing; a deleted key is absent and created again at revision 0", async () => {
  await using server = await startNatsServer();
  await using conn = await registered(server);
  const { store } = conn;
  const r1 = (await store.write("daily", text.encode("v1"), 0))!;
  const r2 = (await store.write("daily", text.encode("v2"), r1))!;
  assert.equal(await store.remove("daily", r1), false);
  assert.equal(decoded.decode((await store.get("daily"))!.data), "v2");

  assert.equal(await store.remove("daily", r2), true);
  assert.equal(await store.get("daily"), undefined);
  assert.equal(await store.write("daily", text.encode("stale"), r2), undefined);
  const r3 = await store.write("daily", text.encode("again"), 0);
  assert.ok(r3 !== undefined && r3 > r2, String(r3));
  assert.deepEqual(await store.get("daily"), { id: "daily", data: text.encode("again"), revision: r3 });
  assert.equal(await store.get("never-written"), undefined);
});

Deno.test("list() of an empty bucket ends at once; of 2,000 schedules gives each current one once, none deleted", async () => {
  await using server = await startNatsServer();
  await using conn = await registered(server);
  const { store } = conn;
  assert.deepEqual(await listed(store), []);

  const ids = Array.from({ length: 2_000 }, (_, i) => `s-${String(i).padStart(4, "0")}`);
  const revisions = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 200) {
    const batch = ids.slice(i, i + 200);
    const written = await Promise.all(batch.map((id) => store.write(id, text.encode(id), 0)));
    batch.forEach((id, j) => revisions.set(id, written[j]!));
  }
  // Every tenth deleted, every seventh changed.
  for (const [i, id] of ids.entries()) {
    if (i % 10 === 0) assert.ok(await store.remove(id, revisions.get(id)!));
    else if (i % 7 === 0) revisions.set(id, (await store.write(id, text.encode(`${id}'`), revisions.get(id)!))!);
  }
  const expected = ids.filter((_, i) => i % 10 !== 0).map((
    id,
  ) => [id, ids.indexOf(id) % 7 === 0 ? `${id}'` : id, revisions.get(id)!]);
  assert.deepEqual(await listed(store), expected);
});

Deno.test("watch() gives the current schedules, then ready, then every put and delete in order", async () => {
  await using server = await startNatsServer();
  await using conn = await registered(server);
  const { store } = conn;
  const a = (await store.write("a", text.encode("a1"), 0))!;
  const b = (await store.write("b", text.encode("b1"), 0))!;
  const c = (await store.write("c", text.encode("c1"), 0))!;
  await store.remove("c", c);

  await using watch = watching(store);
  await watch.until("ready", () => watch.changes.some(([kind]) => kind === "ready"));
  await store.write("a", text.encode("a2"), a);
  await store.remove("b", b);
  await store.write("d", text.encode("d1"), 0);
  await watch.until("the three changes", () => watch.changes.length >= 6);
  assert.deepEqual(watch.changes, [
    ["put", "a", "a1"],
    ["put", "b", "b1"],
    ["ready"],
    ["put", "a", "a2"],
    ["delete", "b"],
    ["put", "d", "d1"],
  ]);
});

Deno.test("watch() of an empty bucket is ready at once, then sees the first put", async () => {
  await using server = await startNatsServer();
  await using conn = await registered(server);
  await using watch = watching(conn.store);
  await watch.until("ready", () => watch.changes.length >= 1);
  assert.deepEqual(watch.changes, [["ready"]]);
  await conn.store.write("first", text.encode("1"), 0);
  await watch.until("the put", () => watch.changes.length >= 2);
  assert.deepEqual(watch.changes, [["ready"], ["put", "first", "1"]]);
});

Deno.test("watch() keeps going across a server restart: a put made after it is seen, and the watch ends on abort", async () => {
  await using server = await startNatsServer();
  await using conn = await registered(server);
  await conn.store.write("before", text.encode("1"), 0);
  await using watch = watching(conn.store);
  await watch.until("ready", () => watch.changes.length >= 2);

  // Down for 3 s: the store's connection tries to reconnect every 250 ms meanwhile.
  await server.restart({ downMs: 3_000 });
  // The store's own connection reconnects; a writer of its own proves the put is stored after the restart.
  await using writer = await open(server.url);
  await waitUntil(
    async () => (await writer.store.write("after", text.encode("2"), 0).catch(() => undefined)) !== undefined,
    {
      what: "a put after the restart",
    },
  );
  await watch.until("the put after the restart", () => watch.changes.length >= 3);
  assert.deepEqual(watch.changes, [["put", "before", "1"], ["ready"], ["put", "after", "2"]]);
});

Deno.test("watch() opens a new consumer when its own is gone without a word: a later put and delete are seen well before nats.js would notice", async () => {
  await using server = await startNatsServer();
  await using conn = await registered(server);
  await conn.store.write("before", text.encode("1"), 0);
  await using watch = watching(conn.store);
  await watch.until("ready", () => watch.changes.length >= 2);
  await deleteTheConsumer(server.url, BUCKET_STREAM);
  await using writer = await open(server.url);
  assert.ok(await writer.store.write("after", text.encode("2"), 0) !== undefined, "the put");
  await writer.store.remove("before", 1);
  // nats.js notices a silent consumer after a minute: the store sees the bucket move past what it was given.
  await watch.until("the put and the delete after the consumer's loss", () => watch.changes.length >= 4);
  assert.deepEqual(watch.changes, [["put", "before", "1"], ["ready"], ["put", "after", "2"], ["delete", "before"]]);
});

Deno.test("lastFire() reads the last message on a schedule's subject: its seq, tick and late mark", async () => {
  await using server = await startNatsServer();
  const reminder = new Event("reminder", Object);
  await using conn = await open(server.url, [reminder]);
  await conn.events.register();
  const subject = "walnats-schedule.reminder.weekly";
  assert.equal(await conn.store.lastFire({ stream: reminder.stream, subject }), undefined);

  const nc = await connect({ servers: server.url });
  let seq: number;
  try {
    const js = jetstream(nc);
    const publish = async (target: string, tick: string, late: boolean) => {
      const headers = natsHeaders();
      headers.set("Walnats-Tick", tick);
      if (late) headers.set("Walnats-Late", "true");
      return (await js.publish(target, "{}", { headers })).seq;
    };
    await publish(subject, "1000", false);
    seq = await publish(subject, "2000", true);
    await publish("walnats-schedule.reminder.other", "3000", false);
    await js.publish(reminder.subject, "{}");
  } finally {
    await nc.close();
  }
  assert.deepEqual(await conn.store.lastFire({ stream: reminder.stream, subject }), { seq, tickMs: 2000, late: true });

  const error = await rejection(conn.store.lastFire({ stream: "missing", subject: "walnats-schedule.missing.x" }));
  assert.ok(isWalnatsError(error, ErrorCode.StreamNotFound), String(error));
});

Deno.test("without registerBucket() get, write, remove, list and watch reject with STREAM_NOT_FOUND: register the schedules first", async () => {
  await using server = await startNatsServer();
  await using conn = await open(server.url);
  const { store } = conn;
  const calls: [string, () => Promise<unknown>][] = [
    ["get", () => store.get("x")],
    ["write", () => store.write("x", text.encode("1"), 0)],
    ["remove", () => store.remove("x", 1)],
    ["list", () => Array.fromAsync(store.list())],
    ["watch", () => Array.fromAsync(store.watch(new AbortController().signal))],
  ];
  for (const [name, call] of calls) {
    const error = await rejection(call());
    assert.ok(isWalnatsError(error, ErrorCode.StreamNotFound), `${name}: ${String(error)}`);
    assert.match((error as Error).message, /register the schedules first/, name);
  }
});

Deno.test("the bucket gets the highest replicas of the events: R3 on a 3-node cluster", async () => {
  await using cluster = await startCluster();
  const r3 = new Event("r3-event", Object, { limits: { replicas: 3 } });
  const r1 = new Event("r1-event", Object);
  await using conn = await open(cluster.urls, [r1, r3]);
  await conn.events.register();
  await conn.store.registerBucket();
  const nc = await connect({ servers: cluster.urls });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(BUCKET_STREAM);
    assert.equal(info.config.num_replicas, 3);
  } finally {
    await nc.close();
  }
  const revision = await conn.store.write("x", text.encode("1"), 0);
  assert.equal((await conn.store.get("x"))?.revision, revision);
});

Deno.test("watch() on a 3-node cluster: when another server than its own holds its consumer and is SIGKILLed, a put after the new leader is seen well before nats.js would notice", async () => {
  await using cluster = await startCluster();
  const r3 = new Event("r3-event", Object, { limits: { replicas: 3 } });
  {
    await using setup = await open(cluster.urls, [r3]);
    await waitUntil(() => setup.store.registerBucket().then(() => true, () => false), { what: "the R3 bucket" });
    await setup.store.write("before", text.encode("1"), 0);
  }
  // The server places a watch's consumer mostly on the server its client is connected to; only one placed on another
  // server leaves the client's connection up when that server dies, and nothing tells the client.
  const names = [...cluster.servers.keys()];
  let placed: { watcher: string; host: string; watch: ReturnType<typeof watching>; conn: AsyncDisposable } | undefined;
  const tried: string[] = [];
  for (let i = 0; i < 30 && placed === undefined; i++) {
    const watcher = names[i % names.length]!;
    const before = new Set((await bucketInfo(cluster.urls)).consumers.map((consumer) => consumer.name));
    const conn = await open(cluster.servers.get(watcher)!.url, [r3]);
    const watch = watching(conn.store);
    try {
      await watch.until("ready", () => watch.changes.length >= 2);
      const added = (await bucketInfo(cluster.urls)).consumers.filter((consumer) => !before.has(consumer.name));
      const host = added.length === 1 ? added[0]!.cluster?.leader : undefined;
      tried.push(`${watcher}->${host}`);
      if (host !== undefined && host !== watcher) placed = { watcher, host, watch, conn };
    } finally {
      if (placed?.watch !== watch) {
        await watch[Symbol.asyncDispose]();
        await conn[Symbol.asyncDispose]();
      }
    }
  }
  assert.ok(placed !== undefined, `no consumer placed away from its client in 30 tries: ${tried.join(", ")}`);
  await using _conn = placed.conn;
  await using watch = placed.watch;

  const survivors = [...cluster.servers].filter(([name]) => name !== placed.host).map(([, server]) => server.url);
  await using writer = await open(survivors.join(","), [r3]);
  cluster.servers.get(placed.host)!.kill("SIGKILL");
  await waitUntil(
    () => writer.store.write("after", text.encode("2"), 0).then((revision) => revision !== undefined, () => false),
    { what: "a put once the bucket has a new leader" },
  );
  // nats.js notices the lost consumer after a minute of missed heartbeats.
  await watch.until("the put after the SIGKILL", () => watch.changes.length >= 3);
  assert.deepEqual(watch.changes, [["put", "before", "1"], ["ready"], ["put", "after", "2"]]);
});
