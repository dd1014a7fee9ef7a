/** The clock command with a configuration file, on a real nats-server; tests/cli/config_test.ts checks the file. */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { readUntil, rest, spawnCli } from "../_cli.ts";
import { readStream } from "./_stream.ts";

const EVENT_TICK_LINE = /^(\S+) {2}(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00) {2}emitted +lag \d+ ms {2}seq \d+$/;

Deno.test("deno task run --config runs every clock of the file in one process, each event in its own stream", async () => {
  await using server = await startNatsServer();
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      // The file's server is a closed port: --server wins over it.
      server: "nats://127.0.0.1:1",
      clocks: [
        { event: "half-second", period: 0.5, meta: { team: "ops" } },
        { event: "every-second", cron: "* * * * * *", timezone: "Europe/Berlin" },
      ],
    }),
  );
  const { child, lines, stderr } = spawnCli(["--config", path, "--server", server.url]);
  const seen = await readUntil(lines, /^every-second {2}.* emitted /, 2);
  child.kill("SIGTERM");
  const after = await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  const output = seen.join("\n");
  assert.match(output, /Clock 'half-second' every 0\.5 s on nats:\/\/127\.0\.0\.1:\d+;/);
  assert.match(output, /Clock 'every-second' '\* \* \* \* \* \*' in Europe\/Berlin on /);
  assert.ok(after.includes("Stopped."), after.join("\n"));
  for (const event of ["half-second", "every-second"]) {
    const printed = [...seen, ...after].flatMap((line) => {
      const match = EVENT_TICK_LINE.exec(line);
      return match?.[1] === event ? [match[2]] : [];
    });
    const stored = (await readStream(server.url, event)).map((message) => message.payload);
    assert.ok(printed.length >= 1, `${event}: no tick printed\n${output}`);
    assert.equal(new Set(stored).size, stored.length, `${event}: a tick stored twice`);
    for (const tick of printed) assert.ok(stored.includes(tick!), `${event}: printed ${tick} as emitted, not stored`);
  }
  const [half] = await readStream(server.url, "half-second");
  assert.equal(half?.headers.team, "ops");
});
