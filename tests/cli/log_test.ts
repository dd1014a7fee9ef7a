/** The clock command's log lines (cli/_log.ts): text, JSON, levels, and secrets hidden in both. */
import assert from "node:assert/strict";
import { Log } from "../../cli/_log.ts";
import { ErrorCode, type TickReport, WalnatsError } from "../../mod.ts";

const T0 = 1_795_709_700_000; // 2026-11-26T16:15:00Z

/** A log writing into arrays. */
function capture(format: "text" | "json", secrets: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const log = new Log(format, { out: (line) => out.push(line), err: (line) => err.push(line) }).hiding(secrets);
  return { log, out, err };
}

const EMITTED: TickReport = {
  event: "minute-passed",
  tick: new Date(T0),
  outcome: "emitted",
  lagMs: 3,
  seq: 7,
  attempts: 1,
};
const MISSED: TickReport = {
  event: "minute-passed",
  tick: new Date(T0 + 60_000),
  outcome: "missed",
  lagMs: 60_000,
  attempts: 5,
  reason: "unacknowledged",
  error: new WalnatsError(ErrorCode.RequestFailed, "Cannot publish: timeout"),
};

Deno.test("Log text: today's tick line, with the event's name when several clocks run", () => {
  const { log, out } = capture("text");
  log.tick(EMITTED, false);
  log.tick(MISSED, true);
  assert.deepEqual(out, [
    "2026-11-26T16:15:00.000+00:00  emitted    lag 3 ms  seq 7",
    "minute-passed  2026-11-26T16:16:00.000+00:00  missed     lag 60000 ms  (unacknowledged: Cannot publish: timeout)",
  ]);
});

Deno.test("Log json: one object per line with the report's fields, level warn for a missed tick", () => {
  const { log, out } = capture("json");
  log.tick(EMITTED, true);
  log.tick({ ...MISSED, late: true }, true);
  const [emitted, missed] = out.map((line) => JSON.parse(line));
  assert.match(emitted.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual({ ...emitted, time: "" }, {
    time: "",
    level: "info",
    msg: "tick",
    event: "minute-passed",
    outcome: "emitted",
    tick: "2026-11-26T16:15:00.000+00:00",
    lagMs: 3,
    seq: 7,
    attempts: 1,
  });
  assert.deepEqual({ ...missed, time: "" }, {
    time: "",
    level: "warn",
    msg: "tick",
    event: "minute-passed",
    outcome: "missed",
    tick: "2026-11-26T16:16:00.000+00:00",
    lagMs: 60_000,
    attempts: 5,
    reason: "unacknowledged",
    late: true,
    error: { code: "REQUEST_FAILED", message: "Cannot publish: timeout" },
  });
});

Deno.test("Log: a lost connection is a warning, a restored one information, in both formats", () => {
  const text = capture("text");
  const json = capture("json");
  for (const { log } of [text, json]) {
    log.connection({ type: "disconnected", server: "127.0.0.1:4222" });
    log.connection({ type: "reconnected", server: "127.0.0.1:4222" });
  }
  assert.deepEqual(text.out, [
    "Connection to 127.0.0.1:4222 lost; reconnecting.",
    "Connection to 127.0.0.1:4222 restored.",
  ]);
  assert.deepEqual(json.out.map((line) => JSON.parse(line)).map(({ level, msg, server }) => [level, msg, server]), [
    ["warn", "connection lost", "127.0.0.1:4222"],
    ["info", "connection restored", "127.0.0.1:4222"],
  ]);
});

Deno.test("Log: errors go to standard error, with their fields in JSON", () => {
  const { log, out, err } = capture("json");
  log.error("Cannot connect", { code: "CONNECTION_FAILED" });
  assert.deepEqual(out, []);
  assert.deepEqual(err.map((line) => JSON.parse(line)).map(({ level, msg, code }) => [level, msg, code]), [
    ["error", "Cannot connect", "CONNECTION_FAILED"],
  ]);
});

Deno.test("Log hides secrets in every line, also where JSON escapes them", () => {
  const secret = 'pa"ss\\word';
  for (const format of ["text", "json"] as const) {
    const { log, out, err } = capture(format, [secret]);
    log.info(`started with ${secret}`, { note: secret });
    log.error(`failed with ${secret}`);
    log.tick({ ...MISSED, error: new Error(`refused ${secret}`) }, false);
    const lines = [...out, ...err];
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.ok(!line.includes("ss\\word") && !line.includes("ss\\\\word"), line);
      assert.ok(line.includes("***"), line);
    }
  }
  assert.equal(capture("text", [secret]).log.redact(`reason: ${secret}`), "reason: ***");
});
