import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const TICK_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 {2}emitted +lag \d+ ms {2}seq \d+$/;

/** Starts the command as a real process; its stdout is read line by line. */
function spawnCli(args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines()).getReader();
  const stderr = new Response(child.stderr).text();
  return { child, lines, stderr };
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) controller.enqueue(line);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

/** Reads lines until `count` of them match `pattern`; returns every line read. */
async function readUntil(lines: ReadableStreamDefaultReader<string>, pattern: RegExp, count: number) {
  const seen: string[] = [];
  while (seen.filter((line) => pattern.test(line)).length < count) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`Output ended before ${count} lines matched ${pattern}:\n${seen.join("\n")}`);
    seen.push(value);
  }
  return seen;
}

async function rest(lines: ReadableStreamDefaultReader<string>) {
  const seen: string[] = [];
  for (let r = await lines.read(); !r.done; r = await lines.read()) seen.push(r.value);
  return seen;
}

async function runToEnd(args: string[], env: Record<string, string> = {}) {
  const { child, lines, stderr } = spawnCli(args, env);
  const out = await rest(lines);
  return { code: (await child.status).code, out: out.join("\n"), err: await stderr };
}

Deno.test("deno task run --help prints the usage and exits 0", async () => {
  const { code, out } = await runToEnd(["--help"]);
  assert.equal(code, 0);
  assert.match(out, /--event NAME/);
  assert.match(out, /--period SECONDS/);
  assert.match(out, /--meta KEY=VALUE/);
  assert.match(out, /--server URL/);
});

Deno.test("deno task run exits 2 with the usage on an unknown flag", async () => {
  const { code, err } = await runToEnd(["--frequency", "5"]);
  assert.equal(code, 2);
  assert.match(err, /frequency/);
  assert.match(err, /Usage: deno task run/);
});

Deno.test("deno task run exits 2 naming the value of a bad --period or --meta", async () => {
  const negative = await runToEnd(["--period=-5", "--server", "nats://127.0.0.1:1"]);
  assert.equal(negative.code, 2);
  assert.match(negative.err, /'period' must be a positive number of seconds.*got -5/);
  const meta = await runToEnd(["--meta", "no-equals-sign", "--server", "nats://127.0.0.1:1"]);
  assert.equal(meta.code, 2);
  assert.match(meta.err, /--meta must be KEY=VALUE, got 'no-equals-sign'/);
});

Deno.test("deno task run exits 1 with the URL when the server is unreachable", async () => {
  const { code, err } = await runToEnd(["--server", "nats://127.0.0.1:1"]);
  assert.equal(code, 1);
  assert.match(err, /Cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
});

Deno.test("deno task run --server prints one line per tick and stops with exit 0 on SIGTERM", async () => {
  await using server = await startNatsServer();
  const { child, lines, stderr } = spawnCli(["--server", server.url, "--period", "0.5", "--event", "cli-ticks"]);
  const before = await readUntil(lines, TICK_LINE, 2);
  child.kill("SIGTERM");
  const after = await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  assert.match(before.join("\n"), /Clock 'cli-ticks' every 0\.5 s/);
  assert.ok(after.includes("Stopped."), after.join("\n"));
});

Deno.test("deno task run with no server starts an embedded nats-server and removes it on SIGINT", async () => {
  const { child, lines, stderr } = spawnCli(["--period", "0.5", "--meta", "team=ops"], { NATS_URL: "" });
  const before = await readUntil(lines, TICK_LINE, 1);
  const announced = before.join("\n").match(/embedded nats-server at (\S+) \(JetStream store (\S+),/);
  assert.ok(announced, before.join("\n"));
  const storeDir = announced[2]!;
  assert.ok((await Deno.stat(storeDir)).isDirectory);
  child.kill("SIGINT");
  await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  await assert.rejects(Deno.stat(storeDir), Deno.errors.NotFound);
});

Deno.test("deno task run without nats-server on PATH says how to install it", async () => {
  const { code, err } = await runToEnd([], { NATS_URL: "", PATH: "/nonexistent" });
  assert.equal(code, 1);
  assert.match(err, /apt-get install nats-server/);
  assert.match(err, /--server URL/);
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

Deno.test("deno task run exits 2 for --cron with --period, an unknown --timezone or a bad --catch-up", async () => {
  const server = ["--server", "nats://127.0.0.1:1"];
  const both = await runToEnd([...server, "--cron", "* * * * *", "--period", "60"]);
  assert.equal(both.code, 2);
  assert.match(both.err, /give either 'period' or 'cron', not both/);
  const zone = await runToEnd([...server, "--cron", "* * * * *", "--timezone", "Mars/Olympus"]);
  assert.equal(zone.code, 2);
  assert.match(zone.err, /'timezone' is not a known IANA time zone, got 'Mars\/Olympus'/);
  const catchUp = await runToEnd([...server, "--catch-up=-1"]);
  assert.equal(catchUp.code, 2);
  assert.match(catchUp.err, /'catchUp' must be a whole number >= 0, got -1/);
});
