/**
 * The fleet's heartbeats on a real nats-server: the `walnats-workers` KV
 * bucket, created by the first beat, read alike by every connection, with
 * the beat times the server stamped.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { delay } from "../../src/_async.ts";
import { waitUntil } from "../_wait.ts";
import { dialOrAdopt } from "../../src/nats/connect.ts";
import { deleteTheConsumer } from "./_stream.ts";
import { WORKERS_BUCKET } from "../../src/nats/fleet_store.ts";
import { connectNatsSchedules } from "../../src/nats/schedule_store.ts";
import type { FleetMember, SchedulesBackendConnection } from "../../src/schedules/stores.ts";

async function open(servers: string): Promise<SchedulesBackendConnection & AsyncDisposable> {
  const conn = connectNatsSchedules(await dialOrAdopt({ servers }), []);
  return { ...conn, [Symbol.asyncDispose]: () => conn.events.close() };
}

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

Deno.test("beat() records a worker at the server's time, members() shows every worker to every connection, leave() removes one", async () => {
  await using server = await startNatsServer();
  await using one = await open(server.url);
  await using two = await open(server.url);
  assert.deepEqual(await one.fleet.members(), []);
  const before = Date.now();
  await one.fleet.beat("worker-a");
  await two.fleet.beat("worker-b");
  const after = Date.now();
  const first = (await two.fleet.members()).sort(byId);
  assert.deepEqual(first.map((member) => member.id), ["worker-a", "worker-b"]);
  for (const member of first) {
    assert.ok(member.beatMs >= before - 5 && member.beatMs <= after + 5, `${member.id} beat at ${member.beatMs}`);
  }
  await delay(20);
  await one.fleet.beat("worker-a");
  const second = (await one.fleet.members()).sort(byId);
  assert.ok(second[0]!.beatMs >= first[0]!.beatMs + 20, "a later beat is not later");
  assert.equal(second[1]!.beatMs, first[1]!.beatMs);
  await two.fleet.leave("worker-b");
  await one.fleet.beat("worker-a"); // a read is as recent as the reader's last beat: a round beats, then reads
  assert.deepEqual((await one.fleet.members()).map((member) => member.id), ["worker-a"]);
  await two.fleet.leave("worker-never-seen");
  assert.deepEqual((await two.fleet.members()).map((member) => member.id), ["worker-a"]);
});

Deno.test("the fleet's bucket keeps one beat per worker, for a minute", async () => {
  await using server = await startNatsServer();
  await using conn = await open(server.url);
  for (let i = 0; i < 5; i++) await conn.fleet.beat("worker-a");
  const link = await dialOrAdopt({ servers: server.url });
  try {
    const info = await link.jsm.streams.info(`KV_${WORKERS_BUCKET}`);
    assert.deepEqual([info.state.messages, info.config.max_age, info.config.max_msgs_per_subject], [1, 60e9, 1]);
  } finally {
    await link.close();
  }
});

Deno.test("members() follows the bucket through a server restart: a beat after it is read by every connection", async () => {
  await using server = await startNatsServer();
  await using one = await open(server.url);
  await using two = await open(server.url);
  await one.fleet.beat("worker-a");
  await two.fleet.beat("worker-b");
  assert.deepEqual((await one.fleet.members()).map((member) => member.id).sort(), ["worker-a", "worker-b"]);
  const before = (await one.fleet.members()).find((member) => member.id === "worker-b")!.beatMs;
  await server.restart({ downMs: 300 });
  // A round (a beat, then a read) may fail while the connections dial again; the first one after succeeds.
  const round = async (conn: SchedulesBackendConnection, id: string) => {
    try {
      await conn.fleet.beat(id);
      return await conn.fleet.members();
    } catch {
      return undefined;
    }
  };
  await waitUntil(async () => await round(two, "worker-b") !== undefined, {
    what: "a round of worker-b after the restart",
  });
  let seen: FleetMember[] | undefined;
  await waitUntil(async () => (seen = await round(one, "worker-a")) !== undefined, {
    what: "a round of worker-a after the restart",
  });
  const b = seen!.find((member) => member.id === "worker-b");
  assert.ok(
    b !== undefined && b.beatMs > before,
    `worker-b's beat after the restart not read: ${JSON.stringify(seen)}`,
  );
});

Deno.test("members() opens a new watch when its consumer is gone without a word: rounds see new beats well before nats.js would notice", async () => {
  await using server = await startNatsServer();
  await using one = await open(server.url);
  await using two = await open(server.url);
  await one.fleet.beat("worker-a");
  assert.deepEqual((await one.fleet.members()).map((member) => member.id), ["worker-a"]);
  await deleteTheConsumer(server.url, `KV_${WORKERS_BUCKET}`);
  await two.fleet.beat("worker-b");
  // nats.js does not notice the silent consumer for a minute (two missed 30 s heartbeats): the store gives its read up
  // and opens a new watch, so that rounds see worker-b well before that.
  const rounds: (string[] | string)[] = [];
  await waitUntil(async () => {
    await one.fleet.beat("worker-a");
    rounds.push(await one.fleet.members().then((members) => members.map((m) => m.id).sort(), (e: Error) => e.message));
    return JSON.stringify(rounds.at(-1)) === JSON.stringify(["worker-a", "worker-b"]);
  }, { what: "a round that sees worker-b", timeoutMs: 20_000, details: () => JSON.stringify(rounds) });
});
