/**
 * Bad input to schedules, on the in-memory server: every call throws with
 * the built-in error class (or `SCHEDULE_NOT_FOUND`) and a message naming
 * the argument and the value, and the stored schedules are the same after
 * it as before.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ErrorCode, Event, Schedules, type SchedulesConnection, WalnatsError } from "../../mod.ts";
import { FakeTime, MemoryServer } from "../../testing/mod.ts";
import { assertBadInput, type BadInput } from "../_bad_input.ts";

// The cases pass what the types forbid: that is the point.
// deno-lint-ignore no-explicit-any
type Any = any;

const reminder = new Event("reminder", Object);
const nightly = new Event("nightly", Date);
const strict = new Event("strict", {
  encode: (n: number) => {
    if (typeof n !== "number") throw new TypeError("not a number");
    return new Uint8Array([n]);
  },
  decode: (data) => data[0]!,
});
const stranger = new Event("stranger", Object);
const NOW = Date.parse("2026-12-01T12:00:00Z");

/** The calls made on a connection whose store holds the schedule `kept`. */
function cases(schedules: SchedulesConnection): BadInput[] {
  const upsert = (id: unknown, options: unknown): BadInput["run"] => () => schedules.upsert(id as Any, options as Any);
  const ok = { event: reminder, period: 60, value: {} };
  const row = (call: string, run: BadInput["run"], error: BadInput["error"], message: RegExp, code?: ErrorCode) => ({
    api: "Schedules",
    call,
    run,
    error,
    message,
    ...(code === undefined ? {} : { code }),
  });
  return [
    row("upsert('', ok)", upsert("", ok), TypeError, /'id' must be 1 to 128 letters.*got ''/),
    row("upsert('a.b', ok)", upsert("a.b", ok), TypeError, /'id' .*got 'a\.b'/),
    row("upsert('user 42', ok)", upsert("user 42", ok), TypeError, /'id' .*got 'user 42'/),
    row("upsert('x'.repeat(129), ok)", upsert("x".repeat(129), ok), TypeError, /'id' must be 1 to 128/),
    row("upsert(42, ok)", upsert(42, ok), TypeError, /'id' .*got 42/),
    row("upsert('kept', null)", upsert("kept", null), TypeError, /'options' must be an object, got null/),
    row(
      "upsert('kept', { event: stranger })",
      upsert("kept", { ...ok, event: stranger }),
      TypeError,
      /'event' must be one of the events given to Schedules.*got event 'stranger'/,
    ),
    row(
      "upsert('kept', { event: 'reminder' })",
      upsert("kept", { ...ok, event: "reminder" }),
      TypeError,
      /'event' .*got 'reminder'/,
    ),
    row(
      "upsert('kept', { period: 60, cron })",
      upsert("kept", { ...ok, cron: "* * * * *" }),
      TypeError,
      /exactly one of 'period', 'cron' and 'at', got 2/,
    ),
    row(
      "upsert('kept', { no schedule })",
      upsert("kept", { event: reminder, value: {} }),
      TypeError,
      /exactly one .* got 0/,
    ),
    row("upsert('kept', { period: -5 })", upsert("kept", { ...ok, period: -5 }), RangeError, /'period' .*got -5/),
    row(
      "upsert('kept', { period: 0.0005 })",
      upsert("kept", { ...ok, period: 0.0005 }),
      RangeError,
      /'period' .*got 0\.0005/,
    ),
    row(
      "upsert('kept', { cron: 'every night' })",
      upsert("kept", { event: reminder, cron: "every night", value: {} }),
      TypeError,
      /'cron' is not a valid cron expression, got 'every night'/,
    ),
    row(
      "upsert('kept', { timezone: 'Mars/Olympus' })",
      upsert("kept", { event: reminder, cron: "0 9 * * 1", timezone: "Mars/Olympus", value: {} }),
      RangeError,
      /'timezone' .*got 'Mars\/Olympus'/,
    ),
    row(
      "upsert('kept', { period, dst })",
      upsert("kept", { ...ok, dst: { gap: "skip" } }),
      RangeError,
      /'dst' goes with 'cron', got dst \{"gap":"skip"\} without one/,
    ),
    row(
      "upsert('kept', { at, dst })",
      upsert("kept", { event: reminder, at: new Date(NOW + 60_000), dst: { repeat: "last" }, value: {} }),
      RangeError,
      /'dst' goes with 'cron', got dst \{"repeat":"last"\} without one/,
    ),
    row(
      "upsert('kept', { cron, dst: { gap: 'later' } })",
      upsert("kept", { event: reminder, cron: "30 2 * * *", dst: { gap: "later" as "skip" }, value: {} }),
      RangeError,
      /'dst\.gap' must be 'shift' or 'skip', got 'later'/,
    ),
    row(
      "upsert('kept', { cron, dst: { repeat: 'twice' } })",
      upsert("kept", { event: reminder, cron: "30 2 * * *", dst: { repeat: "twice" as "both" }, value: {} }),
      RangeError,
      /'dst\.repeat' must be 'first', 'last' or 'both', got 'twice'/,
    ),
    row(
      "upsert('kept', { period, timezone })",
      upsert("kept", { ...ok, timezone: "Asia/Tokyo" }),
      TypeError,
      /'timezone' goes with 'cron'.*'Asia\/Tokyo'/,
    ),
    row(
      "upsert('kept', { at: past })",
      upsert("kept", { event: reminder, at: new Date(NOW - 1_000), value: {} }),
      RangeError,
      /'at' must be after the time of the call, got 2026-12-01T11:59:59\.000Z/,
    ),
    row(
      "upsert('kept', { at: now })",
      upsert("kept", { event: reminder, at: new Date(NOW), value: {} }),
      RangeError,
      /'at' must be after the time of the call, got 2026-12-01T12:00:00\.000Z/,
    ),
    row(
      "upsert('kept', { at: Invalid Date })",
      upsert("kept", { event: reminder, at: new Date(NaN), value: {} }),
      RangeError,
      /'at' must be a valid Date, got Invalid Date/,
    ),
    row(
      "upsert('kept', { stopAt before startAt })",
      upsert("kept", { ...ok, startAt: new Date(NOW + 2_000), stopAt: new Date(NOW + 1_000) }),
      RangeError,
      /'stopAt' .* is before 'startAt'/,
    ),
    row("upsert('kept', { catchUp: -1 })", upsert("kept", { ...ok, catchUp: -1 }), RangeError, /'catchUp' .*got -1/),
    row("upsert('kept', { jitter: -1 })", upsert("kept", { ...ok, jitter: -1 }), RangeError, /'jitter' .*got -1/),
    row("upsert('kept', { jitter: NaN })", upsert("kept", { ...ok, jitter: NaN }), RangeError, /'jitter' .*got NaN/),
    row("upsert('kept', { jitter: '5' })", upsert("kept", { ...ok, jitter: "5" }), RangeError, /'jitter' .*got '5'/),
    row(
      "upsert('kept', { period: 60, jitter: 60 })",
      upsert("kept", { ...ok, jitter: 60 }),
      RangeError,
      /'jitter' must be below 'period' \(60 s\), got 60/,
    ),
    row(
      "upsert('kept', { at, jitter: 60 })",
      upsert("kept", { event: reminder, at: new Date(NOW + 3_600_000), value: {}, jitter: 60 }),
      RangeError,
      /'jitter' of a one-off \('at'\) schedule must be below its 60 s window, got 60/,
    ),
    row(
      "upsert('kept', { pauseOnFailure: 'yes' })",
      upsert("kept", { ...ok, pauseOnFailure: "yes" as never }),
      TypeError,
      /'pauseOnFailure' must be a boolean, got 'yes'/,
    ),
    row("upsert('kept', { maxTicks: 0 })", upsert("kept", { ...ok, maxTicks: 0 }), RangeError, /'maxTicks' .*got 0/),
    row(
      "upsert('kept', { cron, maxTicks: 10001 })",
      upsert("kept", { event: reminder, cron: "* * * * *", value: {}, maxTicks: 10_001 }),
      RangeError,
      /'maxTicks' of a cron schedule must be at most 10000, got 10001/,
    ),
    row(
      "upsert('kept', { meta: { 'Nats-Msg-Id': 'x' } })",
      upsert("kept", { ...ok, meta: { "Nats-Msg-Id": "x" } }),
      TypeError,
      /'meta' header name must not start with .*got 'Nats-Msg-Id'/,
    ),
    row(
      "upsert('kept', { meta: { tracestate: 'a=b' } })",
      upsert("kept", { ...ok, meta: { tracestate: "a=b" } }),
      TypeError,
      /'meta' header name must not .*nor be 'traceparent' or 'tracestate', got 'tracestate'/,
    ),
    row(
      "upsert('kept', { event: strict, value: 'x' })",
      upsert("kept", { event: strict, period: 60, value: "x" }),
      TypeError,
      /'value' does not fit the schema of event 'strict', got 'x'/,
    ),
    row(
      "upsert('kept', { event: strict }) without value",
      upsert("kept", { event: strict, period: 60 }),
      TypeError,
      /'value' does not fit the schema of event 'strict', got undefined/,
    ),
    row(
      "upsert('kept', { event: nightly, value })",
      upsert("kept", { event: nightly, period: 60, value: new Date() }),
      TypeError,
      /a 'nightly' fire carries its instant: give no 'value'/,
    ),
    row(
      "pause('nope')",
      () => schedules.pause("nope"),
      WalnatsError,
      /Cannot pause schedule 'nope': no schedule/,
      ErrorCode.ScheduleNotFound,
    ),
    row("pause('kept', 5)", () => schedules.pause("kept", 5 as Any), TypeError, /'note' must be a string, got 5/),
    row(
      "resume('nope')",
      () => schedules.resume("nope"),
      WalnatsError,
      /Cannot resume schedule 'nope'/,
      ErrorCode.ScheduleNotFound,
    ),
    row(
      "delete('nope')",
      () => schedules.delete("nope"),
      WalnatsError,
      /Cannot delete schedule 'nope'/,
      ErrorCode.ScheduleNotFound,
    ),
    row(
      "describe('nope')",
      () => schedules.describe("nope"),
      WalnatsError,
      /Cannot describe schedule 'nope'/,
      ErrorCode.ScheduleNotFound,
    ),
    row(
      "describe('kept', { next: -1 })",
      () => schedules.describe("kept", { next: -1 }),
      RangeError,
      /'next' .*got -1/,
    ),
    row(
      "describe('kept', { recent: 1001 })",
      () => schedules.describe("kept", { recent: 1001 }),
      RangeError,
      /'recent' must be a whole number from 0 to 1000, got 1001/,
    ),
    row(
      "trigger('nope')",
      () => schedules.trigger("nope"),
      WalnatsError,
      /Cannot trigger schedule 'nope': no schedule/,
      ErrorCode.ScheduleNotFound,
    ),
    row("trigger('a.b')", () => schedules.trigger("a.b"), TypeError, /Cannot trigger schedule 'a\.b': 'id' /),
    row(
      "backfill('nope', range)",
      () => schedules.backfill("nope", { from: new Date(NOW - 60_000), to: new Date(NOW) }),
      WalnatsError,
      /Cannot backfill schedule 'nope': no schedule/,
      ErrorCode.ScheduleNotFound,
    ),
    row(
      "backfill('kept', reversed)",
      () => schedules.backfill("kept", { from: new Date(NOW), to: new Date(NOW - 60_000) }),
      RangeError,
      /'from' \(2026-12-01T12:00:00\.000Z\) is after 'to' \(2026-12-01T11:59:00\.000Z\)/,
    ),
    row(
      "backfill('kept', two days of minutes)",
      () => schedules.backfill("kept", { from: new Date(NOW - 2 * 86_400_000), to: new Date(NOW) }),
      RangeError,
      /the range holds 2881 ticks of the schedule, more than the 1000 one backfill stores/,
    ),
    row(
      "backfill('kept', { from: Invalid Date })",
      () => schedules.backfill("kept", { from: new Date(NaN), to: new Date(NOW) }),
      RangeError,
      /'from' must be a valid Date, got Invalid Date/,
    ),
    row(
      "backfill('kept', { to: '2026-12-01' })",
      () => schedules.backfill("kept", { from: new Date(NOW - 60_000), to: "2026-12-01" as Any }),
      RangeError,
      /'to' must be a valid Date, got '2026-12-01'/,
    ),
    row(
      "backfill('kept', { from })",
      () => schedules.backfill("kept", { from: new Date(NOW - 60_000) } as Any),
      RangeError,
      /'to' must be a valid Date, got undefined/,
    ),
    row(
      "backfill('kept', future)",
      () => schedules.backfill("kept", { from: new Date(NOW - 60_000), to: new Date(NOW + 60_000) }),
      RangeError,
      /'to' must not be after the time of the call \(2026-12-01T12:00:00\.000Z\), got 2026-12-01T12:01:00\.000Z/,
    ),
    row(
      "backfill('kept', null)",
      () => schedules.backfill("kept", null as Any),
      TypeError,
      /'range' must be an object with 'from' and 'to', got null/,
    ),
    row("get('a.b')", () => schedules.get("a.b"), TypeError, /Cannot get schedule: 'id' .*got 'a\.b'/),
    row(
      "new Schedules('reminder')",
      () => new Schedules("reminder" as Any),
      TypeError,
      /Cannot create Schedules: argument 1 must be an Event, got 'reminder'/,
    ),
    row(
      "new Schedules(reminder, reminder)",
      () => new Schedules(reminder, reminder),
      TypeError,
      /events 'reminder' and 'reminder' share stream 'reminder'/,
    ),
    row(
      "new Schedules(reminder).connect({ connectEvents, connectActors })",
      () =>
        new Schedules(reminder).connect({
          connectEvents: () => Promise.reject(new Error("unused")),
          connectActors: () => Promise.reject(new Error("unused")),
        }),
      TypeError,
      /the target cannot hold schedules/,
    ),
  ];
}

/** Every stored schedule, as JSON text, by id. */
async function snapshot(schedules: SchedulesConnection): Promise<string> {
  const all = [];
  for await (const info of schedules.list()) all.push(info);
  return JSON.stringify(all.toSorted((a, b) => a.id.localeCompare(b.id)));
}

Deno.test("bad input to schedules throws at once with a message naming the argument and the value, and stores nothing", async (t) => {
  using time = new FakeTime(NOW);
  await using schedules = await new Schedules(reminder, nightly, strict).connect(new MemoryServer(time));
  await schedules.register();
  await schedules.upsert("kept", { event: reminder, period: 60, value: { kept: true } });
  const before = await snapshot(schedules);
  const table = cases(schedules);
  assert.ok(table.length >= 30, `${table.length} cases`);
  for (const input of table) {
    await t.step(input.call, async () => {
      await assertBadInput(input);
      assert.equal(await snapshot(schedules), before, `${input.call} changed the stored schedules`);
    });
  }
  // Control: the snapshot sees a change.
  await schedules.pause("kept");
  assert.notEqual(await snapshot(schedules), before);
});
