/**
 * One cycle of ticks (src/clock/_emit_due.ts), on a recording publisher and fake time: overslept ticks are
 * reported late without catch-up; with catch-up the ledger is read and at most `catchUp` missed ticks go out
 * late, oldest first, skipping those stored outside the ledger; the current tick is tried until its deadline.
 */
import assert from "node:assert/strict";
import { type Cycle, emitDue, type TickSource } from "../../src/clock/_emit_due.ts";
import type { TickReport } from "../../src/clock/tick_report.ts";
import { BoundedSchedule, type DueTicks, PeriodSchedule } from "../../src/core/schedule.ts";
import type { Publisher, PublishResult, TickMessage } from "../../src/events/publisher.ts";
import { FakeTime } from "../../testing/mod.ts";

const P = 60_000;
const T0 = Date.parse("2026-12-07T12:00:00Z");
const LEDGER = { subject: "ticks.minute", stream: "ticks" };

/** A clock's source of minute ticks, catching up `catchUp`; `emptyLedgerTick` as a clock has it unless given. */
function source(catchUp: number, emptyLedgerTick?: number): TickSource {
  return {
    event: "minute",
    schedule: new BoundedSchedule(new PeriodSchedule(P)),
    catchUp,
    ledger: LEDGER,
    emptyLedgerTick,
    message: (tickMs, late) => ({
      ...LEDGER,
      tickMs,
      msgId: `minute:${tickMs}`,
      payload: new Uint8Array(),
      headers: { "Walnats-Tick": String(tickMs), ...(late ? { "Walnats-Late": "true" } : {}) },
    }),
  };
}

/**
 * A publisher that records what it is asked and answers from a script: `ledger` for `lastTick` (a function
 * may throw), `answer` for each publish (stored with the next seq unless it says otherwise).
 */
