/** The clock command's arguments and failures, with no server to reach: tests/nats/cli_test.ts runs it on one. */
import assert from "node:assert/strict";
import { runToEnd } from "../_cli.ts";

Deno.test("deno task run --help prints the usage and exits 0", async () => {
  const { code, out } = await runToEnd(["--help"]);
  assert.equal(code, 0);
  assert.match(out, /--event NAME/);
  assert.match(out, /--period SECONDS/);
  assert.match(out, /--meta KEY=VALUE/);
  assert.match(out, /--server URL/);
});

Deno.test("deno task run --help aligns every option's text in one column", async () => {
  const { out } = await runToEnd(["--help"]);
  const options = out.split("\n").filter((line) => line.startsWith("  --"));
  assert.ok(options.length >= 20, out);
  for (const line of options) {
    // The flag and its argument (upper case, e.g. KEY=VALUE), then the text at column 21, or nothing on this line.
    const [, flag = "", gap = "", text = ""] = /^( {2}--\S+(?: [A-Z]\S*)?)( *)(.*)$/.exec(line) ?? [];
    if (text !== "") assert.equal(flag.length + gap.length, 21, line);
  }
});

Deno.test("deno task run exits 2 on an unknown flag with one line naming it and where the usage is", async () => {
  const { code, err } = await runToEnd(["--bogus", "5"]);
  assert.equal(code, 2);
  assert.equal(err, "Unknown option '--bogus'\nSee 'deno task run --help'.\n");
});

Deno.test("deno task run exits 2 on a flag without its value, saying how to give one that starts with '-'", async () => {
  const { code, err } = await runToEnd(["--period", "-5"]);
  assert.equal(code, 2);
  assert.equal(
    err,
    "--period needs a value (for one that starts with '-', write --period=VALUE)\nSee 'deno task run --help'.\n",
  );
});

Deno.test("deno task run exits 2 naming the value of a bad --period or --meta", async () => {
  const negative = await runToEnd(["--period=-5", "--server", "nats://127.0.0.1:1"]);
  assert.equal(negative.code, 2);
  assert.match(negative.err, /'period' must be a positive number of seconds.*got -5/);
  const meta = await runToEnd(["--meta", "no-equals-sign", "--server", "nats://127.0.0.1:1"]);
  assert.equal(meta.code, 2);
  assert.match(meta.err, /--meta must be KEY=VALUE, got 'no-equals-sign'/);
});

Deno.test("deno task run exits 2 naming the value of a bad --log-format or --http", async () => {
  const format = await runToEnd(["--log-format", "yaml", "--server", "nats://127.0.0.1:1"]);
  assert.equal(format.code, 2);
  assert.match(format.err, /--log-format must be text or json, got 'yaml'/);
  const http = await runToEnd(["--http", "127.0.0.1:99999", "--server", "nats://127.0.0.1:1"]);
  assert.equal(http.code, 2);
  assert.match(http.err, /--http must be HOST:PORT, .* got '127\.0\.0\.1:99999'/);
});

Deno.test("deno task run --log-format json writes the failure to connect as a JSON line with its code", async () => {
  const { code, err } = await runToEnd(["--server", "nats://127.0.0.1:1", "--log-format", "json"]);
  assert.equal(code, 1);
  const line = JSON.parse(err.trim());
  assert.equal(line.level, "error");
  assert.equal(line.code, "CONNECTION_FAILED");
  assert.match(line.msg, /Cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
});

Deno.test("deno task run exits 1 naming the address when --http cannot listen", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { code, err } = await runToEnd(["--server", "nats://127.0.0.1:1", "--http", `127.0.0.1:${taken.addr.port}`]);
  assert.equal(code, 1);
  assert.match(err, new RegExp(`Cannot serve HTTP on 127\\.0\\.0\\.1:${taken.addr.port}: `));
});

Deno.test("deno task run exits 1 with the URL when the server is unreachable", async () => {
  const { code, err } = await runToEnd(["--server", "nats://127.0.0.1:1"]);
  assert.equal(code, 1);
  assert.match(err, /Cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
});

Deno.test("deno task run without nats-server on PATH says how to install it", async () => {
  const { code, err } = await runToEnd([], { NATS_URL: "", PATH: "/nonexistent" });
  assert.equal(code, 1);
  assert.match(err, /apt-get install nats-server/);
  assert.match(err, /--server URL/);
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
