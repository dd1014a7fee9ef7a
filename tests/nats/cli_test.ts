/** The clock command on a real nats-server, its own or one it starts; tests/cli/main_test.ts checks its arguments. */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { readUntil, rest, spawnCli } from "../_cli.ts";

const TICK_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 {2}emitted +lag \d+ ms {2}seq \d+$/;

Deno.test("deno task run --server prints one line per tick and stops with exit 0 on SIGTERM", async () => {
  await using server = await startNatsServer();
  const { child, lines, stderr } = spawnCli(["--server", server.url, "--period", "0.5", "--event", "cli-ticks"]);
  const before = await readUntil(lines, TICK_LINE, 2);
  child.kill("SIGTERM");
  const after = await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  assert.match(before.join("\n"), /Clock 'cli-ticks' every 0\.5 s/);
  // One copy of the stream on a server of yours: the command says once what exactly once then rests on.
  assert.equal(
    before.filter((line) => /Stream 'cli-ticks' has 1 replica: a crash of its server's machine/.test(line)).length,
    1,
  );
  assert.ok(after.includes("Stopped."), after.join("\n"));
});

Deno.test("deno task run with no server starts an embedded nats-server and removes it on SIGINT", async () => {
  const { child, lines, stderr } = spawnCli(["--period", "0.5", "--meta", "team=ops"], { NATS_URL: "" });
  const before = await readUntil(lines, TICK_LINE, 1);
  const announced = before.join("\n").match(/embedded nats-server at (\S+) \(JetStream store (\S+),/);
  assert.ok(announced, before.join("\n"));
  const storeDir = announced[2]!;
  assert.ok(!before.some((line) => line.includes("replica")), "the embedded server is for trying things out: no note");
  assert.ok((await Deno.stat(storeDir)).isDirectory);
  child.kill("SIGINT");
  await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  await assert.rejects(Deno.stat(storeDir), Deno.errors.NotFound);
});

Deno.test("deno task run --cron runs a cron clock in a time zone, one line per tick", async () => {
  await using server = await startNatsServer();
  const args = ["--server", server.url, "--event", "cli-cron", "--cron", "* * * * * *", "--timezone", "Europe/Berlin"];
  const { child, lines, stderr } = spawnCli([...args, "--catch-up", "2"]);
  const before = await readUntil(lines, TICK_LINE, 2);
  child.kill("SIGTERM");
  await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  assert.match(before.join("\n"), /Clock 'cli-cron' '\* \* \* \* \* \*' in Europe\/Berlin/);
});
