/**
 * The clock command's metrics, health checks, JSON log and shutdown on a real
 * nats-server that goes down and comes back.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { Event, Schedules } from "../../mod.ts";
import { readUntil, rest, spawnCli } from "../_cli.ts";
import { waitUntil } from "../_wait.ts";

/** The status code of GET `path`. */
async function statusOf(base: string, path: string): Promise<number> {
  const response = await fetch(new URL(path, base));
  await response.body?.cancel();
  return response.status;
}

/** GET `path`: its status code and body. */
async function get(base: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL(path, base));
  return { status: response.status, body: await response.text() };
}

/** The value of one sample of the metrics, or undefined. */
async function sample(base: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(new URL("/metrics", base))).text();
  const line = text.split("\n").find((line) => line.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** The metric families `/metrics` lists (its `# TYPE` lines), sorted. */
async function families(base: string): Promise<string[]> {
  const text = await (await fetch(new URL("/metrics", base))).text();
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!).toSorted();
}

Deno.test("deno task run --http: /readyz 503 while nats-server is down, 200 once back; JSON log lines; SIGTERM exits 0", async () => {
  await using server = await startNatsServer();
  const args = ["--server", server.url, "--period", "0.5", "--event", "cli-http", "--log-format", "json"];
  const { child, lines, stderr } = spawnCli([...args, "--http", "127.0.0.1:0"]);
  const log: string[] = [];
  const readTo = async (pattern: RegExp) => void log.push(...await readUntil(lines, pattern, 1));

  await readTo(/"outcome":"emitted"/);
  const base: string = log.map((line) => JSON.parse(line)).find((line) => line.url !== undefined)?.url;
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  /** The codes of /healthz and /readyz at each probe. */
  const codes: Record<string, number[]> = { healthz: [], readyz: [] };
  const probe = async () => {
    codes.healthz!.push(await statusOf(base, "/healthz"));
    codes.readyz!.push(await statusOf(base, "/readyz"));
  };
  await waitUntil(async () => await statusOf(base, "/readyz") === 200, { what: "/readyz 200" });
  await probe();
  const metrics = await (await fetch(new URL("/metrics", base))).text();
  assert.match(metrics, /^walnats_ticks_total\{event="cli-http",outcome="emitted"\} [1-9]/m);
  assert.match(metrics, /^walnats_last_tick_timestamp_seconds\{event="cli-http"\} \d+/m);
  assert.equal(await sample(base, 'walnats_connected{connection="clocks"}'), 1);
  // A clock worker serves its ticks and its connection: no family of fires, schedule changes or jobs.
  assert.deepEqual(await families(base), [
    "walnats_connected",
    "walnats_last_tick_timestamp_seconds",
    "walnats_publish_attempts_total",
    "walnats_reconnects_total",
    "walnats_tick_lag_seconds",
    "walnats_ticks_missed_total",
    "walnats_ticks_total",
  ]);

  server.kill("SIGTERM");
  await waitUntil(async () => await statusOf(base, "/readyz") === 503, { what: "/readyz 503 with the server down" });
  await probe();
  await readTo(/"outcome":"missed"/);
  assert.equal(await sample(base, 'walnats_connected{connection="clocks"}'), 0);

  await server.restart();
  await waitUntil(async () => await statusOf(base, "/readyz") === 200, { what: "/readyz 200 with the server back" });
  await probe();
  await readTo(/"msg":"connection restored"/);
  await readTo(/"outcome":"emitted"/);
  assert.equal(await sample(base, 'walnats_connected{connection="clocks"}'), 1);
  assert.equal(await sample(base, 'walnats_reconnects_total{connection="clocks"}'), 1);
  assert.ok((await sample(base, 'walnats_ticks_missed_total{event="cli-http",reason="unacknowledged"}'))! >= 1);

  child.kill("SIGTERM");
  log.push(...await rest(lines));
  assert.equal((await child.status).code, 0, await stderr);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(base).port) }),
    Deno.errors.ConnectionRefused,
  );

  assert.deepEqual(codes, { healthz: [200, 200, 200], readyz: [200, 503, 200] });
  const entries = log.map((line) => JSON.parse(line));
  assert.deepEqual(
    entries.filter((entry) => entry.msg.startsWith("connection")).map((entry) => [entry.level, entry.msg]),
    [
      ["warn", "connection lost"],
      ["info", "connection restored"],
    ],
  );
  const missed = entries.filter((entry) => entry.outcome === "missed");
  assert.ok(missed.length >= 1);
  for (const entry of missed) {
    assert.equal(entry.level, "warn");
    assert.equal(typeof entry.error?.message, "string", JSON.stringify(entry));
  }
  assert.equal(entries.at(-1)?.msg, "Stopped.");
});

Deno.test("deno task run --config: the file's http and logFormat are used, and --log-format wins over the file", async () => {
  await using server = await startNatsServer();
  const path = await Deno.makeTempFile({ suffix: ".json" });
  const config = {
    server: server.url,
    http: "127.0.0.1:0",
    logFormat: "json",
    clocks: [{ event: "cli-file-http", period: 0.5 }],
  };
  await Deno.writeTextFile(path, JSON.stringify(config));
  const { child, lines, stderr } = spawnCli(["--config", path, "--log-format", "text"]);
  const before = await readUntil(lines, /emitted/, 1);
  const base = before.join("\n").match(/Metrics and health checks on (http:\/\/\S+):/)?.[1];
  assert.ok(base !== undefined, before.join("\n"));
  assert.equal(await statusOf(base, "/healthz"), 200);
  child.kill("SIGTERM");
  const after = await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  assert.deepEqual([...before, ...after].filter((line) => line.startsWith("{")), []);
});

