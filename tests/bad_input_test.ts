/**
 * Bad input across the public API, without a server: every call throws at
 * once, with the built-in error class (or a `WalnatsError` with its code)
 * and a message that names the argument and the value, and never a secret.
 * The command's flags exit 2 with such a message. The cases that need a
 * server are in tests/nats/bad_input_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { main } from "../cli/main.ts";
import { Actor, Actors, Clock, ErrorCode, Event, Events, filterTime, WalnatsError } from "../mod.ts";
import type { TimeFilter } from "../mod.ts";
import { FakeTime, MemoryServer } from "../testing/mod.ts";
import { assertBadInput, type BadInput } from "./_bad_input.ts";

// The cases pass what the types forbid: that is the point.
// deno-lint-ignore no-explicit-any
type Any = any;

const tick = new Event("bad-input-tick", Date);
const job = new Event("bad-input.job", Object);
const handler = () => {};
const local = "nats://127.0.0.1:4222";

/** Connects `events` to a fresh in-memory server on fake time, calls `use`, and closes. */
async function onMemory(use: (conn: Awaited<ReturnType<Events["connect"]>>) => Promise<unknown>, register = true) {
  using time = new FakeTime("2026-11-29T12:00:00Z");
  await using conn = await new Events(tick, job).connect(new MemoryServer(time));
  if (register) await conn.register();
  await use(conn);
}

/** Registers an actor on an in-memory server and listens with `options`. */
async function listenOnMemory(options: unknown) {
  using time = new FakeTime("2026-11-29T12:00:00Z");
  const server = new MemoryServer(time);
  await using events = await new Events(job).connect(server);
  await events.register();
  await using actors = await new Actors(new Actor("worker", job, handler)).connect(server);
  await actors.register();
  await actors.listen(options as Any);
}

