/**
 * The blocks of README.md and docs/ that need a server, run as a user who
 * pasted each into a file would run it (tests/_examples.ts, `README_BLOCKS`): against a
 * nats-server of their own (`NATS_URL`), and stopped with SIGINT as Ctrl-C
 * does, after which each must exit 0 on its own.
 */
import assert from "node:assert/strict";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { type DocBlock, README_BLOCKS, readmeAndDocsBlocks, runBlock, type RunningBlock } from "../_examples.ts";
import { waitUntil } from "../_wait.ts";
import { readStream } from "./_stream.ts";

/** The block under the heading `section`, in README.md or a docs/ page. */
async function blockUnder(section: string): Promise<DocBlock> {
  assert.equal(README_BLOCKS[section], "run on a server");
  const [block] = (await readmeAndDocsBlocks()).filter((block) => block.section === section);
  assert.ok(block, `a block under ${section}`);
  return block;
}

/** Ctrl-C, then the block's end: it must leave on its own with exit code 0 and print `stderr` there. */
async function interrupt(running: RunningBlock, expectedStderr: RegExp = /^$/): Promise<string> {
  running.child.kill("SIGINT");
  const { code, stdout, stderr } = await running.done();
  assert.equal(code, 0, stderr);
  assert.match(stderr, expectedStderr);
  return stdout;
}

/** Waits until `check` holds for the server's JetStream, asked through a connection of the test's own. */
async function waitForServer(url: string, what: string, check: (jsm: JetStreamManager) => Promise<boolean>) {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await waitUntil(() => check(jsm).catch(() => false), { what });
  } finally {
    await nc.close();
  }
}

const streamNames = async (jsm: JetStreamManager) => (await jsm.streams.names().next()).sort();
const consumerNames = async (jsm: JetStreamManager, stream: string) =>
  (await jsm.consumers.list(stream).next()).map((info) => info.name).sort();

Deno.test("README's clock and actor: the actor handles each tick the clock stored, once, and both stop on Ctrl-C", async () => {
  await using server = await startNatsServer();
  await using running = await runBlock(await blockUnder("A clock and an actor"), { NATS_URL: server.url });
  const handled = () => running.stdout().split("\n").filter((line) => line.startsWith("report for "));
  await waitUntil(() => handled().length >= 1, { what: "a tick handled", details: running.stdout });
  const stdout = await interrupt(running);

  const ticks = handled().map((line) => /^report for (\S+) attempt 1$/.exec(line)?.[1]);
  assert.ok(ticks.length > 0 && ticks.every((tick) => tick !== undefined && Date.parse(tick) % 5_000 === 0), stdout);
  assert.equal(new Set(ticks).size, ticks.length, `each tick handled once: ${stdout}`);
  const stored = (await readStream(server.url, "5s-passed")).map((message) => new Date(message.payload).toISOString());
  assert.equal(new Set(stored).size, stored.length, "each tick stored once");
  assert.deepEqual(ticks.filter((tick) => !stored.includes(tick!)), [], `handled but not stored: ${stdout}`);
});

Deno.test("docs/api.md's Clock block registers both clocks' events and stops on Ctrl-C", async () => {
  await using server = await startNatsServer();
  await using running = await runBlock(await blockUnder("Clock"), { NATS_URL: server.url });
  await waitForServer(server.url, "both streams", async (jsm) => (await streamNames(jsm)).length === 2);
  assert.equal(await interrupt(running), ""); // no tick yet: the first is due at the next whole minute at the earliest
  const nc = await connect({ servers: server.url });
  try {
    assert.deepEqual(await streamNames(await jetstreamManager(nc)), ["5m-passed", "minute-passed"]);
  } finally {
    await nc.close();
  }
});

Deno.test("docs/operations.md's metrics block serves the clock's and the actor's connection metrics, and stops on Ctrl-C", async () => {
  await using server = await startNatsServer();
  using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  await using running = await runBlock(await blockUnder("Metrics in your own processes"), {
    NATS_URL: server.url,
    PORT: String(port),
  });
  let text = "";
  await waitUntil(async () => {
    text = await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text(), () => "");
    return /^walnats_connected\{connection="actors"\} 1$/m.test(text);
  }, { what: "the actors' connection in the metrics", details: () => `${text}\n${running.stdout()}` });
  assert.match(text, /^walnats_connected\{connection="clocks"\} 1$/m);
  await interrupt(running, new RegExp(`^Listening on http://0\\.0\\.0\\.0:${port}/ .*\n$`)); // Deno.serve's line
});

Deno.test("docs/api.md's Actors block stores a reminder due in 5 days, does not handle it now, and stops on Ctrl-C", async () => {
  await using server = await startNatsServer();
  const before = Date.now();
  await using running = await runBlock(await blockUnder("Actors"), { NATS_URL: server.url });
  await waitForServer(
    server.url,
    "the reminder and both actors' consumers",
    async (jsm) =>
      (await jsm.streams.info("reminder")).state.messages === 1 &&
      (await consumerNames(jsm, "reminder")).join() === "send-reminder" &&
      (await consumerNames(jsm, "minute-passed")).join() === "backup",
  );
  const after = Date.now();
  assert.equal(await interrupt(running), "", "nothing handled: the reminder is not due, and no backup tick came");
  const [stored] = await readStream(server.url, "reminder");
  const dueMs = Number(stored?.headers["Walnats-Not-Before"]);
  const fiveDaysMs = 5 * 24 * 3600_000;
  assert.ok(before + fiveDaysMs <= dueMs && dueMs <= after + fiveDaysMs, `due at ${dueMs}`);
  assert.equal(stored?.payload, '{"user":42}');
});

Deno.test("docs/schedules.md's Schedules from code block triggers and backfills the schedule, its actor handles each fire once", async () => {
  await using server = await startNatsServer();
  await using running = await runBlock(await blockUnder("Schedules from code"), { NATS_URL: server.url });
  const handled = () => running.stdout().split("\n").filter((line) => line.startsWith("user-42-weekly 20"));
  await waitUntil(() => handled().length >= 6, { what: "6 fires handled", details: running.stdout });
  const stdout = await interrupt(running);

  const ticks = handled().map((line) => line.split(" ")[1]!).sort();
  const backfilled = ["02", "09", "16", "23", "30"].map((day) => `2026-11-${day}T00:00:00.000Z`); // Mondays, 9:00 Tokyo
  assert.deepEqual(ticks.filter((tick) => !backfilled.includes(tick)).length, 1, stdout); // the trigger's fire
  assert.deepEqual(ticks.filter((tick) => backfilled.includes(tick)), backfilled, stdout); // each once
  assert.ok(handled().every((line) => line.endsWith(' 1 { user: 42, text: "weekly report" }')), stdout);
  assert.match(stdout, /^paused \[/m, "describe() shows the pause");
});
