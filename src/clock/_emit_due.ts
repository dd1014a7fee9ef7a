/**
 * The ticks of one cycle, emitted: what a clock does when it wakes for a
 * tick, and what a schedules worker does for each schedule due. One rule
 * for both: the overslept ticks are reported late (or caught up), the
 * current tick is tried until its deadline, every tick gets a report.
 */
import { type Retried, retryUntil } from "./_retry_until.ts";
import type { Publisher, PublishResult, TickMessage } from "../events/publisher.ts";
import { type BoundedSchedule, catchUpTicks, type DueTicks } from "../core/schedule.ts";
import type { TimeSource } from "../core/time_source.ts";
import type { TickReport } from "./tick_report.ts";
import { type SendOutcome, sendTarget, traceSend, withHeaders } from "../events/_tracing.ts";

/** What the ticks go out for: a clock, or one schedule of a worker. */
export interface TickSource {
  /** The name of the event the ticks are messages of. */
  readonly event: string;
  /** The ticks, within their bounds. */
  readonly schedule: BoundedSchedule;
  /** How many missed ticks to emit late after an outage; 0: none. */
  readonly catchUp: number;
  /** The subject and stream whose last message is the ledger of these ticks. */
  readonly ledger: { readonly subject: string; readonly stream: string };
  /**
   * The last stored tick to catch up from when the ledger is empty: `undefined` for a clock (nothing to
   * catch up before its first tick), `-Infinity` for a schedule (its ticks since it began).
   */
  readonly emptyLedgerTick: number | undefined;
  /** The message of one tick. */
  message(tickMs: number, late: boolean): TickMessage;
}

const NONE: ReadonlySet<number> = new Set();

/** What emitting the ticks of one cycle needs besides the source. */
export interface Cycle {
  readonly publisher: Publisher;
  readonly time: TimeSource;
  readonly signal: AbortSignal | undefined;
  /** Called with the report of every tick. */
  readonly onTick: (report: TickReport) => void;
  /**
   * The ticks stored outside the ledger after its last tick (`lastMs`; `undefined` when the ledger is
   * empty): a schedule's backfilled fires. Catch-up does not store them again. None for a clock.
   */
  readonly storedOutsideLedger?: (lastMs: number | undefined) => Promise<ReadonlySet<number>>;
}

/**
 * Emits the ticks due: with catch-up pending (or ticks overslept) and
 * `catchUp` > 0, reads the ledger and emits the ticks after its last one
 * (at most `catchUp`, late) before the current tick; else reports the
 * overslept ticks missed, `late`, and emits the current one.
 *
 * @param nowMs the time read when the cycle woke
 * @returns whether the current tick went out (emitted here or found stored)
 */
export async function emitDue(
  source: TickSource,
  due: DueTicks,
  catchUpPending: boolean,
  nowMs: number,
  cycle: Cycle,
): Promise<boolean> {
  if (source.catchUp > 0 && (catchUpPending || due.overslept.length > 0)) {
    const { publisher, time, signal } = cycle;
    const read = async () => {
      const lastMs = await publisher.lastTick(source.ledger);
      return { lastMs, elsewhere: await cycle.storedOutsideLedger?.(lastMs) ?? NONE };
    };
    const ledger = await retryUntil(read, due.deadline, time, signal);
    if (!ledger.ok) {
      // Missed before its first publish, but missed as a clock without catch-up misses it: a send span says so.
      const missed = { ...ledger, attempts: 0 };
      const message = source.message(due.current, false);
      await traceSend(sendTarget(source.event, message), () => Promise.resolve(missed), sendOutcome);
      cycle.onTick(tickReport(source.event, due.current, missed, false));
      return false;
    }
    const { lastMs, elsewhere } = ledger.value;
    for (const tick of catchUpTicks(source.schedule, lastMs ?? source.emptyLedgerTick, due.current, source.catchUp)) {
      if (!elsewhere.has(tick)) await emitTick(source, tick, true, due.deadline, cycle);
    }
  } else {
    for (const tick of due.overslept) {
      cycle.onTick(tickReport(source.event, tick, { ok: false, reason: "late", attempts: 0, endedMs: nowMs }, false));
    }
  }
  return await emitTick(source, due.current, false, due.deadline, cycle);
}

/**
 * Emits one tick, with retries until `deadline`; reports it and tells whether it went out. One `send` span for
 * all its attempts, whose context every attempt carries in the message's headers.
 */
async function emitTick(
  source: TickSource,
  tickMs: number,
  late: boolean,
  deadline: number,
  { publisher, time, signal, onTick }: Cycle,
): Promise<boolean> {
  const message = source.message(tickMs, late);
  const result = await traceSend(
    sendTarget(source.event, message),
    (trace) => {
      const traced = withHeaders(message, trace);
      return retryUntil((timeoutMs) => publisher.publishTick(traced, { timeoutMs }), deadline, time, signal);
    },
    sendOutcome,
  );
  onTick(tickReport(source.event, tickMs, result, late));
  return result.ok;
}

/** How a tick's attempts ended, for its span. */
function sendOutcome(result: Retried<PublishResult>): SendOutcome {
  if (!result.ok) return { outcome: "missed", reason: result.reason, attempts: result.attempts, error: result.error };
  const { seq, duplicate } = result.value;
  return { outcome: duplicate ? "duplicate" : "emitted", seq, attempts: result.attempts };
}

/** A tick whose window had closed when the clock woke. */
type Overslept = { ok: false; reason: "late"; attempts: 0; endedMs: number; error?: undefined };

/** The report of one tick from how its attempts ended. */
function tickReport(
  event: string,
  tickMs: number,
  result: Retried<PublishResult> | Overslept,
  late: boolean,
): TickReport {
  const common = { event, tick: new Date(tickMs), lagMs: result.endedMs - tickMs, attempts: result.attempts };
  const details = result.ok
    ? {
      outcome: result.value.duplicate ? "duplicate" as const : "emitted" as const,
      ...(result.value.seq > 0 ? { seq: result.value.seq } : {}),
    }
    : {
      outcome: "missed" as const,
      reason: result.reason,
      ...(result.error === undefined ? {} : { error: result.error }),
    };
  return { ...common, ...details, ...(late ? { late } : {}) };
}
