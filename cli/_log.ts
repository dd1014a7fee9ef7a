/**
 * The clock command's log lines: readable text (the default) or one JSON
 * object per line (`--log-format json`), with every known secret replaced by
 * `***` whatever the format.
 *
 * @module
 */
import type { TickReport } from "../src/clock/tick_report.ts";
import type { FireReport } from "../src/schedules/schedules_connection.ts";
import type { ConnectionStatus } from "../src/events/connection_status.ts";
import { messageOf } from "../src/errors.ts";
import { redact } from "../src/nats/_connect_options.ts";
import { formatInstant } from "../src/events/serializer.ts";

/** The formats of `--log-format`. */
export const LOG_FORMATS = ["text", "json"] as const;

/** How log lines are written: `text` for people, `json` for log collectors. */
export type LogFormat = typeof LOG_FORMATS[number];

/** Where the command writes: standard output and error by default. */
export interface Output {
  /** Writes a line of normal output. */
  out(line: string): void;
  /** Writes a line about a problem. */
  err(line: string): void;
}

/** A JSON line's level: `warn` for a missed tick and a lost connection, `error` for what stops the command. */
type Level = "info" | "warn" | "error";

/** Values a JSON line carries besides its time, level and message. */
type Fields = Record<string, string | number | boolean | Record<string, string>>;

/**
 * Writes the command's lines in one format. In JSON, a line is
 * `{"time","level","msg",...fields}`; a tick's line has `msg: "tick"` and the
 * report's fields, a connection's `msg: "connection lost"` or
 * `"connection restored"` and `server`.
 */
export class Log {
  readonly #format: LogFormat;
  readonly #output: Output;
  readonly #secrets: readonly string[];

  /**
   * @param format text or JSON
   * @param output where lines go
   * @param secrets replaced by `***` in every line, as written and as JSON escapes them
   */
  constructor(format: LogFormat, output: Output, secrets: readonly string[] = []) {
    this.#format = format;
    this.#output = output;
    this.#secrets = secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]);
  }

  /** This log, hiding `secrets` too. */
  hiding(secrets: readonly string[]): Log {
    return new Log(this.#format, this.#output, [...this.#secrets, ...secrets]);
  }

  /** `text` with the secrets replaced by `***`, for what is shown elsewhere than in the log. */
  redact(text: string): string {
    return redact(text, this.#secrets);
  }

  /** A line about the worker: `message` as text, or with `fields` in JSON. */
  info(message: string, fields: Fields = {}): void {
    this.#write("info", message, fields);
  }

  /** A problem that stops the command, on standard error. */
  error(message: string, fields: Fields = {}): void {
    this.#write("error", message, fields);
  }

  /** A tick's report (level `warn` when missed); `named` starts a text line with the event's name. */
  tick(report: TickReport, named: boolean): void {
    this.#report(report, named ? [report.event] : [], "tick", tickFields(report));
  }

  /** A schedule's fire: a tick's line started by the event's name and the schedule's id; in JSON `msg: "fire"` and `schedule`. */
  fire(report: FireReport): void {
    this.#report(report, [report.event, report.schedule], "fire", { ...tickFields(report), schedule: report.schedule });
  }

  #report(report: TickReport, prefix: readonly string[], msg: string, fields: Fields): void {
    const level = report.outcome === "missed" ? "warn" : "info";
    const text = [...prefix, formatReport(report)].join("  ");
    this.#write(level, this.#format === "text" ? text : msg, fields);
  }

  /** A connection lost (level `warn`) or restored. */
  connection(status: ConnectionStatus): void {
    const { server } = status;
    if (status.type === "disconnected") {
      this.#write("warn", this.#format === "text" ? `Connection to ${server} lost; reconnecting.` : "connection lost", {
        server,
      });
    } else {
      this.#write("info", this.#format === "text" ? `Connection to ${server} restored.` : "connection restored", {
        server,
      });
    }
  }

  #write(level: Level, message: string, fields: Fields): void {
    const line = this.#format === "text"
      ? message
      : JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields });
    const safe = this.redact(line);
    if (level === "error") this.#output.err(safe);
    else this.#output.out(safe);
  }
}

/** A report's fields in a JSON line; the error as its code (when it has one) and message. */
function tickFields(report: TickReport): Fields {
  const { event, outcome, lagMs, seq, attempts, reason, error, late } = report;
  const code = (error as { code?: unknown } | undefined)?.code;
  return {
    event,
    outcome,
    tick: formatInstant(report.tick.getTime()),
    lagMs,
    ...(seq === undefined ? {} : { seq }),
    attempts,
    ...(reason === undefined ? {} : { reason }),
    ...(late ? { late } : {}),
    ...(error === undefined
      ? {}
      : { error: { ...(typeof code === "string" ? { code } : {}), message: messageOf(error) } }),
  };
}

/** One text line per tick: instant, outcome, lag, sequence (and why, for a missed tick). */
function formatReport(report: TickReport): string {
  const parts = [formatInstant(report.tick.getTime()), report.outcome.padEnd(9), `lag ${report.lagMs} ms`];
  if (report.seq !== undefined) parts.push(`seq ${report.seq}`);
  if (report.late) parts.push("(late: caught up)");
  if (report.reason !== undefined) {
    parts.push(`(${report.reason}${report.error ? `: ${messageOf(report.error)}` : ""})`);
  }
  return parts.join("  ");
}
