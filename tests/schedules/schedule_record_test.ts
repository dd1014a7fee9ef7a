import assert from "node:assert/strict";
import {
  decodeRecord,
  encodeRecord,
  recordPayload,
  scheduleOf,
  scheduleRecord,
} from "../../src/schedules/_schedule_record.ts";
import { Event } from "../../mod.ts";

const reminder = new Event("reminder", Object);
const events = new Map([[reminder.name, reminder as Event]]);
const NOW = Date.parse("2026-12-01T08:00:00Z");

/** A record of `options` as a worker reads it: encoded, then decoded. */
function stored(id: string, options: Omit<Parameters<typeof scheduleRecord>[1], "event">) {
  return decodeRecord(encodeRecord(scheduleRecord(id, { event: reminder, ...options }, events, NOW)));
}

Deno.test("decodeRecord() gives records with the same meta one object, and recordPayload() the same bytes", () => {
  const a = stored("a", { period: 60, value: { text: "hi" }, meta: { "X-Team": "red" } });
  const b = stored("b", { period: 3600, value: { text: "hi" }, meta: { "X-Team": "red" } });
  const c = stored("c", { period: 60, value: { text: "ho" }, meta: { "X-Team": "blue" } });
  assert.equal(a.meta, b.meta);
  assert.notEqual(a.meta, c.meta);
  assert.deepEqual(c.meta, { "X-Team": "blue" });
  assert.equal(recordPayload(a), recordPayload(b));
  assert.deepEqual(reminder.decode(recordPayload(c)!), { text: "ho" });
});

Deno.test("scheduleOf() of records that share a spec keeps each record's own bounds", () => {
  const early = stored("early", { cron: "0 9 * * *", timezone: "Europe/Berlin", value: {} });
  const late = stored("late", {
    cron: "0 9 * * *",
    timezone: "Europe/Berlin",
    startAt: new Date("2026-12-10T00:00:00Z"),
    value: {},
  });
  assert.equal(new Date(scheduleOf(early).next(NOW)!).toISOString(), "2026-12-02T08:00:00.000Z");
  assert.equal(new Date(scheduleOf(late).next(NOW)!).toISOString(), "2026-12-10T08:00:00.000Z");
});

Deno.test("records read after more than a thousand distinct payloads still get their own", () => {
  for (let index = 0; index < 2_500; index++) {
    const record = stored(`s-${index}`, { period: 1 + index, value: { index } });
    assert.deepEqual(reminder.decode(recordPayload(record)!), { index });
    assert.equal(scheduleOf(record).next(NOW), (Math.floor(NOW / ((1 + index) * 1000)) + 1) * (1 + index) * 1000);
  }
});

Deno.test("a record without policies is stored as before policies: version 1, the same bytes", () => {
  const record = scheduleRecord("r", { event: reminder, period: 60, value: { a: 1 }, meta: { X: "y" } }, events, NOW);
  assert.equal(
    new TextDecoder().decode(encodeRecord(record)),
    '{"v":1,"id":"r","event":"reminder","kind":"json","period":60,"catchUp":0,"meta":{"X":"y"},' +
      '"payload":"eyJhIjoxfQ==","updatedAt":"2026-12-01T08:00:00.000Z"}',
  );
});

Deno.test("decodeRecord() reads a record without 'v' as version 1 and refuses a later version or an unknown field", () => {
  const bytes = (fields: Record<string, unknown>) =>
    new TextEncoder().encode(
      JSON.stringify({
        id: "r",
        event: "reminder",
        period: 60,
        catchUp: 0,
        meta: {},
        updatedAt: new Date(NOW).toISOString(),
        ...fields,
      }),
    );
  assert.equal(scheduleOf(decodeRecord(bytes({}))).next(NOW), NOW + 60_000);
  assert.equal(decodeRecord(bytes({ v: 2 })).v, 2);
  assert.throws(() => decodeRecord(bytes({ v: 3 })), {
    name: "TypeError",
    message: /^Cannot read schedule 'r': its record is version 3, .* reads versions up to 2$/,
  });
  assert.throws(() => decodeRecord(bytes({ v: 2, retry: 3, overlap: "skip" })), {
    name: "TypeError",
    message: /^Cannot read schedule 'r': its record has fields .* does not know \('retry', 'overlap'\), got /,
  });
  assert.throws(() => decodeRecord(bytes({ v: 1.5 })), { name: "TypeError", message: /'v' must be a whole number/ });
});

Deno.test("a record with jitter is version 2 and keeps it; jitter 0 is none (version 1)", () => {
  const jittered = scheduleRecord("r", { event: reminder, period: 60, value: {}, jitter: 1.5 }, events, NOW);
  assert.equal(jittered.v, 2);
  assert.equal(decodeRecord(encodeRecord(jittered)).jitter, 1.5);
  const none = scheduleRecord("r", { event: reminder, period: 60, value: {}, jitter: 0 }, events, NOW);
  assert.equal(none.v, 1);
  assert.equal(Object.hasOwn(none, "jitter"), false);
});