const cases: BadInput[] = [
  // Event: name, schema, limits
  ...([
    ["", /'name' must not be empty, got ''/],
    ["minute passed", /'name' must not contain white space.*got 'minute passed'/],
    ["orders.*", /'name' must not contain .*'\*'.*got 'orders\.\*'/],
    ["$SYS.tick", /'name' must not start with '\$'.*got '\$SYS\.tick'/],
    ["orders..placed", /'name' must not start or end with '\.' nor contain '\.\.'.*got 'orders\.\.placed'/],
    [42, /'name' must be a string, got 42/],
  ] as const).map(([name, message]): BadInput => ({
    api: "Event",
    call: `new Event(${JSON.stringify(name)}, Date)`,
    run: () => new Event(name as Any, Date),
    error: TypeError,
    message,
  })),
  {
    api: "Event",
    call: 'new Event("x", "json")',
    run: () => new Event("x", "json" as Any),
    error: TypeError,
    message: /'schema' must be .*got 'json'/,
  },
  ...([
    [{ age: -1 }, /'limits\.age' must be a positive number of seconds.*got -1/],
    [{ messages: 1.5 }, /'limits\.messages' must be a positive integer, got 1\.5/],
    [{ replicas: 6 }, /'limits\.replicas' must be an integer from 1 to 5, got 6/],
    [{ duplicateWindow: 0.05 }, /'limits\.duplicateWindow' must be at least 0\.1 seconds.*got 0\.05/],
    [
      { age: 60, duplicateWindow: 120 },
      /'limits\.duplicateWindow' must not be longer than 'limits\.age' \(60 s\), got 120/,
    ],
    [{ bytes: "1MB" }, /'limits\.bytes' must be a positive integer, got '1MB'/],
  ] as const).map(([limits, message]): BadInput => ({
    api: "Event",
    call: `new Event("x", Date, { limits: ${JSON.stringify(limits)} })`,
    run: () => new Event("x", Date, { limits: limits as Any }),
    error: RangeError,
    message,
  })),

  // Events: the events, and connect's target and options (checked before any socket is opened)
  {
    api: "Events",
    call: 'new Events("minute-passed")',
    run: () => new Events("minute-passed" as Any),
    error: TypeError,
    message: /argument 1 must be an Event, got 'minute-passed'/,
  },
  {
    api: "Events",
    call: 'new Events(new Event("a.b"), new Event("a-b"))',
    run: () => new Events(new Event("a.b", Date), new Event("a-b", Date)),
    error: TypeError,
    message: /events 'a\.b' and 'a-b' share stream 'a-b'/,
  },
  ...([
    ["5", 5, TypeError, /'target' must be .*got 5/],
    ["null", null, TypeError, /'target' must be .*got null/],
    [
      '"nats://clock:s3cret@127.0.0.1:4222"',
      "nats://clock:s3cret@127.0.0.1:4222",
      TypeError,
      /'target' must be .*got 'nats:\/\/127\.0\.0\.1:4222'/,
    ],
    [
      "{ servers: [] }",
      { servers: [] },
      TypeError,
      /'servers' must be a URL or a non-empty list of URLs, got an empty list/,
    ],
    [
      "{ servers: 4222 }",
      { servers: 4222 },
      TypeError,
      /'servers' must be a URL or a non-empty list of URLs, got 4222/,
    ],
    ["{ servers: [local, 4223] }", { servers: [local, 4223] }, TypeError, /'servers' entry 2 must be a URL, got 4223/],
    [
      "{ servers, timeoutMs: 0 }",
      { servers: local, timeoutMs: 0 },
      RangeError,
      /'timeoutMs' must be a positive number of milliseconds, got 0/,
    ],
    ['{ servers, timeoutMs: "5s" }', { servers: local, timeoutMs: "5s" }, RangeError, /'timeoutMs' .*got '5s'/],
    [
      '{ servers, user: "clock" }',
      { servers: local, user: "clock" },
      TypeError,
      /'user' and 'pass' go together, got only 'user'/,
    ],
    [
      '{ servers, user: "clock", pass: 12345 }',
      { servers: local, user: "clock", pass: 12345 },
      TypeError,
      /'pass' must be a string, got number/,
      "12345",
    ],
    [
      '{ servers, user, pass, token: "t0ken" }',
      { servers: local, user: "clock", pass: "s3cret", token: "t0ken" },
      TypeError,
      /give one way to authenticate, got 'user' and 'pass' and 'token'/,
      "t0ken",
    ],
    [
      '{ servers, tls: "ca.pem" }',
      { servers: local, tls: "ca.pem" },
      TypeError,
      /'tls' must be an object of file paths, got 'ca\.pem'/,
    ],
    [
      '{ servers, tls: { certFile: "c.pem" } }',
      { servers: local, tls: { certFile: "c.pem" } },
      TypeError,
      /'tls\.certFile' and 'tls\.keyFile' go together, got only 'tls\.certFile'/,
    ],
    [
      "{ servers, tls: { caFile: 5 } }",
      { servers: local, tls: { caFile: 5 } },
      TypeError,
      /'tls\.caFile' must be a string, got 5/,
    ],
  ] as const).map(([shown, target, error, message, hides]): BadInput => ({
    api: "Events.connect",
    call: `new Events(tick).connect(${shown})`,
    run: () => new Events(tick).connect(target as Any),
    error,
    message,
    ...(hides === undefined ? {} : { hides }),
  })),
  {
    api: "Events.connect",
    call: 'new Events(tick).connect({ credsFile: "missing.creds" })',
    run: () => new Events(tick).connect({ servers: local, credsFile: "/nonexistent/missing.creds" }),
    error: WalnatsError,
    code: ErrorCode.ConnectionFailed,
    message: /\/nonexistent\/missing\.creds/,
  },

  // emit, on the in-memory server (the same checks run before any publish on a real one)
  ...([
    ["null", null, TypeError, /'options' must be an object, got null/],
    ['{ uid: "" }', { uid: "" }, TypeError, /'uid' must be a non-empty string, got ""/],
    ["{ uid: 5 }", { uid: 5 }, TypeError, /'uid' must be a non-empty string, got 5/],
    ["{ delay: -1 }", { delay: -1 }, RangeError, /'delay' must be a number of seconds >= 0, got -1/],
    ['{ delay: "1h" }', { delay: "1h" }, RangeError, /'delay' .*got "1h"/],
    ['{ at: "tomorrow" }', { at: "tomorrow" }, RangeError, /'at' must be a valid Date, got tomorrow/],
    ["{ delay: 1, at }", { delay: 1, at: new Date() }, TypeError, /either 'delay' or 'at', not both/],
    [
      '{ meta: { "Walnats-Tick": "1" } }',
      { meta: { "Walnats-Tick": "1" } },
      TypeError,
      /'meta' header name must not start with .*got 'Walnats-Tick'/,
    ],
    [
      '{ meta: { traceparent: "00-..." } }',
      { meta: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } },
      TypeError,
      /'meta' header name must not .*nor be 'traceparent' or 'tracestate', got 'traceparent'/,
    ],
    [
      '{ meta: { "my team": "ops" } }',
      { meta: { "my team": "ops" } },
      TypeError,
      /'meta' header name must be a token .*got 'my team'/,
    ],
    ["{ meta: { team: 5 } }", { meta: { team: 5 } }, TypeError, /'meta' value of 'team' must be a string .*got 5/],
  ] as const).map(([shown, options, error, message]): BadInput => ({
    api: "emit",
    call: `conn.emit(job, {}, ${shown})`,
    run: () => onMemory((conn) => conn.emit(job, {}, options as Any)),
    error,
    message,
  })),
  {
    api: "emit",
    call: 'conn.emit(tick, "yesterday")',
    run: () => onMemory((conn) => conn.emit(tick, "yesterday" as Any)),
    error: TypeError,
    message: /Cannot emit 'bad-input-tick': 'value' does not fit the event's schema.*'yesterday'/,
  },
  {
    api: "emit",
    call: 'conn.emit("bad-input-tick", new Date())',
    run: () => onMemory((conn) => conn.emit("bad-input-tick" as Any, new Date())),
    error: TypeError,
    message: /'event' must be an Event, got 'bad-input-tick'/,
  },
  {
    api: "emit",
    call: "conn.emit(job, {}) before register()",
    run: () => onMemory((conn) => conn.emit(job, {}), false),
    error: WalnatsError,
    code: ErrorCode.StreamNotFound,
    message: /Cannot emit 'bad-input\.job': no stream stores it/,
  },

  // Clock
  ...([
    [{ period: -5 }, RangeError, /'period' must be a positive number of seconds in whole milliseconds, got -5/],
    [{ period: 0.0001 }, RangeError, /'period' .*got 0\.0001/],
    [{ period: "60" }, RangeError, /'period' .*got '60'/],
    [{ period: 60, cron: "* * * * *" }, TypeError, /give either 'period' or 'cron', not both/],
    [{ cron: "every minute" }, TypeError, /'cron' is not a valid cron expression, got 'every minute'/],
    [{ cron: "0 0 30 2 *" }, RangeError, /'cron' never matches a date, got '0 0 30 2 \*'/],
    [
      { cron: "0 2 * * *", timezone: "Mars/Olympus" },
      RangeError,
      /'timezone' is not a known IANA time zone, got 'Mars\/Olympus'/,
    ],
    [{ timezone: "Europe/Berlin" }, TypeError, /'timezone' goes with 'cron', got timezone 'Europe\/Berlin' alone/],
    [
      { period: 60, dst: { gap: "skip" } },
      RangeError,
      /'dst' goes with 'cron', got dst \{"gap":"skip"\} with a period/,
    ],
    [
      { dst: { repeat: "last" } },
      RangeError,
      /'dst' goes with 'cron', got dst \{"repeat":"last"\} with a period/,
    ],
    [
      { cron: "30 2 * * *", dst: { gap: "later" } },
      RangeError,
      /'dst\.gap' must be 'shift' or 'skip', got 'later'/,
    ],
    [
      { cron: "30 2 * * *", dst: { repeat: "twice" } },
      RangeError,
      /'dst\.repeat' must be 'first', 'last' or 'both', got 'twice'/,
    ],
    [{ catchUp: -1 }, RangeError, /'catchUp' must be a whole number >= 0, got -1/],
    [{ catchUp: 1.5 }, RangeError, /'catchUp' .*got 1\.5/],
    [{ maxTicks: 0 }, RangeError, /'maxTicks' must be a whole number >= 1, got 0/],
    [{ startAt: new Date("not a date") }, RangeError, /'startAt' must be a valid Date, got Invalid Date/],
    [{ stopAt: "2026-12-01" }, RangeError, /'stopAt' must be a valid Date, got '2026-12-01'/],
    [
      { startAt: new Date("2026-12-01T00:00:00Z"), stopAt: new Date("2026-11-01T00:00:00Z") },
      RangeError,
      /'stopAt' \(2026-11-01T00:00:00\.000Z\) is before 'startAt' \(2026-12-01T00:00:00\.000Z\)/,
    ],
    [{ meta: { "Nats-Msg-Id": "x" } }, TypeError, /'meta' header name must not start with 'Nats-'.*got 'Nats-Msg-Id'/],
    [{ meta: "team=ops" }, TypeError, /'meta' must be an object of header names to strings, got 'team=ops'/],
    [{ event: job }, TypeError, /'event' must be an Event with the Date schema, got .*bad-input\.job/],
    [
      { event: new Event("short-lived", Date, { limits: { age: 30 } }), period: 60 },
      RangeError,
      /event 'short-lived' keeps messages for 30 s \('limits\.age'\), less than the period 60 s/,
    ],
  ] as const).map(([options, error, message]): BadInput => ({
    api: "Clock",
    call: `new Clock(${JSON.stringify(options, (_key, value) => value === null ? "Invalid Date" : value)})`,
    run: () => new Clock(options as Any),
    error,
    message,
  })),

  // Clock.nextTicks
  ...([
    [0, undefined, /'count' must be a whole number >= 1, got 0/],
    [2.5, undefined, /'count' .*got 2\.5/],
    [3, new Date(Number.NaN), /'from' must be a valid Date, got Invalid Date/],
    [3, "2026-11-29", /'from' must be a valid Date, got '2026-11-29'/],
  ] as const).map(([count, from, message]): BadInput => ({
    api: "Clock.nextTicks",
    call: `clock.nextTicks(${count}, ${from instanceof Date ? "Invalid Date" : JSON.stringify(from)})`,
    run: () => new Clock().nextTicks(count, from as Any),
    error: RangeError,
    message,
  })),

  // Actor
  ...([
    ["send email", job, handler, {}, TypeError, /'name' must be letters, digits, '-' and '_'.*got 'send email'/],
    ["", job, handler, {}, TypeError, /'name' .*got ''/],
    ["email", "bad-input.job", handler, {}, TypeError, /'event' must be an Event, got 'bad-input\.job'/],
    ["email", job, "handler", {}, TypeError, /'handler' must be a function, got 'handler'/],
    ["email", job, handler, { retryDelay: [] }, RangeError, /'retryDelay' must be seconds >= 0.*got \[\]/],
    ["email", job, handler, { retryDelay: [1, -1] }, RangeError, /'retryDelay' .*got \[1,-1\]/],
    ["email", job, handler, { ackWait: 0 }, RangeError, /'ackWait' must be a positive number of seconds, got 0/],
    [
      "email",
      job,
      handler,
      { jobTimeout: -1 },
      RangeError,
      /'jobTimeout' must be a positive number of seconds, got -1/,
    ],
    ["email", job, handler, { maxAttempts: 0 }, RangeError, /'maxAttempts' must be a whole number >= 1, got 0/],
    ["email", job, handler, { maxJobs: 1.5 }, RangeError, /'maxJobs' must be a whole number >= 1, got 1\.5/],
    [
      "email",
      job,
      handler,
      { overlap: "queue" },
      RangeError,
      /^Cannot create Actor: 'overlap' must be one of allow, skip, bufferOne, bufferAll, cancelOther, got 'queue'$/,
    ],
    ["email", job, handler, { overlapKey: "id" }, TypeError, /'overlapKey' must be a function, got 'id'/],
  ] as const).map(([name, event, fn, options, error, message]): BadInput => ({
    api: "Actor",
    call: `new Actor(${JSON.stringify(name)}, ${typeof event === "string" ? `"${event}"` : "job"}, ${
      typeof fn === "string" ? '"handler"' : "handler"
    }, ${JSON.stringify(options)})`,
    run: () => new Actor(name, event as Any, fn as Any, options as Any),
    error,
    message,
  })),

  // Actors and listen
  {
    api: "Actors",
    call: 'new Actors("email")',
    run: () => new Actors("email" as Any),
    error: TypeError,
    message: /argument 1 must be an Actor, got 'email'/,
  },
  {
    api: "Actors",
    call: 'new Actors(new Actor("email", job), new Actor("email", job))',
    run: () => new Actors(new Actor("email", job, handler), new Actor("email", job, () => {})),
    error: TypeError,
    message: /two actors named 'email' on event 'bad-input\.job'/,
  },
  ...([
    ['"stop"', "stop", /'options' must be an object, got 'stop'/],
    ['{ signal: "stop" }', { signal: "stop" }, /'signal' must be an AbortSignal, got 'stop'/],
    ['{ burst: "yes" }', { burst: "yes" }, /'burst' must be a boolean, got 'yes'/],
    ["{ onEvent: 5 }", { onEvent: 5 }, /'onEvent' must be a function, got 5/],
  ] as const).map(([shown, options, message]): BadInput => ({
    api: "Actors.listen",
    call: `actors.listen(${shown})`,
    run: () => listenOnMemory(options),
    error: TypeError,
    message,
  })),

  // filterTime
  ...([
    [null, handler, TypeError, /'filter' must be an object, got null/],
    [{ hours: 2 }, handler, TypeError, /'filter' has an unknown field 'hours'/],
    [{ hour: 2 }, undefined, TypeError, /'handler' must be a function, got undefined/],
    [{ timezone: 1 }, handler, TypeError, /'timezone' must be a string, got 1/],
    [{ timezone: "Berlin" }, handler, RangeError, /'timezone' is not a known IANA time zone, got 'Berlin'/],
    [{ hour: 24 }, handler, RangeError, /'hour' must be integers from 0 to 23, got 24/],
    [{ weekday: 8 }, handler, RangeError, /'weekday' must be integers from 0 to 7.*got 8/],
    [{ minute: [] }, handler, RangeError, /'minute' must be .*non-empty list of them, got \[\]/],
    [{ month: "1" }, handler, RangeError, /'month' must be integers from 1 to 12, got '1'/],
  ] as const).map(([filter, fn, error, message]): BadInput => ({
    api: "filterTime",
    call: `filterTime(${JSON.stringify(filter)}, ${fn === undefined ? "undefined" : "handler"})`,
    run: () => filterTime(filter as Any as TimeFilter, fn as Any),
    error,
    message,
  })),

  // FakeTime
  {
    api: "FakeTime",
    call: 'new FakeTime("not a date")',
    run: () => new FakeTime("not a date"),
    error: RangeError,
    message: /'start' must be a valid instant, got 'not a date'/,
  },
  {
    api: "FakeTime",
    call: "new FakeTime(NaN)",
    run: () => new FakeTime(Number.NaN),
    error: RangeError,
    message: /'start' must be a valid instant, got NaN/,
  },
  ...([
    ["tick", -1, /Cannot tick FakeTime: 'ms' must be a number of milliseconds >= 0, got -1/],
    ["tick", Infinity, /Cannot tick FakeTime: 'ms' .*got Infinity/],
    ["tickAsync", -5, /Cannot tickAsync FakeTime: 'ms' .*got -5/],
    ["setTime", "yesterday", /Cannot set FakeTime: 'instant' must be a valid instant, got 'yesterday'/],
    ["setTime", new Date(Number.NaN), /Cannot set FakeTime: 'instant' .*got Invalid Date/],
  ] as const).map(([method, value, message]): BadInput => ({
    api: "FakeTime",
    call: `time.${method}(${value instanceof Date ? "Invalid Date" : JSON.stringify(value) ?? String(value)})`,
    run: async () => {
      using time = new FakeTime(0);
      await (time[method] as (value: unknown) => unknown)(value);
    },
    error: RangeError,
    message,
  })),

  // MemoryServer
  {
    api: "MemoryServer",
    call: "new MemoryServer(5)",
    run: () => new MemoryServer(5 as Any),
    error: TypeError,
    message: /'time' must be a TimeSource .*got 5/,
  },
  {
    api: "MemoryServer",
    call: "new MemoryServer({ now: () => 0 })",
    run: () => new MemoryServer({ now: () => 0 } as Any),
    error: TypeError,
    message: /'time' must be a TimeSource .*got \{\}/,
  },
];

