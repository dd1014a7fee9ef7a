/** The worker's configuration file (cli/_config.ts), read and checked with no server. */
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { readConfig } from "../../cli/_config.ts";
import schema from "../../cli/walnats.schema.json" with { type: "json" };
import { runToEnd } from "../_cli.ts";

const EXAMPLE = new URL("../../examples/walnats.json", import.meta.url).pathname;

/** Writes `content` (JSON unless a string) to a temp file and returns its path. */
async function configFile(content: unknown): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

Deno.test("examples/walnats.json follows cli/walnats.schema.json, checked by Ajv", async () => {
  const validate = new Ajv({ strict: true }).compile(schema);
  const example = JSON.parse(await Deno.readTextFile(EXAMPLE));
  assert.equal(validate(example), true, JSON.stringify(validate.errors));
  assert.equal(validate({ clocks: [{ event: "x", every: 5 }] }), false, "the schema refuses unknown fields");
});

Deno.test("readConfig() makes the clocks of examples/walnats.json with Clock's options", async () => {
  const config = await readConfig(EXAMPLE);
  assert.deepEqual(config.servers, ["nats://127.0.0.1:4222"]);
  assert.deepEqual(config.settings, {});
  const [minute, nightly, launch] = config.clocks;
  assert.equal(config.clocks.length, 3);
  assert.deepEqual([minute?.event.name, minute?.period, minute?.cron], ["minute-passed", 60, undefined]);
  assert.deepEqual(
    [nightly?.event.name, nightly?.cron, nightly?.timezone, nightly?.catchUp, nightly?.meta],
    ["nightly-berlin", "30 2 * * *", "Europe/Berlin", 1, { team: "ops" }],
  );
  assert.deepEqual(launch?.nextTicks(2, new Date("2026-11-01T00:00:00Z")).map((tick) => tick.toISOString()), [
    "2026-11-30T23:00:00.000Z", // startAt 2026-12-01T00:00:00+01:00
    "2026-12-01T00:00:00.000Z",
  ]);
  assert.equal(launch?.nextTicks(5, new Date("2026-12-07T22:00:00Z")).length, 2, "stopAt 2026-12-08T00:00:00Z ends it");
});

Deno.test("readConfig() gives a clock's event the replicas of its entry", async () => {
  const path = await configFile({ clocks: [{ event: "r3", replicas: 3 }, { event: "r1" }] });
  const config = await readConfig(path);
  assert.deepEqual(config.clocks.map((clock) => clock.event.limits.replicas), [3, undefined]);
});

Deno.test("readConfig() gives a cron clock the dst of its entry, and its ticks follow it", async () => {
  const path = await configFile({
    clocks: [{ event: "n", cron: "30 2 * * *", timezone: "Europe/Berlin", dst: { gap: "skip" } }],
  });
  const [clock] = (await readConfig(path)).clocks;
  assert.deepEqual(clock?.dst, { gap: "skip" });
  // 02:30 does not happen in Berlin on 2026-03-29: skipped that day.
  assert.deepEqual(clock?.nextTicks(1, new Date("2026-03-28T12:00:00Z")).map((tick) => tick.toISOString()), [
    "2026-03-30T00:30:00.000Z",
  ]);
});

Deno.test("readConfig() keeps the connection settings and a list of servers", async () => {
  const path = await configFile({
    server: ["nats://a:4222", "nats://b:4222"],
    user: "clock",
    password: "pw",
    tlsca: "/etc/nats/ca.pem",
    clocks: [{ event: "minute-passed" }],
  });
  const config = await readConfig(path);
  assert.deepEqual(config.servers, ["nats://a:4222", "nats://b:4222"]);
  assert.deepEqual(config.settings, { user: "clock", password: "pw", tlsca: "/etc/nats/ca.pem" });
  assert.equal(config.clocks[0]?.period, 60);
});

Deno.test("readConfig() reads http as an address and logFormat; neither is required", async () => {
  const config = await readConfig(
    await configFile({ http: "127.0.0.1:9464", logFormat: "json", clocks: [{ event: "minute-passed" }] }),
  );
  assert.deepEqual([config.http, config.logFormat], [{ hostname: "127.0.0.1", port: 9464 }, "json"]);
  const every = await readConfig(await configFile({ http: ":9464", clocks: [{ event: "minute-passed" }] }));
  assert.deepEqual(every.http, { hostname: "0.0.0.0", port: 9464 });
  const bare = await readConfig(await configFile({ clocks: [{ event: "minute-passed" }] }));
  assert.deepEqual([bare.http, bare.logFormat], [undefined, undefined]);
});

