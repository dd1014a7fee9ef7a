/**
 * deno task schedules and deno task run --schedules as real processes on a
 * real nats-server; tests/cli/schedules_test.ts checks their flags and output.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { readUntil, rest, runToEnd, SCHEDULES_CLI, spawnCli } from "../_cli.ts";
import { readStream } from "./_stream.ts";

/** Runs `deno task schedules` to its end on `server`. */
function schedules(server: string, ...args: string[]) {
  return runToEnd([...args, "--server", server], { NATS_URL: "" }, SCHEDULES_CLI);
}

Deno.test("deno task schedules adds, lists, describes, pauses, resumes and deletes on a real server", async () => {
  await using server = await startNatsServer();
  const added = await schedules(
    server.url,
    "add",
    "user-1",
    "--event",
    "cli-reminder",
    "--period",
    "60",
    "--value",
    '{"user":1}',
  );
  assert.deepEqual(added, { code: 0, out: "Stored schedule 'user-1': every 60 s.", err: "" });
  // One event, one payload kind: user-2 carries a value too (without one, its fires would carry their tick).
  const cron = ["--cron", "0 9 * * 1", "--timezone", "Asia/Tokyo", "--meta", "tenant=acme", "--value", '{"user":2}'];
  assert.equal((await schedules(server.url, "add", "user-2", "--event", "cli-reminder", ...cron)).code, 0);

  const listed = await schedules(server.url, "list", "--json");
  assert.equal(listed.code, 0, listed.err);
  assert.deepEqual(
    JSON.parse(listed.out).map((row: { schedule: { id: string }; state: string }) => [row.schedule.id, row.state]),
    [["user-1", "active"], ["user-2", "active"]],
  );
  const table = await schedules(server.url, "list");
  assert.match(table.out, /^ID +EVENT +SCHEDULE +STATE +NEXT FIRE$/m);
  assert.match(table.out, /^user-2 +cli-reminder +cron '0 9 \* \* 1' in Asia\/Tokyo +active +\S+$/m);

  const described = JSON.parse((await schedules(server.url, "describe", "user-1", "--next", "3", "--json")).out);
  assert.equal(described.state, "active");
  assert.deepEqual(described.schedule.value, { user: 1 });
  assert.equal(described.next.length, 3);
  assert.ok(described.next.every((iso: string) => Date.parse(iso) % 60_000 === 0), described.next.join());

  assert.equal((await schedules(server.url, "pause", "user-1", "--note", "on holiday")).code, 0);
  const paused = JSON.parse((await schedules(server.url, "describe", "user-1", "--json")).out);
  assert.equal(paused.state, "paused");
  assert.equal(paused.schedule.paused.note, "on holiday");
  assert.deepEqual(paused.next, []);
  assert.equal((await schedules(server.url, "resume", "user-1")).code, 0);
  assert.equal(JSON.parse((await schedules(server.url, "describe", "user-1", "--json")).out).state, "active");

  assert.deepEqual(await schedules(server.url, "rm", "user-1"), {
    code: 0,
    out: "Deleted schedule 'user-1'.",
    err: "",
  });
  const unknown = await schedules(server.url, "describe", "user-1");
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /Cannot describe schedule 'user-1': no schedule has this id/);
  assert.deepEqual(
    JSON.parse((await schedules(server.url, "list", "--json")).out).map((row: { schedule: { id: string } }) =>
      row.schedule.id
    ),
    ["user-2"],
  );
});

Deno.test("deno task schedules triggers, backfills and describes the recent fires on a real server", async () => {
  await using server = await startNatsServer();
  const add = ["add", "b", "--event", "cli-history", "--period", "1", "--value", '{"n":1}'];
  assert.equal((await schedules(server.url, ...add)).code, 0);
  const triggered = JSON.parse((await schedules(server.url, "trigger", "b", "--json")).out);
  assert.equal(triggered.duplicate, false);
  const to = new Date(Math.floor(Date.now() / 1000) * 1000);
  const range = ["--from", new Date(to.getTime() - 2_000).toISOString(), "--to", to.toISOString()];
  const first = JSON.parse((await schedules(server.url, "backfill", "b", ...range, "--json")).out);
  assert.deepEqual(first.stored.map((fire: { tick: string }) => Date.parse(fire.tick)), [
    to.getTime() - 2_000,
    to.getTime() - 1_000,
    to.getTime(),
  ]);
  const again = await schedules(server.url, "backfill", "b", ...range);
  assert.deepEqual(again, {
    code: 0,
    out: "Backfilled schedule 'b': stored 0 fires, skipped 3 the stream held.",
    err: "",
  });
  const { recent } = JSON.parse((await schedules(server.url, "describe", "b", "--recent", "10", "--json")).out);
  assert.deepEqual(recent.map((fire: { kind: string; seq: number }) => [fire.kind, fire.seq]), [
    ["triggered", triggered.seq],
    ...first.stored.map((fire: { seq: number }) => ["backfilled", fire.seq]),
  ]);
  const stored = await readStream(server.url, "cli-history");
  assert.ok(stored.every((message) => message.subject === "walnats-schedule.cli-history.b.manual"));
  assert.ok(stored.every((message) => message.payload === '{"n":1}'), JSON.stringify(stored));
  const unknown = await schedules(server.url, "trigger", "nobody");
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /Cannot trigger schedule 'nobody': no schedule has this id/);
});

