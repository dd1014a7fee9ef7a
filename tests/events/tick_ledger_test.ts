/**
 * The exactly-once rule of the tick ledger (src/events/_tick_ledger.ts), on hand-built entries: the last
 * message stored on a subject at or past tick T covers T; the same tick from the same clock run is the stored
 * answer (emitted), from another run or a later tick a duplicate.
 */
import assert from "node:assert/strict";
import { coveredTick, EMPTY_LEDGER, type LedgerEntry, ledgerEntry, ledgerTick } from "../../src/events/_tick_ledger.ts";
import type { TickMessage } from "../../src/events/publisher.ts";

const T = Date.parse("2026-12-07T12:00:00Z");

/** The message of tick `tickMs` from clock run `clock` (none: no `Walnats-Clock` header). */
function message(tickMs: number, clock?: string): TickMessage {
  const headers: Record<string, string> = { "Walnats-Tick": String(tickMs) };
  if (clock !== undefined) headers["Walnats-Clock"] = clock;
  return {
    subject: "ticks.minute",
    stream: "ticks",
    tickMs,
    msgId: `minute:${tickMs}`,
    payload: new Uint8Array(),
    headers,
  };
}

const entry = (seq: number, tickMs: number, clock?: string): LedgerEntry => ({ seq, tickMs, clock });

Deno.test("coveredTick: the same tick stored by this clock run is its stored answer, emitted with its seq", () => {
  assert.deepEqual(coveredTick(entry(42, T, "run-a"), message(T, "run-a")), { seq: 42, duplicate: false });
});

Deno.test("coveredTick: the same tick stored by another clock run is a duplicate with the stored seq", () => {
  assert.deepEqual(coveredTick(entry(42, T, "run-b"), message(T, "run-a")), { seq: 42, duplicate: true });
});

Deno.test("coveredTick: a ledger past the tick covers it as a duplicate without a seq, whoever stored it", () => {
  assert.deepEqual(coveredTick(entry(43, T + 60_000, "run-a"), message(T, "run-a")), { seq: 0, duplicate: true });
  assert.deepEqual(coveredTick(entry(43, T + 60_000, "run-b"), message(T, "run-a")), { seq: 0, duplicate: true });
});

Deno.test("coveredTick: a ledger before the tick does not cover it", () => {
  assert.equal(coveredTick(entry(41, T - 60_000, "run-a"), message(T, "run-a")), undefined);
  assert.equal(coveredTick(entry(41, T - 1, "run-a"), message(T, "run-a")), undefined);
});

Deno.test("coveredTick: an empty ledger, and a last message that is no tick, cover nothing", () => {
  assert.equal(coveredTick(EMPTY_LEDGER, message(T, "run-a")), undefined);
  assert.equal(coveredTick(entry(9, NaN, undefined), message(T, "run-a")), undefined);
});

Deno.test("coveredTick: without a clock header on either side the same tick is a duplicate, never ours", () => {
  assert.deepEqual(coveredTick(entry(42, T, undefined), message(T)), { seq: 42, duplicate: true });
  assert.deepEqual(coveredTick(entry(42, T, "run-a"), message(T)), { seq: 42, duplicate: true });
  assert.deepEqual(coveredTick(entry(42, T, undefined), message(T, "run-a")), { seq: 42, duplicate: true });
});

Deno.test("ledgerEntry reads the tick and clock headers; a missing header and an empty one are alike", () => {
  const headers: Record<string, string> = { "Walnats-Tick": String(T), "Walnats-Clock": "run-a" };
  assert.deepEqual(ledgerEntry(5, (name) => headers[name]), { seq: 5, tickMs: T, clock: "run-a" });
  const missing = ledgerEntry(6, () => undefined);
  const empty = ledgerEntry(6, () => "");
  assert.deepEqual(empty, missing);
  assert.equal(missing.seq, 6);
  assert.ok(Number.isNaN(missing.tickMs));
  assert.equal(missing.clock, undefined);
});

Deno.test("ledgerTick: the tick held, undefined for an empty ledger or a message that is no tick", () => {
  assert.equal(ledgerTick(entry(5, T, "run-a")), T);
  assert.equal(ledgerTick(EMPTY_LEDGER), undefined);
  assert.equal(ledgerTick(ledgerEntry(6, () => "")), undefined);
  assert.equal(ledgerTick(entry(1, 0, undefined)), 0); // the epoch is a tick, not an empty ledger
});
