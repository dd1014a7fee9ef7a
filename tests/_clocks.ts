/**
 * Clock processes for the multi-process tests: start real `tests/_clock_process.ts`
 * processes, wait for them, stop them, and count what they stored.
 */
import assert from "node:assert/strict";
import { delay } from "../src/_async.ts";
import type { ReportLine } from "./_clock_process.ts";
import { isoTick, type StoredMessage } from "./_stream.ts";

/** The tick period of every multi-process test. */
export const PERIOD_MS = 1_000;
/** The longest wait for a clock process to connect and register. */
const READY_TIMEOUT_MS = 20_000;

/** A clock process and what it printed. */
export interface ClockProcess {
  readonly label: string;
  readonly child: Deno.ChildProcess;
  readonly reports: ReportLine[];
  /** Resolves on the `ready` line; rejects if the process exits first. */
  readonly ready: Promise<void>;
  /** Resolves when stdout and stderr were read to their end. */
  readonly drained: Promise<void>;
  stderr: string;
  exited: boolean;
}

export function startClock(
  label: string,
  server: string,
  event: string,
  options: { skewMs?: number; duplicateWindow?: number; cron?: string; catchUp?: number } = {},
): ClockProcess {
  const args = ["run", "-A", new URL("./_clock_process.ts", import.meta.url).pathname];
  args.push("--server", server, "--event", event);
  if (options.cron === undefined) args.push("--period", String(PERIOD_MS / 1_000));
  else args.push("--cron", options.cron);
  if (options.catchUp !== undefined) args.push(`--catch-up=${options.catchUp}`);
  if (options.skewMs !== undefined) args.push(`--skew-ms=${options.skewMs}`);
  if (options.duplicateWindow !== undefined) args.push(`--duplicate-window=${options.duplicateWindow}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const proc: ClockProcess = {
    label,
    child,
    reports: [],
    ready,
    drained: Promise.resolve(),
    stderr: "",
    exited: false,
  };
  const stdout = (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        const parsed = JSON.parse(line);
        if (parsed.ready === true) markReady();
        else proc.reports.push(parsed as ReportLine);
      }
    }
  })();
  const stderr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) proc.stderr += chunk;
  })();
  child.status.then(() => {
    proc.exited = true;
    failReady(new Error(`Clock ${label} exited before it was ready:\n${proc.stderr}`));
  });
  (proc as { drained: Promise<void> }).drained = Promise.all([stdout, stderr]).then(() => {});
  return proc;
}

/** Waits until every clock is ready, at most 20 s. */
export async function allReady(clocks: ClockProcess[]): Promise<void> {
  const timer = new AbortController();
  try {
    await Promise.race([
      Promise.all(clocks.map((clock) => clock.ready)),
      delay(READY_TIMEOUT_MS, timer.signal).then(() => {
        throw new Error(`Clocks not ready after ${READY_TIMEOUT_MS} ms:\n${clocks.map((c) => c.stderr).join("\n")}`);
      }),
    ]);
  } finally {
    timer.abort();
  }
}

/** SIGTERM, and the exit status; the process must leave on its own, with code 0. */
export async function stopClock(clock: ClockProcess): Promise<void> {
  clock.child.kill("SIGTERM");
  const status = await clock.child.status;
  await clock.drained;
  assert.equal(status.code, 0, `clock ${clock.label} exited with ${status.code}:\n${clock.stderr}`);
}

/** For `finally`: SIGKILL whatever still runs (a stopped process too) and wait for it. */
export async function killAll(clocks: ClockProcess[]): Promise<void> {
  for (const clock of clocks) {
    if (!clock.exited) {
      try {
        clock.child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }
  }
  await Promise.all(clocks.map(async (clock) => {
    await clock.child.status;
    await clock.drained;
  }));
}

/** Sleeps until `offsetMs` after the next tick instant of the real clock. */
export async function untilAfterTick(offsetMs: number): Promise<number> {
  const tick = Math.floor((Date.now() - offsetMs) / PERIOD_MS) * PERIOD_MS + PERIOD_MS;
  await delay(tick + offsetMs - Date.now());
  return tick;
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
