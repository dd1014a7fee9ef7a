/**
 * deno task schedules without a server: its flags, its output, and its
 * commands on the in-memory server; tests/nats/cli_schedules_test.ts runs
 * it as a process on a real one.
 */
import assert from "node:assert/strict";
import { Actor, Actors, Event, type JobEvent } from "../../mod.ts";
import { FakeTime, MemoryServer } from "../../testing/mod.ts";
import { main as runMain } from "../../cli/main.ts";
import { parseSchedulesArgs } from "../../cli/_schedules_args.ts";
import { main, type SchedulesConnector } from "../../cli/schedules.ts";
import { runToEnd, SCHEDULES_CLI } from "../_cli.ts";

const SERVER = ["--server", "nats://127.0.0.1:4222"];

/** Runs the command on `server`; returns the exit code and what it wrote. */
async function run(args: string[], server?: MemoryServer) {
  const out: string[] = [];
  const err: string[] = [];
  const connector: SchedulesConnector = (schedules) => {
    if (server === undefined) throw new Error("no server in this test");
    return schedules.connect(server);
  };
  const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line) }, connector);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

Deno.test("parseSchedulesArgs() reads add's flags into the schedule's options", () => {
  const { command, servers } = parseSchedulesArgs([
    "add",
    "user-42",
    "--event",
    "reminder",
    "--cron",
    "0 9 * * 1",
    "--timezone",
    "Asia/Tokyo",
    "--value",
    '{"user":42}',
    "--start-at",
    "2026-12-01T00:00:00Z",
    "--max-ticks",
    "3",
    "--catch-up",
    "1",
    "--jitter",
    "30",
    "--pause-on-failure",
    "--meta",
    "tenant=acme",
    "--meta",
    "team=a=b",
    ...SERVER,
  ]);
  assert.deepEqual(servers, ["nats://127.0.0.1:4222"]);
  assert.equal(command?.name, "add");
  if (command?.name !== "add") return;
  const { event, ...options } = command.options;
  assert.equal(event.name, "reminder");
  assert.deepEqual(options, {
    cron: "0 9 * * 1",
    timezone: "Asia/Tokyo",
    value: { user: 42 },
    startAt: new Date("2026-12-01T00:00:00Z"),
    maxTicks: 3,
    catchUp: 1,
    jitter: 30,
    pauseOnFailure: true,
    meta: { tenant: "acme", team: "a=b" },
  });
});