Deno.test("deno task run --schedules --http: fires and applied changes in /metrics, /readyz follows the server, SIGTERM exits 0", async () => {
  await using server = await startNatsServer();
  const event = new Event("cli-http-fires", Object);
  await using schedules = await new Schedules(event).connect({ servers: server.url });
  await schedules.register();
  await schedules.upsert("twice-a-second", { event, period: 0.5, value: {} });
  const args = ["--schedules", "--server", server.url, "--http", "127.0.0.1:0", "--log-format", "json"];
  const { child, lines, stderr } = spawnCli(args, { NATS_URL: "" });
  const log = await readUntil(lines, /"outcome":"emitted"/, 1);
  const base: string = log.map((line) => JSON.parse(line)).find((line) => line.url !== undefined)?.url;
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  await waitUntil(async () => await statusOf(base, "/readyz") === 200, { what: "/readyz 200" });
  assert.equal(await statusOf(base, "/healthz"), 200);
  const fires = 'walnats_fires_total{event="cli-http-fires",schedule="twice-a-second",outcome="emitted"}';
  assert.ok((await sample(base, fires))! >= 1);
  assert.equal(await sample(base, 'walnats_schedule_changes_total{kind="put"}'), 1);
  assert.equal(await sample(base, 'walnats_connected{connection="schedules"}'), 1);
  const metrics = await (await fetch(new URL("/metrics", base))).text();
  assert.match(metrics, /^walnats_fire_lag_seconds_count\{event="cli-http-fires"\} [1-9]/m);
  // A schedules worker serves its fires, its changes, its buckets' losses and its connection: no family of clock
  // ticks or jobs.
  assert.deepEqual(await families(base), [
    "walnats_connected",
    "walnats_fire_lag_seconds",
    "walnats_fires_late_total",
    "walnats_fires_missed_total",
    "walnats_fires_total",
    "walnats_internal_recreated_total",
    "walnats_last_tick_timestamp_seconds",
    "walnats_publish_attempts_total",
    "walnats_reconnects_total",
    "walnats_resource_missing_total",
    "walnats_schedule_changes_total",
  ]);

  await schedules.pause("twice-a-second");
  await waitUntil(async () => await sample(base, 'walnats_schedule_changes_total{kind="put"}') === 2, {
    what: "the pause applied",
  });
  await schedules.delete("twice-a-second");
  await waitUntil(async () => await sample(base, 'walnats_schedule_changes_total{kind="delete"}') === 1, {
    what: "the delete applied",
  });

  server.kill("SIGTERM");
  await waitUntil(async () => await statusOf(base, "/readyz") === 503, { what: "/readyz 503 with the server down" });
  assert.equal(await statusOf(base, "/healthz"), 200);
  assert.equal(await sample(base, 'walnats_connected{connection="schedules"}'), 0);
  await server.restart();
  await waitUntil(async () => await statusOf(base, "/readyz") === 200, { what: "/readyz 200 with the server back" });
  assert.equal(await sample(base, 'walnats_reconnects_total{connection="schedules"}'), 1);

  child.kill("SIGTERM");
  const after = await rest(lines);
  assert.equal((await child.status).code, 0, await stderr);
  assert.equal(JSON.parse(after.at(-1)!).msg, "Stopped.");
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(base).port) }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("deno task run --schedules --http: the schedules' bucket deleted in use makes /readyz 503 naming it, a missing count and an error line with the code, until register()", async () => {
  await using server = await startNatsServer();
  const event = new Event("cli-http-gone", Object);
  await using schedules = await new Schedules(event).connect({ servers: server.url });
  await schedules.register();
  await schedules.upsert("every-second", { event, period: 1, value: {} });
  const args = ["--schedules", "--server", server.url, "--http", "127.0.0.1:0", "--log-format", "json"];
  const { child, lines, stderr } = spawnCli(args, { NATS_URL: "" });
  const log = await readUntil(lines, /"outcome":"emitted"/, 1);
  const base: string = log.map((line) => JSON.parse(line)).find((line) => line.url !== undefined)?.url;
  await waitUntil(async () => (await get(base, "/readyz")).status === 200, { what: "/readyz 200" });

  const nc = await connect({ servers: server.url });
  try {
    await (await jetstreamManager(nc)).streams.delete("KV_walnats-schedules");
  } finally {
    await nc.close();
  }
  const missing = 'walnats_resource_missing_total{resource="KV_walnats-schedules"}';
  await waitUntil(async () => (await sample(base, missing) ?? 0) >= 1, { what: "the bucket counted missing" });
  const readyz = await get(base, "/readyz");
  assert.equal(readyz.status, 503, readyz.body);
  assert.match(readyz.body, /walnats-schedules/);
  await schedules.register();
  await waitUntil(async () => (await get(base, "/readyz")).status === 200, { what: "/readyz 200 after register()" });

  child.kill("SIGTERM");
  await rest(lines);
  const errors = await stderr;
  assert.equal((await child.status).code, 0, errors);
  // Error lines go to stderr: the first of those said while the bucket was missing.
  const said = errors.split("\n").filter((line) => line.includes("No schedule fires")).map((line) => JSON.parse(line));
  assert.ok(said.length >= 1, errors);
  assert.deepEqual([said[0].level, said[0].code, said[0].resource], [
    "error",
    "STREAM_NOT_FOUND",
    "KV_walnats-schedules",
  ]);
});