Deno.test("README's Deploy configuration follows the schema: creds, http and logFormat beside two clocks", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const block = /```json\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Deploy")))?.[1];
  assert.ok(block !== undefined);
  const config = await readConfig(await configFile(block));
  assert.deepEqual([config.http, config.logFormat], [{ hostname: "0.0.0.0", port: 9464 }, "json"]);
  assert.deepEqual(config.settings, { creds: "/run/secrets/clock.creds", tlsca: "/etc/nats/ca.pem" });
  assert.deepEqual(config.clocks.map((clock) => clock.event.name), ["minute-passed", "nightly-berlin"]);
});

/** Bad files, each with the error class and the parts its message must name besides the path. */
const BAD: [string, unknown, typeof TypeError | typeof RangeError, RegExp][] = [
  ["not JSON", "{ clocks: [", TypeError, /: not JSON: /],
  ["no clocks", {}, TypeError, /: the top level: 'clocks' is missing$/],
  [
    "an unknown top-level field",
    { clocks: [{ event: "a" }], metrics: "x" },
    TypeError,
    /: the top level: unknown field 'metrics'$/,
  ],
  [
    "an unknown clock field",
    { clocks: [{ event: "a" }, { event: "b", every: 5 }] },
    TypeError,
    /: clocks\[1\]: unknown field 'every'$/,
  ],
  ["a clock without event", { clocks: [{ period: 5 }] }, TypeError, /: clocks\[0\]: 'event' is missing$/],
  [
    "a negative period",
    { clocks: [{ event: "a", period: -5 }] },
    TypeError,
    /: clocks\[0\]\.period: must be > 0, got -5$/,
  ],
  [
    "a period as text",
    { clocks: [{ event: "a", period: "5" }] },
    TypeError,
    /: clocks\[0\]\.period: must be a number, got '5'$/,
  ],
  [
    "replicas 6",
    { clocks: [{ event: "a", replicas: 6 }] },
    TypeError,
    /: clocks\[0\]\.replicas: must be <= 5, got 6$/,
  ],
  [
    "a fractional catchUp",
    { clocks: [{ event: "a", catchUp: 1.5 }] },
    TypeError,
    /: clocks\[0\]\.catchUp: must be an integer, got 1\.5$/,
  ],
  [
    "a startAt without offset",
    { clocks: [{ event: "a", startAt: "2026-12-01T00:00:00" }] },
    RangeError,
    /: clocks\[0\] \(event 'a'\): 'startAt' must say its offset, got '2026-12-01T00:00:00': add Z for UTC or the zone's offset/,
  ],
  [
    "a stopAt that is no instant",
    { clocks: [{ event: "a", stopAt: "soon" }] },
    RangeError,
    /: clocks\[0\] \(event 'a'\): 'stopAt' must be an ISO 8601 instant with Z or an offset \(e\.g\. .*\), got 'soon'$/,
  ],
  [
    "a server that is a number",
    { server: 4222, clocks: [{ event: "a" }] },
    TypeError,
    /: server: must be a string or an array, got 4222$/,
  ],
  [
    "a list of servers holding a number",
    { server: ["nats://a:4222", 4222], clocks: [{ event: "a" }] },
    TypeError,
    /: server\[1\]: must be a string, got 4222$/,
  ],
  ["clocks that are no list", { clocks: { event: "a" } }, TypeError, /: clocks: must be an array, got an object$/],
  ["a file that is a list", [{ clocks: [] }], TypeError, /: the top level: must be an object, got an array$/],
  [
    "a meta value that is not text",
    { clocks: [{ event: "a", meta: { team: 1 } }] },
    TypeError,
    /: clocks\[0\]\.meta\.team: must be a string, got 1$/,
  ],
  [
    "period and cron",
    { clocks: [{ event: "a", period: 5, cron: "* * * * *" }] },
    TypeError,
    /: clocks\[0\] \(event 'a'\): give either 'period' or 'cron', not both$/,
  ],
  [
    "an unknown time zone",
    { clocks: [{ event: "a" }, { event: "b", cron: "0 9 * * *", timezone: "Mars/Olympus" }] },
    RangeError,
    /: clocks\[1\] \(event 'b'\): 'timezone' is not a known IANA time zone, got 'Mars\/Olympus'$/,
  ],
  [
    "a dst policy on a periodic clock",
    { clocks: [{ event: "a", period: 5, dst: { gap: "skip" } }] },
    RangeError,
    /: clocks\[0\] \(event 'a'\): 'dst' goes with 'cron', got dst \{"gap":"skip"\} with a period$/,
  ],
  [
    "an unknown dst choice",
    { clocks: [{ event: "a", cron: "30 2 * * *", dst: { repeat: "twice" } }] },
    TypeError,
    /: clocks\[0\]\.dst\.repeat: must be one of .*got 'twice'/,
  ],
  [
    "a bad cron",
    { clocks: [{ event: "a", cron: "61 * * * *" }] },
    TypeError,
    /: clocks\[0\] \(event 'a'\): 'cron' is not a valid cron expression, got '61 \* \* \* \*'/,
  ],
  [
    "a meta header the library reserves",
    { clocks: [{ event: "a", meta: { "Nats-Msg-Id": "x" } }] },
    TypeError,
    /: clocks\[0\] \(event 'a'\): .*Nats-Msg-Id/,
  ],
  ["a bad event name", { clocks: [{ event: "a b" }] }, TypeError, /: clocks\[0\] \(event 'a b'\): .*'a b'/],
  [
    "stopAt before startAt",
    { clocks: [{ event: "a", startAt: "2026-12-02T00:00:00Z", stopAt: "2026-12-01T00:00:00Z" }] },
    RangeError,
    /: clocks\[0\] \(event 'a'\): 'stopAt' .* is before 'startAt'/,
  ],
  [
    "an http that is not HOST:PORT",
    { http: "9464", clocks: [{ event: "a" }] },
    TypeError,
    /: 'http' must be HOST:PORT, e\.g\. 127\.0\.0\.1:9464 or :9464 for every interface, got '9464'$/,
  ],
  [
    "an unknown logFormat",
    { logFormat: "yaml", clocks: [{ event: "a" }] },
    TypeError,
    /: logFormat: must be one of 'text', 'json', got 'yaml'$/,
  ],
  [
    "two clocks of one stream",
    { clocks: [{ event: "a.b" }, { event: "a-b", period: 5 }] },
    TypeError,
    /: clocks\[1\] \(event 'a-b'\): stream 'a-b' is emitted by clocks\[0\] already/,
  ],
];

for (const [what, content, errorClass, pattern] of BAD) {
  Deno.test(`readConfig() refuses ${what}, naming the path, the entry and the field`, async () => {
    const path = await configFile(content);
    await assert.rejects(readConfig(path), (error: unknown) => {
      assert.ok(error instanceof errorClass, `${what}: ${error}`);
      assert.ok(error.message.startsWith(`Cannot read config ${path}: `), error.message);
      assert.match(error.message, pattern);
      return true;
    });
  });
}

Deno.test("readConfig() names the kind of a password or token of the wrong type, never its value", async () => {
  for (const field of ["password", "token"]) {
    const path = await configFile({ user: "clock", [field]: 98765432, clocks: [{ event: "a" }] });
    await assert.rejects(readConfig(path), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.ok(error.message.endsWith(`: ${field}: must be a string, got a number`), error.message);
      assert.doesNotMatch(error.message, /98765432/);
      return true;
    });
  }
});

Deno.test("readConfig() reads startAt and stopAt with Z or an offset as those instants", async () => {
  const path = await configFile({
    clocks: [{ event: "a", period: 3600, startAt: "2026-12-07T12:00:00+01:00", stopAt: "2026-12-07T13:00:00Z" }],
  });
  const [clock] = (await readConfig(path)).clocks;
  assert.deepEqual(clock?.nextTicks(5, new Date("2026-12-07T00:00:00Z")).map((tick) => tick.toISOString()), [
    "2026-12-07T11:00:00.000Z",
    "2026-12-07T12:00:00.000Z",
    "2026-12-07T13:00:00.000Z",
  ]);
});

Deno.test("readConfig() refuses a missing file, naming its path", async () => {
  const path = `${await Deno.makeTempDir()}/missing.json`;
  await assert.rejects(
    readConfig(path),
    (error: unknown) => error instanceof TypeError && error.message.includes(path),
  );
});

Deno.test("deno task run --config exits 2 on a bad file before it connects, with the error line and no usage", async () => {
  const path = await configFile({ clocks: [{ event: "a", period: -5 }] });
  // The server's port is closed: a command that tried to connect first would exit 1, not 2.
  const { code, err } = await runToEnd(["--config", path, "--server", "nats://127.0.0.1:1"]);
  assert.equal(code, 2);
  assert.equal(err, `Cannot read config ${path}: clocks[0].period: must be > 0, got -5\nSee 'deno task run --help'.\n`);
});

Deno.test("deno task run --config refuses the clock flags beside it", async () => {
  const { code, err } = await runToEnd(["--config", EXAMPLE, "--period", "5"]);
  assert.equal(code, 2);
  assert.match(err, /--period does not go with --config/);
});

Deno.test("deno task run --config: connection settings in the file need a server like the flags do", async () => {
  const path = await configFile({ user: "clock", password: "pw", clocks: [{ event: "a" }] });
  const { code, err } = await runToEnd(["--config", path], { NATS_URL: "" });
  assert.equal(code, 2);
  assert.ok(err.includes(`'user' in ${path} needs --server or NATS_URL`), err);
  assert.ok(!err.includes("pw"));
});
