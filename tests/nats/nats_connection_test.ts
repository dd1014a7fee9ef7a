/**
 * The NATS adapter against a real nats-server: streams, emit, errors, and
 * the tick ledger of `publishTick()`.
 */
import assert from "node:assert/strict";
import { delay } from "../../src/_async.ts";
import { jetstream, jetstreamManager, StorageType, type StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { type NatsServer, startNatsServer } from "../_nats_server_supervisor.ts";
import { Kvm } from "@nats-io/kv";
import {
  ErrorCode,
  Event,
  Events,
  type EventsConnection,
  isWalnatsError,
  Schedules,
  StreamConflictError,
} from "../../mod.ts";
import { streamConfig } from "../../src/nats/_stream_config.ts";
import { tickMessage } from "../../src/events/tick.ts";
import { isoTick, readStream } from "./_stream.ts";

/** A tick instant on a whole second (2026-11-26T16:15:00Z) and the next ones, 1 s apart. */
const T0 = 1_795_709_700_000;
const T1 = T0 + 1_000;
const T2 = T0 + 2_000;

const NS_PER_S = 1_000_000_000;

/** Runs `body` with a nats.js connection and JetStream manager of its own, closed afterwards. */
async function withJsm<T>(
  server: NatsServer,
  body: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>,
): Promise<T> {
  const nc = await connect({ servers: server.url });
  try {
    return await body(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

async function streamNames(server: NatsServer): Promise<string[]> {
  return await withJsm(server, async (jsm) => {
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    return names.sort();
  });
}

async function configOf(server: NatsServer, stream: string): Promise<StreamConfig> {
  return await withJsm(server, async (jsm) => (await jsm.streams.info(stream)).config);
}

/** Rejects with the error `promise` rejects with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

Deno.test("register() creates one stream per event, named like the event with '.' as '-', with its limits", async () => {
  await using server = await startNatsServer();
  const placed = new Event("order.placed", Object, {
    description: "An order was placed",
    limits: {
      age: 3_600,
      duplicateWindow: 30,
      messages: 1_000,
      bytes: 1_000_000,
      messageSize: 4_096,
      consumers: 5,
      replicas: 1,
    },
  });
  const minute = new Event("minute-passed", Date);
  await using conn = await new Events(placed, minute).connect({ servers: server.url });
  await conn.register();

  assert.deepEqual(await streamNames(server), ["minute-passed", "order-placed"]);
  const placedConfig = await configOf(server, "order-placed");
  assert.deepEqual(
    {
      subjects: placedConfig.subjects,
      description: placedConfig.description,
      retention: placedConfig.retention,
      storage: placedConfig.storage,
      discard: placedConfig.discard,
      max_age: placedConfig.max_age,
      duplicate_window: placedConfig.duplicate_window,
      max_msgs: placedConfig.max_msgs,
      max_bytes: placedConfig.max_bytes,
      max_msg_size: placedConfig.max_msg_size,
      max_consumers: placedConfig.max_consumers,
      num_replicas: placedConfig.num_replicas,
    },
    {
      subjects: ["order.placed", "walnats-schedule.order-placed.>"],
      description: "An order was placed [walnats-payload=json]",
      retention: "limits",
      storage: "file",
      discard: "old",
      max_age: 3_600 * NS_PER_S,
      duplicate_window: 30 * NS_PER_S,
      max_msgs: 1_000,
      max_bytes: 1_000_000,
      max_msg_size: 4_096,
      max_consumers: 5,
      num_replicas: 1,
    },
  );
  // An event without limits gets the server's defaults: unlimited, a 2-minute duplicate window.
  const minuteConfig = await configOf(server, "minute-passed");
  assert.deepEqual(minuteConfig.subjects, ["minute-passed", "walnats-schedule.minute-passed.>"]);
  assert.equal(minuteConfig.max_age, 0);
  assert.equal(minuteConfig.duplicate_window, 120 * NS_PER_S);
  assert.equal(minuteConfig.max_msgs, -1);
  assert.equal(minuteConfig.max_consumers, -1);
});

Deno.test("register() asks for the event's replicas; a single server refuses more than one", async () => {
  const event = new Event("replicated", Date, { limits: { replicas: 3 } });
  assert.equal(streamConfig(event).num_replicas, 3);
  await using server = await startNatsServer();
  await using conn = await new Events(event).connect({ servers: server.url });
  const error = await rejection(conn.register());
  assert.ok(isWalnatsError(error, ErrorCode.RequestFailed), String(error));
  assert.match(error.message, /replicas/);
  assert.deepEqual(await streamNames(server), []);
});

Deno.test("register() twice changes nothing; a changed limit updates the stream and keeps its messages", async () => {
  await using server = await startNatsServer();
  const first = new Event("tick-a", Date, { limits: { messages: 10 } });
  await using conn = await new Events(first).connect({ servers: server.url });
  await conn.register();
  await conn.emit(first, new Date(T0));
  const before = await withJsm(server, (jsm) => jsm.streams.info("tick-a"));

  await conn.register();
  const again = await withJsm(server, (jsm) => jsm.streams.info("tick-a"));
  assert.deepEqual(again.config, before.config);
  assert.equal(again.created, before.created);

  const changed = new Event("tick-a", Date, { limits: { messages: 20, duplicateWindow: 10, age: 3_600 } });
  await using conn2 = await new Events(changed).connect({ servers: server.url });
  await conn2.register();
  const after = await withJsm(server, (jsm) => jsm.streams.info("tick-a"));
  assert.equal(after.config.max_msgs, 20);
  assert.equal(after.config.duplicate_window, 10 * NS_PER_S);
  assert.equal(after.config.max_age, 3_600 * NS_PER_S);
  assert.equal(after.created, before.created, "the stream was recreated instead of updated");
  assert.equal(after.state.messages, 1);
});

Deno.test("register() refuses a stream created by hand with memory storage and leaves it as it was", async () => {
  await using server = await startNatsServer();
  await withJsm(
    server,
    (jsm) => jsm.streams.add({ name: "tick-a", subjects: ["tick-a"], storage: StorageType.Memory }),
  );
  const before = await configOf(server, "tick-a");

  await using conn = await new Events(new Event("tick-a", Date, { limits: { messages: 5 } })).connect({
    servers: server.url,
  });
  const error = await rejection(conn.register());
  assert.ok(error instanceof StreamConflictError);
  assert.equal(error.code, ErrorCode.StreamConflict);
  assert.equal(error.stream, "tick-a");
  assert.equal(error.field, "storage");
  assert.equal(error.expected, "file");
  assert.equal(error.actual, "memory");
  assert.match(error.message, /storage/);
  assert.deepEqual(await configOf(server, "tick-a"), before);
});

Deno.test("register() refuses a stream of the event's name with other subjects and leaves it as it was", async () => {
  await using server = await startNatsServer();
  await withJsm(server, (jsm) => jsm.streams.add({ name: "tick-a", subjects: ["tick-a", "tick-other"] }));
  const before = await configOf(server, "tick-a");

  await using conn = await new Events(new Event("tick-a", Date)).connect({ servers: server.url });
  const error = await rejection(conn.register());
  assert.ok(error instanceof StreamConflictError);
  assert.equal(error.field, "subjects");
  assert.deepEqual(error.expected, ["tick-a", "walnats-schedule.tick-a.>"]);
  assert.deepEqual(error.actual, ["tick-a", "tick-other"]);
  assert.match(error.message, /subjects/);
  assert.deepEqual(await configOf(server, "tick-a"), before);
});

Deno.test("register() adds the fire subjects to a stream of the previous version, which stored the event's subject only", async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    await (await jetstreamManager(nc)).streams.add({ name: "tick-a", subjects: ["tick-a"] });
    await jetstream(nc).publish("tick-a", "kept");
  } finally {
    await nc.close();
  }
  const before = await withJsm(server, (jsm) => jsm.streams.info("tick-a"));

  await using conn = await new Events(new Event("tick-a", Date)).connect({ servers: server.url });
  await conn.register();

  const after = await withJsm(server, (jsm) => jsm.streams.info("tick-a"));
  assert.deepEqual(after.config.subjects, ["tick-a", "walnats-schedule.tick-a.>"]);
  assert.equal(after.created, before.created, "the stream was recreated instead of updated");
  assert.equal(after.state.messages, 1);
});

Deno.test("a stream of an older version, which records no payload kind, is given the kind of its first register; another kind is then refused", async () => {
  await using server = await startNatsServer();
  const old = { subjects: ["ping", "walnats-schedule.ping.>"], description: "Pings", duplicate_window: 120 * NS_PER_S };
  await withJsm(server, (jsm) => jsm.streams.add({ name: "ping", ...old }));

  await using clocks = await new Events(new Event("ping", Date, { description: "Pings" })).connect({
    servers: server.url,
  });
  await clocks.register();
  assert.equal((await configOf(server, "ping")).description, "Pings [walnats-payload=date]");

  await using other = await new Events(new Event("ping", Object)).connect({ servers: server.url });
  const error = await rejection(other.register());
  assert.ok(isWalnatsError(error, ErrorCode.PayloadKindMismatch), String(error));
  assert.match(error.message, /event 'ping' has payload kind 'date' \(recorded on its stream\), got 'json'/);
  assert.equal((await configOf(server, "ping")).description, "Pings [walnats-payload=date]");
});

Deno.test("a schedule's upsert gives a stream of an older version its event's payload kind, and changes nothing else", async () => {
  await using server = await startNatsServer();
  const old = { subjects: ["ping", "walnats-schedule.ping.>"], max_msgs: 50, duplicate_window: 120 * NS_PER_S };
  await withJsm(server, (jsm) => jsm.streams.add({ name: "ping", ...old }));
  const before = await configOf(server, "ping");
  const ping = new Event("ping", Object);
  await using schedules = await new Schedules(ping).connect({ servers: server.url });
  await withJsm(server, (jsm) => new Kvm(jsm.jetstream()).create("walnats-schedules", { history: 1 }));

  await schedules.upsert("b", { event: ping, period: 5, value: { n: 5 } });

  const after = await configOf(server, "ping");
  assert.deepEqual(after, { ...before, description: "[walnats-payload=json]" });
  const dated = new Event("ping", Date);
  await using another = await new Schedules(dated).connect({ servers: server.url });
  const error = await rejection(another.upsert("a", { event: dated, period: 3 }));
  assert.ok(isWalnatsError(error, ErrorCode.PayloadKindMismatch), String(error));
  assert.match(error.message, /^Cannot upsert schedule 'a': event 'ping' has payload kind 'json' .*got 'date'/);
});

Deno.test("two processes that create one event's stream at once with different payload kinds: one is refused", async () => {
  await using server = await startNatsServer();
  await using one = await new Events(new Event("ping", Date)).connect({ servers: server.url });
  await using two = await new Events(new Event("ping", Object)).connect({ servers: server.url });
  const outcomes = await Promise.allSettled([one.register(), two.register()]);
  const refused = outcomes.filter((outcome) => outcome.status === "rejected");
  assert.equal(refused.length, 1, JSON.stringify(outcomes));
  const { reason } = refused[0] as PromiseRejectedResult;
  assert.ok(isWalnatsError(reason, ErrorCode.PayloadKindMismatch), String(reason));
  const won = outcomes[0]!.status === "fulfilled" ? "date" : "json";
  assert.equal((await configOf(server, "ping")).description, `[walnats-payload=${won}]`);
});

Deno.test("register() leaves a stream of the previous version as it was when another stream stores its fire subjects", async () => {
  await using server = await startNatsServer();
  await withJsm(server, async (jsm) => {
    await jsm.streams.add({ name: "tick-a", subjects: ["tick-a"] });
    await jsm.streams.add({ name: "ALL-FIRES", subjects: ["walnats-schedule.>"] });
  });
  const before = await configOf(server, "tick-a");

  await using conn = await new Events(new Event("tick-a", Date)).connect({ servers: server.url });
  const error = await rejection(conn.register());
  assert.ok(isWalnatsError(error, ErrorCode.StreamConflict), String(error));
  assert.match(error.message, /stream 'ALL-FIRES' stores its subject 'walnats-schedule\.tick-a\.>' already/);
  assert.deepEqual(await configOf(server, "tick-a"), before);
});

Deno.test("register() creates nothing when another stream stores the event's fire subjects", async () => {
  await using server = await startNatsServer();
  await withJsm(server, (jsm) => jsm.streams.add({ name: "FIRES-B", subjects: ["walnats-schedule.tick-b.x"] }));

  await using conn = await new Events(new Event("tick-a", Date), new Event("tick-b", Date)).connect({
    servers: server.url,
  });
  const error = await rejection(conn.register());
  assert.ok(isWalnatsError(error, ErrorCode.StreamConflict), String(error));
  assert.match(error.message, /stream 'FIRES-B' stores its subject 'walnats-schedule\.tick-b\.>' already/);
  assert.deepEqual(await streamNames(server), ["FIRES-B"]);
});

Deno.test("register() creates nothing when the second event's stream conflicts", async () => {
  await using server = await startNatsServer();
  await withJsm(
    server,
    (jsm) => jsm.streams.add({ name: "second", subjects: ["second"], storage: StorageType.Memory }),
  );
  const before = await configOf(server, "second");

  await using conn = await new Events(new Event("first", Date), new Event("second", Date)).connect({
    servers: server.url,
  });
  const error = await rejection(conn.register());
  assert.ok(error instanceof StreamConflictError);
  assert.equal(error.stream, "second");
  assert.deepEqual(await streamNames(server), ["second"]);
  assert.deepEqual(await configOf(server, "second"), before);
});

Deno.test("register() creates nothing when another stream already stores the second event's subject", async () => {
  await using server = await startNatsServer();
  await withJsm(server, (jsm) => jsm.streams.add({ name: "ALL", subjects: ["ticks.*"] }));

  await using conn = await new Events(new Event("first", Date), new Event("ticks.b", Date)).connect({
    servers: server.url,
  });
  const error = await rejection(conn.register());
  assert.ok(isWalnatsError(error, ErrorCode.StreamConflict), String(error));
  assert.match(error.message, /stream 'ALL' stores its subject 'ticks\.b'/);
  assert.deepEqual(await streamNames(server), ["ALL"]);
});

Deno.test("emit() returns the sequence, drops a second emit with the same uid, and sends meta headers", async () => {
  await using server = await startNatsServer();
  const placed = new Event("order.placed", Object);
  await using conn = await new Events(placed).connect({ servers: server.url });
  await conn.register();

  assert.deepEqual(await conn.emit(placed, { id: 1 }), { seq: 1, duplicate: false });
  assert.deepEqual(await conn.emit(placed, { id: 2 }, { uid: "order-2", meta: { team: "ops" } }), {
    seq: 2,
    duplicate: false,
  });
  const second = await conn.emit(placed, { id: 2, again: true }, { uid: "order-2" });
  assert.equal(second.duplicate, true);
  assert.deepEqual(await conn.emit(placed, { id: 3 }, { uid: "order-3" }), { seq: 3, duplicate: false });

  const stored = await readStream(server.url, "order-placed");
  assert.deepEqual(stored.map((m) => [m.seq, m.subject, m.payload]), [
    [1, "order.placed", '{"id":1}'],
    [2, "order.placed", '{"id":2}'],
    [3, "order.placed", '{"id":3}'],
  ]);
  assert.equal(stored[1]?.headers["Nats-Msg-Id"], "order-2");
  assert.equal(stored[1]?.headers["team"], "ops");
  assert.equal(stored[0]?.headers["Nats-Msg-Id"], undefined);
});

Deno.test("emit() of an event whose stream does not exist fails with STREAM_NOT_FOUND", async () => {
  await using server = await startNatsServer();
  const unregistered = new Event("never-registered", Date);
  await using conn = await new Events(unregistered).connect({ servers: server.url });
  const error = await rejection(conn.emit(unregistered, new Date(T0)));
  assert.ok(isWalnatsError(error, ErrorCode.StreamNotFound), String(error));
  assert.match(error.message, /never-registered/);
  assert.deepEqual(await streamNames(server), []);
});

Deno.test("connect() to a server without JetStream fails with JETSTREAM_NOT_ENABLED", async () => {
  await using server = await startNatsServer({ jetstream: false });
  const error = await rejection(new Events(new Event("tick-a", Date)).connect({ servers: server.url }));
  assert.ok(isWalnatsError(error, ErrorCode.JetStreamNotEnabled), String(error));
  assert.match(error.message, /JetStream is not enabled/);
});

Deno.test("connect() adopts an open nats.js connection, and close() leaves it open", async () => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const event = new Event("tick-a", Date);
    const conn = await new Events(event).connect(nc);
    await conn.register();
    assert.equal((await conn.emit(event, new Date(T0))).seq, 1);
    await conn.close();
    assert.equal(nc.isClosed(), false);
    // Still usable: the stream's state is read through it.
    const jsm = await jetstreamManager(nc);
    assert.equal((await jsm.streams.info("tick-a")).state.messages, 1);
  } finally {
    await nc.close();
  }
});

/** A 1-second-period tick event, and connections to it that close with the test. */
async function tickConnections(
  server: NatsServer,
  event: Event<DateConstructor>,
  count: number,
): Promise<EventsConnection[]> {
  const conns: EventsConnection[] = [];
  for (let i = 0; i < count; i++) conns.push(await new Events(event).connect({ servers: server.url }));
  await conns[0]?.register();
  return conns;
}

/** Resolves at the connection's next status event of `type`; rejects if it closes first. */
async function nextStatus(nc: NatsConnection, type: string): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === type) return;
  }
  throw new Error(`The connection closed before a '${type}' status`);
}

async function closeAll(conns: EventsConnection[]): Promise<void> {
  await Promise.all(conns.map((conn) => conn.close()));
}

Deno.test("publishTick() stores the tick in the wire format a plain nats.js reader sees", async () => {
  await using server = await startNatsServer();
  const event = new Event("minute-passed", Date);
  const [conn] = await tickConnections(server, event, 1);
  const nc = await connect({ servers: server.url });
  try {
    assert.ok(conn);
    const result = await conn.publishTick(tickMessage(event, T0, "clock-a", { team: "ops" }), { timeoutMs: 1_000 });
    assert.deepEqual(result, { seq: 1, duplicate: false });

    // A reader that knows nothing of this library: an ordered consumer of nats.js.
    const consumer = await jetstream(nc).consumers.get("minute-passed");
    const message = await consumer.next({ expires: 2_000 });
    assert.ok(message !== null);
    assert.equal(message.subject, "minute-passed");
    assert.equal(message.seq, 1);
    assert.equal(message.string(), "2026-11-26T16:15:00.000+00:00");
    assert.equal(message.string(), isoTick(T0));
    assert.equal(message.headers?.get("Nats-Msg-Id"), `minute-passed:${T0}`);
    assert.equal(message.headers?.get("Walnats-Tick"), String(T0));
    assert.equal(message.headers?.get("team"), "ops");
  } finally {
    await nc.close();
    await conn?.close();
  }
});

Deno.test("publishTick() of one tick from two connections stores it once", async () => {
  await using server = await startNatsServer();
  const event = new Event("tick-a", Date);
  const conns = await tickConnections(server, event, 2);
  try {
    const [a, b] = conns as [EventsConnection, EventsConnection];
    // Both at once: each expects an empty subject.
    const results = await Promise.all([
      a.publishTick(tickMessage(event, T0, "clock-a", {}), { timeoutMs: 1_000 }),
      b.publishTick(tickMessage(event, T0, "clock-b", {}), { timeoutMs: 1_000 }),
    ]);
    assert.deepEqual(results.map((r) => r.duplicate).sort(), [false, true]);
    // One after the other, each having seen the subject.
    assert.deepEqual(await a.publishTick(tickMessage(event, T1, "clock-a", {}), { timeoutMs: 1_000 }), {
      seq: 2,
      duplicate: false,
    });
    assert.deepEqual(await b.publishTick(tickMessage(event, T1, "clock-b", {}), { timeoutMs: 1_000 }), {
      seq: 2,
      duplicate: true,
    });
    const stored = await readStream(server.url, "tick-a");
    assert.deepEqual(stored.map((m) => m.headers["Walnats-Tick"]), [String(T0), String(T1)]);
  } finally {
    await closeAll(conns);
  }
});

Deno.test("publishTick() from a stale connection stores nothing once the duplicate window expired", async () => {
  await using server = await startNatsServer();
  const event = new Event("tick-a", Date, { limits: { duplicateWindow: 0.2 } });
  const conns = await tickConnections(server, event, 3);
  const nc = await connect({ servers: server.url });
  try {
    const [a, stale, fresh] = conns as [EventsConnection, EventsConnection, EventsConnection];
    assert.equal((await a.publishTick(tickMessage(event, T0, "a", {}), { timeoutMs: 1_000 })).duplicate, false);
    // `stale` sees the subject at T0 (sequence 1) ...
    assert.deepEqual(await stale.publishTick(tickMessage(event, T0, "stale", {}), { timeoutMs: 1_000 }), {
      seq: 1,
      duplicate: true,
    });
    // ... then `a` stores T1, and the duplicate window passes.
    assert.equal((await a.publishTick(tickMessage(event, T1, "a", {}), { timeoutMs: 1_000 })).seq, 2);
    await delay(500);

    // The stale connection expects sequence 1; the server refuses, and the last tick covers T1.
    assert.deepEqual(await stale.publishTick(tickMessage(event, T1, "stale", {}), { timeoutMs: 1_000 }), {
      seq: 2,
      duplicate: true,
    });
    // So does a connection that never looked at the subject.
    assert.deepEqual(await fresh.publishTick(tickMessage(event, T1, "fresh", {}), { timeoutMs: 1_000 }), {
      seq: 2,
      duplicate: true,
    });
    // An older tick than the last one is not stored either, although `stale` now knows the last sequence.
    assert.deepEqual(await stale.publishTick(tickMessage(event, T0, "stale", {}), { timeoutMs: 1_000 }), {
      seq: 0,
      duplicate: true,
    });
    const stored = await readStream(server.url, "tick-a");
    assert.deepEqual(stored.map((m) => [m.seq, m.headers["Walnats-Tick"]]), [[1, String(T0)], [2, String(T1)]]);

    // Control: the window did expire, so only the ledger stopped the stale publishes; a plain
    // publish with the same message id is stored now.
    const ack = await jetstream(nc).publish("tick-a", isoTick(T1), { msgID: `tick-a:${T1}` });
    assert.equal(ack.duplicate, false);
  } finally {
    await nc.close();
    await closeAll(conns);
  }
});

Deno.test("publishTick() after a server restart stores nothing for a tick already stored", async () => {
  await using server = await startNatsServer();
  // The stream keeps one message: older ticks are gone once T2 is stored, and a restart forgets their ids.
  const event = new Event("tick-a", Date, { limits: { messages: 1 } });
  const conns = await tickConnections(server, event, 1);
  // The stale clock's connection is one of ours, so that the test can wait for it to reconnect.
  const staleNc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  let nc: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    const stale = await new Events(event).connect(staleNc);
    const [a] = conns as [EventsConnection];
    assert.equal((await a.publishTick(tickMessage(event, T0, "a", {}), { timeoutMs: 1_000 })).seq, 1);
    // `stale` sees the subject at T0 (sequence 1), then falls behind.
    assert.equal((await stale.publishTick(tickMessage(event, T0, "stale", {}), { timeoutMs: 1_000 })).duplicate, true);
    assert.equal((await a.publishTick(tickMessage(event, T1, "a", {}), { timeoutMs: 1_000 })).seq, 2);
    assert.equal((await a.publishTick(tickMessage(event, T2, "a", {}), { timeoutMs: 1_000 })).seq, 3);

    const reconnected = nextStatus(staleNc, "reconnect");
    await server.restart();
    // nats.js drops a request made while it is disconnected: wait until it is back.
    await reconnected;

    assert.deepEqual(await stale.publishTick(tickMessage(event, T1, "stale", {}), { timeoutMs: 1_000 }), {
      seq: 0,
      duplicate: true,
    });
    const late = await new Events(event).connect({ servers: server.url });
    conns.push(late);
    assert.deepEqual(await late.publishTick(tickMessage(event, T1, "late", {}), { timeoutMs: 1_000 }), {
      seq: 0,
      duplicate: true,
    });
    assert.deepEqual(await late.publishTick(tickMessage(event, T2, "late", {}), { timeoutMs: 1_000 }), {
      seq: 3,
      duplicate: true,
    });
    // The next tick is stored as usual.
    assert.deepEqual(await late.publishTick(tickMessage(event, T2 + 1_000, "late", {}), { timeoutMs: 1_000 }), {
      seq: 4,
      duplicate: false,
    });
    const stored = await readStream(server.url, "tick-a");
    assert.deepEqual(stored.map((m) => [m.seq, m.headers["Walnats-Tick"]]), [[4, String(T2 + 1_000)]]);

    // Control: the restart did forget T1's id, so only the ledger kept it out; a plain publish with
    // that id is stored now.
    nc = await connect({ servers: server.url });
    const ack = await jetstream(nc).publish("tick-a", isoTick(T1), { msgID: `tick-a:${T1}` });
    assert.equal(ack.duplicate, false);
  } finally {
    await nc?.close();
    await staleNc.close();
    await closeAll(conns);
  }
});