Deno.test("parseSchedulesArgs() reads the other commands", () => {
  const commands = [
    ["list", "--event", "reminder", "--json"],
    ["describe", "a", "--next", "3"],
    ["describe", "a", "--recent", "20", "--json"],
    ["trigger", "a"],
    ["backfill", "a", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-01T00:00:00Z"],
    ["pause", "a", "--note", "on holiday"],
    ["resume", "a"],
    ["rm", "a", "--json"],
  ].map((args) => parseSchedulesArgs([...args, ...SERVER]).command);
  assert.deepEqual(commands, [
    { name: "list", event: "reminder", json: true },
    { name: "describe", id: "a", next: 3, json: false },
    { name: "describe", id: "a", recent: 20, json: true },
    { name: "trigger", id: "a", json: false },
    {
      name: "backfill",
      id: "a",
      from: new Date("2026-11-30T00:00:00Z"),
      to: new Date("2026-12-01T00:00:00Z"),
      json: false,
    },
    { name: "pause", id: "a", note: "on holiday", json: false },
    { name: "resume", id: "a", json: false },
    { name: "rm", id: "a", json: true },
  ]);
});

Deno.test("deno task schedules exits 2 for bad flags and says what is wrong", async () => {
  const cases: [string[], RegExp][] = [
    [[], /Give a command: add, list, describe, pause, resume, rm/],
    [["launch", "a"], /Unknown command 'launch'/],
    [["add", "a", "--period", "60"], /'add' needs --event NAME/],
    [["add", "a", "--event", "e"], /'add' needs one of --period, --cron and --at, got none/],
    [["add", "a", "--event", "e", "--period", "1", "--cron", "* * * * *"], /got --period and --cron/],
    [["add", "a", "--event", "e", "--period", "soon"], /--period must be a number, got 'soon'/],
    [["add", "a", "--event", "e", "--at", "tomorrow"], /--at must be an ISO 8601 instant with Z or an offset/],
    [
      ["add", "a", "--event", "e", "--at", "2026-12-07T12:00:00"],
      /--at must say its offset, got '2026-12-07T12:00:00': add Z/,
    ],
    [
      ["add", "a", "--event", "e", "--period", "1", "--start-at", "2026-12-07T12:00"],
      /--start-at must say its offset, got '2026-12-07T12:00': add Z/,
    ],
    [
      ["add", "a", "--event", "e", "--period", "1", "--stop-at", "2026-12-07T12:00:00.5"],
      /--stop-at must say its offset, got '2026-12-07T12:00:00\.5': add Z/,
    ],
    [
      ["add", "a", "--event", "e", "--at", "2026-02-30T12:00:00Z"],
      /--at must be an instant that exists on the calendar/,
    ],
    [["add", "a", "--event", "e", "--period", "1", "--value", "{user"], /--value must be JSON, got '\{user'/],
    [["add", "a", "--event", "e", "--period", "1", "--timezone", "UTC"], /--timezone goes with --cron/],
    [
      ["add", "a", "--event", "e", "--period", "1", "--dst-gap", "skip"],
      /--dst-gap and --dst-repeat go with --cron, got --dst-gap skip without one/,
    ],
    [
      ["add", "a", "--event", "e", "--cron", "30 2 * * *", "--dst-repeat", "twice"],
      /'dst\.repeat' must be 'first', 'last' or 'both', got 'twice'/,
    ],
    [["add", "a", "--event", "e", "--period", "1", "--meta", "novalue"], /--meta must be KEY=VALUE/],
    [["list", "a"], /'list' takes no id, got 'a'/],
    [["list", "--period", "1"], /--period does not go with 'list'/],
    [["describe"], /'describe' needs the schedule's id/],
    [["pause", "a", "b"], /'pause' takes one id, got 2/],
    [["describe", "a", "--note", "x"], /--note does not go with 'describe'/],
    [["rm", "a", "--bogus"], /Unknown option '--bogus'/],
    [["backfill", "a", "--from", "2026-11-30T00:00:00Z"], /'backfill' needs --from ISO and --to ISO/],
    [["backfill", "a", "--from", "yesterday", "--to", "2026-12-01T00:00:00Z"], /--from must be an ISO 8601 instant/],
    [
      ["backfill", "a", "--from", "2026-11-30T00:00:00Z", "--to", "2026-12-01T00:00:00"],
      /--to must say its offset, got '2026-12-01T00:00:00': add Z/,
    ],
    [["trigger", "a", "--from", "2026-11-30T00:00:00Z"], /--from does not go with 'trigger'/],
    [["describe", "a", "--recent", "many"], /--recent must be a number, got 'many'/],
    [["list", "--user", "clock", "--password", "hunter2", "--token", "t0ken"], /Give one way to authenticate/],
  ];
  for (const [args, message] of cases) {
    const { code, err } = await run([...args, ...SERVER]);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, message);
    assert.match(err, /\nSee 'deno task schedules --help'\.$/, "the error line, then where the usage is");
    assert.doesNotMatch(err, /Usage:/);
    assert.doesNotMatch(err, /hunter2|t0ken/);
  }
});

Deno.test("deno task schedules answers an unknown flag with one line naming it, its quotes balanced", async () => {
  assert.deepEqual(await run(["rm", "a", "--bogus", ...SERVER]), {
    code: 2,
    out: "",
    err: "Unknown option '--bogus'\nSee 'deno task schedules --help'.",
  });
});

Deno.test("parseSchedulesArgs() reads an instant with Z or an offset as that instant", () => {
  const { command } = parseSchedulesArgs([
    "add",
    "x",
    "--event",
    "ping",
    "--at",
    "2026-12-07T12:00:00+01:00",
    ...SERVER,
  ]);
  assert.equal(command?.name === "add" ? command.options.at?.toISOString() : command?.name, "2026-12-07T11:00:00.000Z");
  const backfill = parseSchedulesArgs([
    "backfill",
    "x",
    "--from",
    "2026-12-07T12:00Z",
    "--to",
    "2026-12-07T08:00-04:00",
  ]);
  assert.deepEqual(
    backfill.command?.name === "backfill" ? [backfill.command.from, backfill.command.to] : backfill.command?.name,
    [new Date("2026-12-07T12:00:00Z"), new Date("2026-12-07T12:00:00Z")],
  );
});

Deno.test("deno task schedules add --at without an offset exits 2 in Europe/Berlin rather than store 11:00Z", async () => {
  // Before: the text was read in the host's zone and the command went on to connect (port 1 is closed: exit 1).
  const { code, err } = await runToEnd(
    ["add", "x", "--event", "ping", "--at", "2026-12-07T12:00:00", "--server", "nats://127.0.0.1:1"],
    { TZ: "Europe/Berlin" },
    SCHEDULES_CLI,
  );
  assert.equal(code, 2);
  assert.match(err, /^--at must say its offset, got '2026-12-07T12:00:00': add Z for UTC or the zone's offset/);
});

Deno.test("deno task schedules needs --server or NATS_URL and exits 2 without", async () => {
  const saved = Deno.env.get("NATS_URL");
  Deno.env.delete("NATS_URL");
  try {
    const { code, err } = await run(["list"]);
    assert.equal(code, 2);
    assert.match(err, /needs --server URL or NATS_URL/);
  } finally {
    if (saved !== undefined) Deno.env.set("NATS_URL", saved);
  }
});

Deno.test("deno task schedules --help prints the usage with every command", async () => {
  const { code, out } = await run(["--help"]);
  assert.equal(code, 0);
  for (
    const command of ["add ID", "list", "describe ID", "pause ID", "resume ID", "rm ID", "trigger ID", "backfill ID"]
  ) {
    assert.match(out, new RegExp(`^  ${command}`, "m"));
  }
});

Deno.test("add, list, describe, pause, resume and rm on the in-memory server, as tables", async () => {
  using time = new FakeTime("2026-12-01T08:00:00Z");
  const server = new MemoryServer(time);
  const add = (id: string, ...flags: string[]) => run(["add", id, ...flags, ...SERVER], server);
  assert.deepEqual(await add("user-1", "--event", "reminder", "--period", "3600", "--value", '{"user":1}'), {
    code: 0,
    out: "Stored schedule 'user-1': every 3600 s.",
    err: "",
  });
  const cron = ["--cron", "0 9 * * 1", "--timezone", "Asia/Tokyo"];
  assert.equal((await add("user-2", "--event", "reminder", ...cron, "--value", '{"user":2}')).code, 0);
  assert.equal((await add("launch", "--event", "launch", "--at", "2026-12-24T18:00:00Z")).code, 0);
  assert.equal(
    (await run(["pause", "user-2", "--note", "on holiday", ...SERVER], server)).out,
    "Paused schedule 'user-2'.",
  );

  const list = await run(["list", ...SERVER], server);
  assert.equal(list.code, 0, list.err);
  assert.deepEqual(list.out.split("\n"), [
    "ID      EVENT     SCHEDULE                          STATE                NEXT FIRE",
    "launch  launch    at 2026-12-24T18:00:00.000+00:00  active               2026-12-24T18:00:00.000+00:00",
    "user-1  reminder  every 3600 s                      active               2026-12-01T09:00:00.000+00:00",
    "user-2  reminder  cron '0 9 * * 1' in Asia/Tokyo    paused (on holiday)  -",
  ]);
  const reminders = await run(["list", "--event", "reminder", ...SERVER], server);
  assert.deepEqual(reminders.out.split("\n").map((line) => line.split(" ")[0]), ["ID", "user-1", "user-2"]);

  const described = await run(["describe", "user-2", "--next", "2", ...SERVER], server);
  assert.deepEqual(described.out.split("\n"), [
    "id            user-2",
    "event         reminder",
    "schedule      cron '0 9 * * 1' in Asia/Tokyo",
    "state         paused since 2026-12-01T08:00:00.000+00:00 (on holiday)",
    'value         {"user":2}',
    "catch-up      0",
    "updated at    2026-12-01T08:00:00.000+00:00",
    `revision      ${described.out.match(/^revision +(\d+)$/m)?.[1]}`,
    "next fires    -",
    "last fire     -",
    "recent fires  -",
  ]);
  assert.equal((await run(["resume", "user-2", ...SERVER], server)).out, "Resumed schedule 'user-2'.");
  const resumed = await run(["describe", "user-2", "--next", "2", ...SERVER], server);
  assert.match(resumed.out, /^state +active$/m);
  assert.match(
    resumed.out,
    new RegExp(
      "^next fires +2026-12-07T00:00:00\\.000\\+00:00  2026-12-07T09:00:00\\+09:00 \\(Asia/Tokyo\\)\\n" +
        " +2026-12-14T00:00:00\\.000\\+00:00  2026-12-14T09:00:00\\+09:00 \\(Asia/Tokyo\\)$",
      "m",
    ),
  );
  const one = await run(["describe", "user-1", ...SERVER], server);
  assert.match(one.out, /^value +\{"user":1\}$/m);

  assert.equal((await run(["rm", "launch", ...SERVER], server)).out, "Deleted schedule 'launch'.");
  assert.deepEqual((await run(["list", "--json", ...SERVER], server)).out.match(/"id":"[^"]+"/g), [
    '"id":"user-1"',
    '"id":"user-2"',
  ]);
});

Deno.test("describe shows a zoned cron's next fires in its zone beside UTC, across a DST change", async () => {
  using time = new FakeTime("2027-03-26T12:00:00Z");
  const server = new MemoryServer(time);
  const cli = (...args: string[]) => run([...args, ...SERVER], server);
  assert.equal(
    (await cli("add", "b", "--event", "nightly", "--cron", "30 2 * * *", "--timezone", "Europe/Berlin")).code,
    0,
  );
  assert.equal((await cli("add", "u", "--event", "nightly", "--cron", "30 2 * * *")).code, 0);
  const berlin = await cli("describe", "b", "--next", "3");
  assert.deepEqual(berlin.out.split("\n").filter((line) => /^(next fires| {10})/.test(line)), [
    "next fires    2027-03-27T01:30:00.000+00:00  2027-03-27T02:30:00+01:00 (Europe/Berlin)",
    "              2027-03-28T01:00:00.000+00:00  2027-03-28T03:00:00+02:00 (Europe/Berlin)", // just after the gap
    "              2027-03-29T00:30:00.000+00:00  2027-03-29T02:30:00+02:00 (Europe/Berlin)",
  ]);
  const utc = await cli("describe", "u", "--next", "1");
  assert.match(utc.out, /^next fires +2027-03-27T02:30:00\.000\+00:00$/m, "a UTC cron's fires are shown once");
  const json = JSON.parse((await cli("describe", "b", "--next", "1", "--json")).out);
  assert.deepEqual(json.next, ["2027-03-27T01:30:00.000Z"], "--json keeps UTC instants for scripts");
});

Deno.test("add --dst-gap and --dst-repeat store the policy; describe shows it and previews its fires", async () => {
  using time = new FakeTime("2027-03-26T12:00:00Z");
  const server = new MemoryServer(time);
  const cli = (...args: string[]) => run([...args, ...SERVER], server);
  const add = ["add", "b", "--event", "nightly", "--cron", "30 2 * * *", "--timezone", "Europe/Berlin"];
  assert.equal((await cli(...add, "--dst-gap", "skip", "--dst-repeat", "last")).code, 0);
  const berlin = await cli("describe", "b", "--next", "2");
  assert.match(berlin.out, /^dst +gap skip, repeat last$/m);
  assert.deepEqual(berlin.out.split("\n").filter((line) => /^(next fires| {10})/.test(line)), [
    "next fires    2027-03-27T01:30:00.000+00:00  2027-03-27T02:30:00+01:00 (Europe/Berlin)",
    "              2027-03-29T00:30:00.000+00:00  2027-03-29T02:30:00+02:00 (Europe/Berlin)", // none on 03-28
  ]);
  const json = JSON.parse((await cli("describe", "b", "--json")).out);
  assert.deepEqual(json.schedule.dst, { gap: "skip", repeat: "last" });
});

Deno.test("add --pause-on-failure: describe shows the setting, then the pause an actor wrote and its note", async () => {
  using time = new FakeTime("2026-12-01T08:00:00Z");
  const server = new MemoryServer(time);
  const cli = (...args: string[]) => run([...args, ...SERVER], server);
  assert.equal((await cli("add", "r", "--event", "reminder", "--period", "3600", "--pause-on-failure")).code, 0);
  const active = await cli("describe", "r");
  assert.match(active.out, /^state +active$/m);
  assert.match(active.out, /^on failure +pause \(an actor that gives up a fire pauses it\)$/m);
  assert.equal(JSON.parse((await cli("describe", "r", "--json")).out).schedule.pauseOnFailure, true);
  // Without the flag, no row.
  assert.equal((await cli("add", "plain", "--event", "reminder", "--period", "3600")).code, 0);
  assert.doesNotMatch((await cli("describe", "plain")).out, /^on failure/m);

  // An actor gives up the schedule's fire at its first attempt and pauses it.
  const actor = new Actor("mailer", new Event("reminder", Date), () => {
    throw new Error("no mail server");
  }, { maxAttempts: 1 });
  await using actors = await new Actors(actor).connect(server);
  await actors.register();
  assert.equal((await cli("trigger", "r")).code, 0);
  const events: JobEvent[] = [];
  await actors.listen({ burst: true, onEvent: (event) => void events.push(event) });
  assert.deepEqual(events.map((event) => event.type), ["start", "terminated", "paused"]);

  const note = "Paused on failure: actor 'mailer' gave up the fire of 2026-12-01T08:00:00.000Z (message 1) after 1 " +
    "attempt: no mail server";
  const paused = await cli("describe", "r");
  assert.match(paused.out, /^on failure +pause \(an actor that gives up a fire pauses it\)$/m);
  assert.equal(
    paused.out.split("\n").find((line) => line.startsWith("state")),
    `state         paused since 2026-12-01T08:00:00.000+00:00 (${note})`,
  );
  assert.equal(JSON.parse((await cli("describe", "r", "--json")).out).schedule.paused.note, note);
  const listed = (await cli("list")).out.split("\n").find((line) => line.startsWith("r "));
  assert.deepEqual(listed?.split(/ {2,}/), ["r", "reminder", "every 3600 s", `paused (${note})`, "-"]);
});

Deno.test("deno task schedules --json prints what scripts read: instants as ISO text, the value as JSON", async () => {
  using time = new FakeTime("2026-12-01T08:00:00Z");
  const server = new MemoryServer(time);
  const added = await run(
    [
      "add",
      "u",
      "--event",
      "reminder",
      "--period",
      "60",
      "--value",
      '{"user":7}',
      "--meta",
      "k=v",
      "--json",
      ...SERVER,
    ],
    server,
  );
  const info = JSON.parse(added.out);
  assert.deepEqual({ ...info, revision: 0 }, {
    id: "u",
    event: "reminder",
    kind: "json",
    period: 60,
    catchUp: 0,
    meta: { k: "v" },
    value: { user: 7 },
    updatedAt: "2026-12-01T08:00:00.000Z",
    revision: 0,
  });
  const described = JSON.parse((await run(["describe", "u", "--next", "2", "--json", ...SERVER], server)).out);
  assert.deepEqual(described.next, ["2026-12-01T08:01:00.000Z", "2026-12-01T08:02:00.000Z"]);
  assert.equal(described.state, "active");
  assert.deepEqual(described.schedule.value, { user: 7 });
  assert.equal(described.lastFire, undefined);
  assert.deepEqual(JSON.parse((await run(["rm", "u", "--json", ...SERVER], server)).out), { id: "u", deleted: true });
  assert.equal((await run(["list", "--json", ...SERVER], server)).out, "[]");
  assert.equal((await run(["list", ...SERVER], server)).out, "No schedules.");
});

Deno.test("deno task schedules exits 1 naming the id of an unknown schedule, 2 for input the library refuses", async () => {
  using time = new FakeTime("2026-12-01T08:00:00Z");
  const server = new MemoryServer(time);
  const unregistered = await run(["describe", "nobody", ...SERVER], server);
  assert.equal(unregistered.code, 1);
  assert.match(unregistered.err, /bucket does not exist/);
  assert.equal((await run(["add", "somebody", "--event", "e", "--period", "1", ...SERVER], server)).code, 0);
  for (const command of ["describe", "pause", "resume", "rm", "trigger"]) {
    const { code, err } = await run([command, "nobody", ...SERVER], server);
    assert.equal(code, 1, command);
    assert.match(err, /schedule 'nobody': no schedule has this id/);
  }
  const badCron = await run(["add", "a", "--event", "e", "--cron", "61 * * * *", ...SERVER], server);
  assert.equal(badCron.code, 2);
  assert.match(badCron.err, /Cannot upsert schedule 'a'/);
  const badId = await run(["add", "a.b", "--event", "e", "--period", "1", ...SERVER], server);
  assert.equal(badId.code, 2);
  assert.match(badId.err, /'id' must be 1 to 128 letters/);
});

Deno.test("trigger, backfill and describe --recent on the in-memory server, as tables and as JSON", async () => {
  using time = new FakeTime("2026-12-01T08:00:00Z");
  const server = new MemoryServer(time);
  const cli = (...args: string[]) => run([...args, ...SERVER], server);
  assert.equal((await cli("add", "t", "--event", "reminder", "--period", "60", "--value", "{}")).code, 0);
  assert.deepEqual(await cli("trigger", "t"), {
    code: 0,
    out: "Triggered schedule 't': tick 2026-12-01T08:00:00.000+00:00, seq 1.",
    err: "",
  });
  await time.tickAsync(150_000);
  const range = ["--from", "2026-12-01T07:58:00Z", "--to", "2026-12-01T08:02:00Z"];
  const backfilled = await cli("backfill", "t", ...range);
  assert.equal(backfilled.code, 0, backfilled.err);
  assert.deepEqual(backfilled.out.split("\n"), [
    "Backfilled schedule 't': stored 5 fires, skipped 0 the stream held.",
    "TICK                           SEQ",
    "2026-12-01T07:58:00.000+00:00  2",
    "2026-12-01T07:59:00.000+00:00  3",
    "2026-12-01T08:00:00.000+00:00  4",
    "2026-12-01T08:01:00.000+00:00  5",
    "2026-12-01T08:02:00.000+00:00  6",
  ]);
  assert.deepEqual(JSON.parse((await cli("backfill", "t", ...range, "--json")).out), {
    id: "t",
    stored: [],
    skipped: ["07:58", "07:59", "08:00", "08:01", "08:02"].map((hm) => `2026-12-01T${hm}:00.000Z`),
  });
  const described = await cli("describe", "t", "--recent", "3");
  assert.deepEqual(described.out.split("\n").slice(-3), [
    "recent fires  2026-12-01T08:00:00.000+00:00  backfilled  lag 150000 ms  seq 4",
    "              2026-12-01T08:01:00.000+00:00  backfilled  lag 90000 ms  seq 5",
    "              2026-12-01T08:02:00.000+00:00  backfilled  lag 30000 ms  seq 6",
  ]);
  const json = JSON.parse((await cli("describe", "t", "--recent", "6", "--json")).out);
  assert.deepEqual(json.recent[0], {
    tick: "2026-12-01T08:00:00.000Z",
    kind: "triggered",
    lagMs: 0,
    seq: 1,
    storedAt: "2026-12-01T08:00:00.000Z",
  });
  assert.deepEqual(json.recent.map((fire: { seq: number }) => fire.seq), [1, 2, 3, 4, 5, 6]);
  const reversed = await cli("backfill", "t", "--from", "2026-12-01T08:02:00Z", "--to", "2026-12-01T07:58:00Z");
  assert.equal(reversed.code, 2);
  assert.match(reversed.err, /Cannot backfill schedule 't': 'from' \(2026-12-01T08:02:00\.000Z\) is after 'to'/);
  const tooMany = await cli("backfill", "t", "--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T08:00:00Z");
  assert.equal(tooMany.code, 2);
  assert.match(tooMany.err, /the range holds 43681 ticks of the schedule, more than the 1000/);
});

Deno.test("deno task run --schedules does not go with a clock's schedule or --config; --metrics-per-event needs it", async () => {
  for (const flag of [["--period", "1"], ["--cron", "* * * * *"], ["--config", "walnats.json"]]) {
    const err: string[] = [];
    const code = await runMain(["--schedules", ...flag], { out: () => {}, err: (line) => err.push(line) });
    assert.equal(code, 2, flag.join(" "));
    assert.match(err.join("\n"), new RegExp(`${flag[0]} does not go with --schedules`));
  }
  const err: string[] = [];
  const code = await runMain(["--event", "a", "--event", "b"], { out: () => {}, err: (line) => err.push(line) });
  assert.equal(code, 2);
  assert.match(err.join("\n"), /--event names one clock's event, got 2 \(several go with --schedules\)/);
  const perEvent: string[] = [];
  assert.equal(await runMain(["--metrics-per-event"], { out: () => {}, err: (line) => perEvent.push(line) }), 2);
  assert.match(perEvent.join("\n"), /--metrics-per-event goes with --schedules/);
});

Deno.test("list flags an event whose schedules mix payload kinds (stored before kinds were checked), as text and JSON", async () => {
  using time = new FakeTime("2026-12-01T08:00:00Z");
  const server = new MemoryServer(time);
  const cli = (...args: string[]) => run([...args, ...SERVER], server);
  assert.equal((await cli("add", "b", "--event", "ping", "--period", "5", "--value", '{"n":5}')).code, 0);
  // Schedule 'a' as a version that did not record kinds stored it: no value, so its fires carry their tick.
  const { store } = await server.connectSchedules([]);
  const older = { v: 1, id: "a", event: "ping", period: 3, catchUp: 0, meta: {}, updatedAt: "2026-12-01T08:00:00Z" };
  assert.ok(await store.write("a", new TextEncoder().encode(JSON.stringify(older)), 0));

  const table = await cli("list");
  assert.equal(table.code, 0, table.err);
  assert.deepEqual(table.out.split("\n").slice(3), [
    "Event 'ping' has schedules of payload kinds date, json: its actors cannot decode the fires of some; see each " +
    'schedule\'s "kind" with --json, then delete those of the odd kind or add them again.',
  ]);
  const rows = JSON.parse((await cli("list", "--json")).out);
  assert.deepEqual(
    rows.map((row: { schedule: { id: string; kind: string; mixedKinds: string[] } }) => [
      row.schedule.id,
      row.schedule.kind,
      row.schedule.mixedKinds,
    ]),
    [["a", "date", ["date", "json"]], ["b", "json", ["date", "json"]]],
  );
});
