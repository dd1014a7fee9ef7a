/**
 * Clock processes for the multi-process tests: start real `tests/nats/_clock_process.ts`
 * processes, wait for them, stop them, and count what they stored.
 */
import assert from "node:assert/strict";
import { delay } from "../../src/_async.ts";
import type { ReportLine } from "./_clock_process.ts";
import { type ScriptProcess, startScript } from "./_processes.ts";
export { allReady, killAll, stopScript as stopClock } from "./_processes.ts";
import { isoTick, type StoredMessage } from "./_stream.ts";

/** The tick period of every multi-process test. */
export const PERIOD_MS = 1_000;

/** A clock process and what it printed. */
/** A clock process, and the tick reports it printed (`lines`). */
export type ClockProcess = ScriptProcess<ReportLine>;

/** How a clock process runs: its time's skew, its event's limits, its schedule, catch-up. */
export interface ClockOptions {
  skewMs?: number;
  duplicateWindow?: number;
  /** The event's `limits.replicas` (on a cluster). */
  replicas?: number;
  cron?: string;
  /** The period in milliseconds when `cron` is not given; default `PERIOD_MS`. */
  periodMs?: number;
  catchUp?: number;
}

/**
 * Starts tests/nats/_clock_process.ts on one event: periodic (`PERIOD_MS` unless `periodMs`) unless
 * `cron` is given. `server` may list several URLs, comma-separated.
 */
export function startClock(label: string, server: string, event: string, options: ClockOptions = {}): ClockProcess {
  const args = ["--server", server, "--event", event];
  if (options.cron === undefined) args.push("--period", String((options.periodMs ?? PERIOD_MS) / 1_000));
  else args.push("--cron", options.cron);
  if (options.catchUp !== undefined) args.push(`--catch-up=${options.catchUp}`);
  if (options.skewMs !== undefined) args.push(`--skew-ms=${options.skewMs}`);
  if (options.duplicateWindow !== undefined) args.push(`--duplicate-window=${options.duplicateWindow}`);
  if (options.replicas !== undefined) args.push(`--replicas=${options.replicas}`);
  return startScript<ReportLine>(label, "./_clock_process.ts", args);
}

/** Sleeps until `offsetMs` after the next tick instant of the real clock; returns that tick. */
export async function untilAfterTick(offsetMs: number): Promise<number> {
  const tick = Math.floor((Date.now() - offsetMs) / PERIOD_MS) * PERIOD_MS + PERIOD_MS;
  await delay(tick + offsetMs - Date.now());
  return tick;
}

/**
 * Sleeps until the real clock is `fromMs` to `toMs` after a tick instant
 * (negative: before it), and returns that tick: a moment when clocks
 * without skew have no publish in flight. A wake-up later than `toMs` waits
 * for the next tick's moment.
 */
export async function untilPhase(fromMs: number, toMs: number): Promise<number> {
  for (;;) {
    const tick = await untilAfterTick(fromMs);
    if (Date.now() - tick < toMs) return tick;
  }
}

/**
 * How often each tick instant is stored: the payload's instant, rounded
 * down to the period (a tick's payload is its instant; other writers' may
 * be any instant within the tick).
 */
export function countTicks(messages: StoredMessage[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const message of messages) {
    const instant = Date.parse(message.payload);
    assert.ok(!Number.isNaN(instant), `message ${message.seq} has no instant: ${message.payload}`);
    const tick = Math.floor(instant / PERIOD_MS) * PERIOD_MS;
    counts.set(tick, (counts.get(tick) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every tick from the first stored to the last is stored exactly once,
 * except ticks that every clock reported as missed (`missedByAll`).
 */
export function assertEachTickOnce(counts: Map<number, number>, missedByAll: ReadonlySet<number> = new Set()): void {
  const duplicated = [...counts].filter(([, count]) => count > 1).map(([tick, count]) => `${isoTick(tick)} x${count}`);
  assert.deepEqual(duplicated, [], `ticks stored more than once: ${duplicated.join(", ")}`);
  const ticks = [...counts.keys()].sort((a, b) => a - b);
  const first = ticks[0];
  const last = ticks.at(-1);
  assert.ok(first !== undefined && last !== undefined, "no tick was stored");
  const gaps: string[] = [];
  for (let tick = first; tick <= last; tick += PERIOD_MS) {
    if (!counts.has(tick) && !missedByAll.has(tick)) gaps.push(isoTick(tick));
  }
  assert.deepEqual(gaps, [], `ticks missing, though some clock did not report them missed: ${gaps.join(", ")}`);
}