/** The command's bad flags: exit code 2, and a message naming the flag and the value. */
const badFlags: Array<{ args: string[]; message: RegExp; hides?: string }> = [
  { args: ["--period=-5"], message: /'period' .*got -5/ },
  { args: ["--period", "soon"], message: /--period must be a number, got 'soon'/ },
  { args: ["--catch-up", "all"], message: /--catch-up must be a number, got 'all'/ },
  { args: ["--catch-up=-1"], message: /'catchUp' must be a whole number >= 0, got -1/ },
  { args: ["--event", "minute passed"], message: /'name' must not contain white space.*got 'minute passed'/ },
  { args: ["--cron", "every night"], message: /'cron' is not a valid cron expression, got 'every night'/ },
  { args: ["--cron", "0 2 * * *", "--timezone", "Mars/Olympus"], message: /'timezone' .*got 'Mars\/Olympus'/ },
  { args: ["--meta", "team"], message: /--meta must be KEY=VALUE, got 'team'/ },
  { args: ["--replicas", "7"], message: /'limits\.replicas' must be an integer from 1 to 5, got 7/ },
  { args: ["--meta", "Nats-Msg-Id=x"], message: /'meta' header name must not start with .*got 'Nats-Msg-Id'/ },
  { args: ["--log-format", "xml"], message: /--log-format must be text or json, got 'xml'/ },
  { args: ["--http", "localhost"], message: /--http must be HOST:PORT.*got 'localhost'/ },
  { args: ["--tick-rate", "5"], message: /--tick-rate/ },
  { args: ["now"], message: /Unexpected argument 'now'/ },
  { args: ["--config", "walnats.json", "--period", "5"], message: /--period does not go with --config/ },
  {
    args: ["--server", "nats://127.0.0.1:4222", "--password", "hunter2"],
    message: /--password needs --user/,
    hides: "hunter2",
  },
  {
    args: ["--server", "nats://127.0.0.1:4222", "--user", "clock", "--password", "hunter2", "--token", "t0ken"],
    message: /Give one way to authenticate, got --user and --password and --token/,
    hides: "hunter2",
  },
];

Deno.test("bad input throws at once, with the built-in class and a message naming the argument and the value", async (t) => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
  for (const input of cases) {
    await t.step(`${input.api}: ${input.call}`, () => assertBadInput(input));
  }
});

Deno.test("main() exits 2 for a bad flag and says which flag and which value, never a secret", async (t) => {
  for (const { args, message, hides } of badFlags) {
    await t.step(`main(${JSON.stringify(args)})`, async () => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
      const written = err.join("\n");
      assert.equal(code, 2, written);
      assert.deepEqual(out, []);
      assert.match(written, message);
      assert.match(written, /\nSee 'deno task run --help'\.$/, "the error line, then where the usage is");
      assert.doesNotMatch(written, /Usage:/);
      if (hides !== undefined) assert.ok(!written.includes(hides), `${written} shows a secret`);
    });
  }
});