const FIRE_LINE = /^cli-fires {2}every-second {2}(\S+) {2}emitted +lag \d+ ms {2}seq \d+$/;

Deno.test("deno task run --schedules stores each tick of an added 1 s schedule as one message, and stops on SIGTERM", async () => {
  await using server = await startNatsServer();
  const added = await schedules(server.url, "add", "every-second", "--event", "cli-fires", "--period", "1");
  assert.equal(added.code, 0, added.err);
  const { child, lines, stderr } = spawnCli(["--schedules", "--server", server.url], { NATS_URL: "" });
  const before = await readUntil(lines, FIRE_LINE, 3);
  child.kill("SIGTERM");
  const after = await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  assert.match(before.join("\n"), /Schedules worker for every event on nats:\/\/127\.0\.0\.1:\d+/);
  assert.ok(after.includes("Stopped."), after.join("\n"));

  const printed = [...before, ...after].flatMap((line) => FIRE_LINE.exec(line)?.[1] ?? []);
  const stored = await readStream(server.url, "cli-fires");
  assert.deepEqual(stored.map((message) => message.payload), printed);
  assert.equal(new Set(stored.map((message) => message.headers["Walnats-Tick"])).size, stored.length);
  for (const message of stored) {
    assert.equal(message.subject, "walnats-schedule.cli-fires.every-second.tick");
    assert.equal(message.headers["Walnats-Schedule"], "every-second");
    assert.equal(
      new Date(Number(message.headers["Walnats-Tick"])).toISOString().replace("Z", "+00:00"),
      message.payload,
    );
  }
  const ticks = stored.map((message) => Number(message.headers["Walnats-Tick"]));
  assert.deepEqual(ticks, ticks.map((_, i) => ticks[0]! + i * 1000), "one message per tick, none skipped");
});

Deno.test("deno task run --schedules --event fires only the schedules of the events named", async () => {
  await using server = await startNatsServer();
  for (const [id, event] of [["mine", "cli-mine"], ["theirs", "cli-theirs"]]) {
    assert.equal((await schedules(server.url, "add", id!, "--event", event!, "--period", "0.5")).code, 0);
  }
  const { child, lines, stderr } = spawnCli(["--schedules", "--event", "cli-mine", "--server", server.url], {
    NATS_URL: "",
  });
  const before = await readUntil(lines, /emitted/, 2);
  child.kill("SIGTERM");
  await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  assert.match(before.join("\n"), /Schedules worker for 'cli-mine'/);
  assert.ok(before.filter((line) => /emitted/.test(line)).every((line) => line.startsWith("cli-mine  mine  ")));
  assert.equal((await readStream(server.url, "cli-theirs")).length, 0);
});

Deno.test("deno task run --schedules with no server starts an embedded nats-server and stops on SIGINT", async () => {
  const { child, lines, stderr } = spawnCli(["--schedules"], { NATS_URL: "" });
  const before = await readUntil(lines, /^Schedules worker for every event on /, 1);
  assert.match(before.join("\n"), /embedded nats-server at \S+/);
  child.kill("SIGINT");
  const after = await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  assert.ok(after.includes("Stopped."), after.join("\n"));
});

Deno.test("deno task schedules add refuses a second payload kind for one event (issue 18): exit 1, naming the event and both kinds", async () => {
  await using server = await startNatsServer();
  assert.deepEqual(await schedules(server.url, "add", "a", "--event", "ping", "--period", "3"), {
    code: 0,
    out: "Stored schedule 'a': every 3 s.",
    err: "",
  });
  const second = await schedules(server.url, "add", "b", "--event", "ping", "--period", "5", "--value", '{"n":5}');
  assert.deepEqual(second, {
    code: 1,
    out: "",
    err: "Cannot register stream 'ping': event 'ping' has payload kind 'date' (recorded on its stream), got 'json'; " +
      "an event has one payload kind everywhere: nothing was created or changed\n",
  });
  const listed = JSON.parse((await schedules(server.url, "list", "--json")).out);
  assert.deepEqual(
    listed.map((row: { schedule: { id: string; kind: string } }) => [row.schedule.id, row.schedule.kind]),
    [
      ["a", "date"],
    ],
  );
});