function recording(
  script: {
    ledger?: () => number | undefined;
    answer?: (message: TickMessage) => Promise<PublishResult> | undefined;
  } = {},
): Publisher & { published: { tickMs: number; late: boolean }[]; ledgerReads: number } {
  let seq = 100;
  const double = {
    published: [] as { tickMs: number; late: boolean }[],
    ledgerReads: 0,
    publishTick(message: TickMessage) {
      double.published.push({ tickMs: message.tickMs, late: message.headers["Walnats-Late"] === "true" });
      return script.answer?.(message) ?? Promise.resolve({ seq: ++seq, duplicate: false });
    },
    lastTick() {
      double.ledgerReads++;
      try {
        return Promise.resolve(script.ledger?.());
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
  return double;
}

/** Runs emitDue at `nowMs` with fake time running every timer; returns whether the current tick went out and the reports. */
async function cycle(
  tickSource: TickSource,
  due: DueTicks,
  options: { publisher: Publisher; catchUpPending?: boolean; nowMs?: number; signal?: AbortSignal } & Partial<Cycle>,
) {
  const nowMs = options.nowMs ?? due.current;
  using time = new FakeTime(nowMs);
  const reports: TickReport[] = [];
  const running = emitDue(tickSource, due, options.catchUpPending ?? false, nowMs, {
    publisher: options.publisher,
    time,
    signal: options.signal,
    onTick: (report) => void reports.push(report),
    ...(options.storedOutsideLedger ? { storedOutsideLedger: options.storedOutsideLedger } : {}),
  });
  await time.runAllAsync();
  return { emitted: await running, reports };
}

const due = (overslept: number[], current = T0): DueTicks => ({ overslept, current, deadline: current + P });
const ticksOf = (reports: TickReport[]) => reports.map(({ tick }) => tick.getTime());

Deno.test("emitDue without catch-up reports overslept ticks missed as late, unattempted, and emits the current one", async () => {
  const publisher = recording();
  const nowMs = T0 + 5_000;
  const { emitted, reports } = await cycle(source(0), due([T0 - 2 * P, T0 - P]), { publisher, nowMs });
  assert.equal(emitted, true);
  assert.deepEqual(publisher.published, [{ tickMs: T0, late: false }], "no catch-up: overslept ticks never go out");
  assert.equal(publisher.ledgerReads, 0);
  assert.deepEqual(reports, [
    {
      event: "minute",
      tick: new Date(T0 - 2 * P),
      lagMs: nowMs - (T0 - 2 * P),
      attempts: 0,
      outcome: "missed",
      reason: "late",
    },
    {
      event: "minute",
      tick: new Date(T0 - P),
      lagMs: nowMs - (T0 - P),
      attempts: 0,
      outcome: "missed",
      reason: "late",
    },
    { event: "minute", tick: new Date(T0), lagMs: nowMs - T0, attempts: 1, outcome: "emitted", seq: 101 },
  ]);
});

Deno.test("emitDue with catch-up pending reads the ledger and emits at most catchUp missed ticks late, oldest first", async () => {
  const publisher = recording({ ledger: () => T0 - 5 * P });
  const { emitted, reports } = await cycle(source(2), due([]), { publisher, catchUpPending: true });
  assert.equal(emitted, true);
  assert.equal(publisher.ledgerReads, 1);
  assert.deepEqual(publisher.published, [
    { tickMs: T0 - 2 * P, late: true },
    { tickMs: T0 - P, late: true },
    { tickMs: T0, late: false },
  ]);
  assert.deepEqual(ticksOf(reports), [T0 - 2 * P, T0 - P, T0], "one report per tick that went out");
  assert.deepEqual(reports.map(({ outcome, late }) => [outcome, late]), [
    ["emitted", true],
    ["emitted", true],
    ["emitted", undefined],
  ]);
});

Deno.test("emitDue catches up when ticks were overslept even without catch-up pending, and not when neither", async () => {
  const oversleeping = recording({ ledger: () => T0 - 2 * P });
  await cycle(source(3), due([T0 - P]), { publisher: oversleeping });
  assert.deepEqual(oversleeping.published.map(({ tickMs }) => tickMs), [T0 - P, T0]);
  assert.equal(oversleeping.ledgerReads, 1);

  const onTime = recording({ ledger: () => T0 - 2 * P });
  await cycle(source(3), due([]), { publisher: onTime });
  assert.deepEqual(onTime.published.map(({ tickMs }) => tickMs), [T0]);
  assert.equal(onTime.ledgerReads, 0, "a cycle on time with nothing pending does not read the ledger");
});

Deno.test("emitDue with a ledger at the current tick catches up nothing; the current tick's answer decides", async () => {
  const publisher = recording({ ledger: () => T0, answer: () => Promise.resolve({ seq: 7, duplicate: true }) });
  const { emitted, reports } = await cycle(source(5), due([]), { publisher, catchUpPending: true });
  assert.equal(emitted, true, "a tick found stored went out");
  assert.deepEqual(reports.map(({ outcome, seq, tick }) => [outcome, seq, tick.getTime()]), [["duplicate", 7, T0]]);
});

Deno.test("emitDue skips the missed ticks storedOutsideLedger returns, and asks it with the ledger's last tick", async () => {
  const publisher = recording({ ledger: () => T0 - 4 * P });
  const asked: (number | undefined)[] = [];
  const storedOutsideLedger = (lastMs: number | undefined) => {
    asked.push(lastMs);
    return Promise.resolve(new Set([T0 - 2 * P]));
  };
  const { reports } = await cycle(source(5), due([]), { publisher, catchUpPending: true, storedOutsideLedger });
  assert.deepEqual(asked, [T0 - 4 * P]);
  assert.deepEqual(publisher.published.map(({ tickMs }) => tickMs), [T0 - 3 * P, T0 - P, T0]);
  assert.deepEqual(ticksOf(reports), [T0 - 3 * P, T0 - P, T0], "a tick stored elsewhere is neither sent nor reported");
});

Deno.test("emitDue on an empty ledger: a clock catches up nothing, a schedule its last catchUp ticks", async () => {
  const clock = recording({ ledger: () => undefined });
  await cycle(source(3), due([T0 - P]), { publisher: clock });
  assert.deepEqual(clock.published.map(({ tickMs }) => tickMs), [T0]);

  const schedule = recording({ ledger: () => undefined });
  await cycle(source(2, -Infinity), due([]), { publisher: schedule, catchUpPending: true });
  assert.deepEqual(schedule.published.map(({ tickMs }) => tickMs), [T0 - 2 * P, T0 - P, T0]);
});

Deno.test("emitDue tries the current tick until its deadline, then reports it missed unacknowledged", async () => {
  const publisher = recording({ answer: () => Promise.reject(new Error("no stream")) });
  const { emitted, reports } = await cycle(source(0), due([]), { publisher });
  assert.equal(emitted, false);
  assert.equal(reports.length, 1);
  const [report] = reports;
  assert.deepEqual([report!.outcome, report!.reason, report!.lagMs], ["missed", "unacknowledged", P]);
  assert.equal(report!.attempts, publisher.published.length);
  assert.ok(report!.attempts > 1, "retried");
  assert.match(String(report!.error), /no stream/);
});

Deno.test("emitDue whose ledger cannot be read by the deadline reports the current tick missed, unattempted", async () => {
  const publisher = recording({
    ledger: () => {
      throw new Error("no ledger");
    },
  });
  const { emitted, reports } = await cycle(source(3), due([T0 - P]), { publisher });
  assert.equal(emitted, false);
  assert.deepEqual(publisher.published, []);
  assert.ok(publisher.ledgerReads > 1, "the ledger read is retried");
  assert.equal(reports.length, 1);
  assert.deepEqual(
    [reports[0]!.tick.getTime(), reports[0]!.outcome, reports[0]!.reason, reports[0]!.attempts, reports[0]!.lagMs],
    [T0, "missed", "unacknowledged", 0, P],
  );
});

Deno.test("emitDue stopped before it starts sends nothing and reports the current tick stopped", async () => {
  const publisher = recording();
  const { emitted, reports } = await cycle(source(0), due([T0 - P]), { publisher, signal: AbortSignal.abort() });
  assert.equal(emitted, false);
  assert.deepEqual(publisher.published, []);
  assert.deepEqual(reports.map(({ outcome, reason, tick }) => [tick.getTime(), outcome, reason]), [
    [T0 - P, "missed", "late"],
    [T0, "missed", "stopped"],
  ]);
});
