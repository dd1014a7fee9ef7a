/**
 * The clock worker command: runs one clock against a NATS server, or against
 * an embedded throwaway `nats-server` when none is given, and prints one line
 * per tick.
 *
 * ```sh
 * deno task run --event 5m-passed --period 300 --meta team=ops --server nats://127.0.0.1:4222
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Clock } from "../src/clock.ts";
import type { TickReport } from "../src/clock.ts";
import { messageOf, WalnatsError } from "../src/errors.ts";
import { Event } from "../src/event.ts";
import { Events } from "../src/events.ts";
import { formatInstant } from "../src/serializer.ts";
import { NatsServerNotFoundError, startNatsServer } from "./_nats_server.ts";

/** The command's usage text, printed by `--help` and after a bad flag. */
export const USAGE = `Usage: deno task run [options]

Runs a clock: emits an event into NATS JetStream at every tick, exactly once
however many clocks of the same event run.

Options:
  --event NAME       the event to emit (default: minute-passed)
  --period SECONDS   seconds between ticks, ms resolution (default: 60)
  --cron EXPR        a cron schedule instead of a period: 5 fields, or 6 with
                     seconds first (e.g. "30 2 * * *", "*/10 * * * * *")
  --timezone ZONE    the IANA time zone of --cron (default: UTC)
  --catch-up N       after an outage, emit up to N missed ticks, oldest first
                     (default: 0, missed ticks are skipped)
  --meta KEY=VALUE   a header added to every tick; repeatable
  --server URL       the NATS server (default: $NATS_URL; with neither, an
                     embedded nats-server is started and stopped on exit)
  --help             print this text

Stops cleanly on SIGINT or SIGTERM.`;

/** Where the command writes: standard output and error by default. */
export interface Output {
  /** Writes a line of normal output. */
  out(line: string): void;
  /** Writes a line about a problem. */
  err(line: string): void;
}

const consoleOutput: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };

/**
 * Runs the command until SIGINT or SIGTERM (or `signal`) and returns its exit
 * code: 0 after a clean stop, 1 when the server fails, 2 for bad flags.
 *
 * @example Print the usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@walnats/clock/cli";
 *
 * const code = await main(["--help"], { out: () => {}, err: () => {} });
 * assert.equal(code, 0);
 * ```
 *
 * @param args the command-line arguments
 * @param output where to write (default: the console)
 * @param signal stops the clock, like SIGINT does
 * @returns the exit code
 */
export async function main(args: string[], output: Output = consoleOutput, signal?: AbortSignal): Promise<number> {
  let flags;
  let clock: Clock;
  try {
    flags = parseFlags(args);
    if (flags.help) {
      output.out(USAGE);
      return 0;
    }
    clock = new Clock({
      event: new Event(flags.event, Date),
      ...(flags.period === undefined ? {} : { period: flags.period }),
      ...(flags.cron === undefined ? {} : { cron: flags.cron }),
      ...(flags.timezone === undefined ? {} : { timezone: flags.timezone }),
      catchUp: flags.catchUp,
      meta: flags.meta,
    });
  } catch (error) {
    output.err(`${messageOf(error)}\n\n${USAGE}`);
    return 2;
  }

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  signal?.addEventListener("abort", onSignal, { once: true });
  for (const name of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(name, onSignal);
  try {
    return await runClock(clock, flags.server, output, stop.signal);
  } finally {
    for (const name of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(name, onSignal);
    signal?.removeEventListener("abort", onSignal);
  }
}

async function runClock(clock: Clock, server: string | undefined, output: Output, signal: AbortSignal) {
  await using embedded = server === undefined ? await startEmbedded(output) : undefined;
  const url = server ?? embedded?.url;
  if (url === undefined) return 1;
  try {
    await using conn = await new Events(clock.event).connect({
      servers: url,
      name: `walnats-clock ${clock.event.name}`,
    });
    await conn.register();
    const schedule = clock.cron === undefined ? `every ${clock.period} s` : `'${clock.cron}' in ${clock.timezone}`;
    output.out(`Clock '${clock.event.name}' ${schedule} on ${url}; SIGINT or SIGTERM stops it.`);
    await clock.run(conn, { signal, onTick: (report) => output.out(formatReport(report)) });
    output.out("Stopped.");
    return 0;
  } catch (error) {
    if (!(error instanceof WalnatsError)) throw error;
    output.err(error.message);
    return 1;
  }
}

async function startEmbedded(output: Output) {
  try {
    const server = await startNatsServer();
    output.out(
      `No --server and no NATS_URL: started an embedded nats-server at ${server.url} ` +
        `(JetStream store ${server.storeDir}, removed on exit).`,
    );
    return server;
  } catch (error) {
    if (!(error instanceof NatsServerNotFoundError)) throw error;
    output.err(`${error.message}\nOr pass --server URL (or set NATS_URL) to use a server you run.`);
    return undefined;
  }
}

interface Flags {
  help: boolean;
  event: string;
  period: number | undefined;
  cron: string | undefined;
  timezone: string | undefined;
  catchUp: number;
  meta: Record<string, string>;
  server: string | undefined;
}

function parseFlags(args: string[]): Flags {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      event: { type: "string", default: "minute-passed" },
      period: { type: "string" },
      cron: { type: "string" },
      timezone: { type: "string" },
      "catch-up": { type: "string", default: "0" },
      meta: { type: "string", multiple: true, default: [] },
      server: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0) throw new TypeError(`Unexpected argument '${positionals[0]}'`);
  const period = values.period === undefined ? undefined : number("--period", values.period);
  const catchUp = number("--catch-up", values["catch-up"]);
  const meta: Record<string, string> = {};
  for (const pair of values.meta) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new TypeError(`--meta must be KEY=VALUE, got '${pair}'`);
    meta[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const server = values.server ?? (Deno.env.get("NATS_URL") || undefined);
  const { help, event, cron, timezone } = values;
  return { help, event, period, cron, timezone, catchUp, meta, server };
}

function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) throw new RangeError(`${flag} must be a number, got '${text}'`);
  return value;
}

/** One line per tick: instant, outcome, lag, sequence (and why, for a missed tick). */
function formatReport(report: TickReport): string {
  const parts = [formatInstant(report.tick.getTime()), report.outcome.padEnd(9), `lag ${report.lagMs} ms`];
  if (report.seq !== undefined) parts.push(`seq ${report.seq}`);
  if (report.late) parts.push("(late: caught up)");
  if (report.reason !== undefined) {
    parts.push(`(${report.reason}${report.error ? `: ${messageOf(report.error)}` : ""})`);
  }
  return parts.join("  ");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
