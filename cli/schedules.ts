/**
 * The schedules command: manages schedules as data on a NATS server from a
 * shell. A readable table by default, `--json` for scripts.
 *
 * ```sh
 * deno task schedules add user-42 --event reminder --cron "0 9 * * 1" --timezone Asia/Tokyo \
 *   --value '{"user":42}' --server nats://127.0.0.1:4222
 * deno task schedules list --event reminder --server nats://127.0.0.1:4222
 * deno task schedules describe user-42 --next 3 --json --server nats://127.0.0.1:4222
 * deno task schedules pause user-42 --note "on holiday" --server nats://127.0.0.1:4222
 * deno task schedules trigger user-42 --server nats://127.0.0.1:4222
 * deno task schedules backfill user-42 --from 2026-11-30T00:00:00Z --to 2026-12-01T00:00:00Z \
 *   --server nats://127.0.0.1:4222
 * deno task schedules describe user-42 --recent 20 --server nats://127.0.0.1:4222
 * ```
 *
 * It connects as `deno task run` does (the same flags and environment
 * variables), but needs `--server` or `NATS_URL`: it starts no embedded
 * server. It never prints a secret.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { messageOf, WalnatsError } from "../src/errors.ts";
import { Event } from "../src/events/event.ts";
import { redact, resolveConnectOptions } from "../src/nats/_connect_options.ts";
import type { ConnectOptions } from "../src/nats/connect_options.ts";
import { Schedules } from "../src/schedules.ts";
import type {
  BackfillResult,
  RecentFire,
  ScheduleDescription,
  ScheduleInfo,
  ScheduleOptions,
  SchedulesConnection,
} from "../src/schedules/schedules_connection.ts";
import { formatInstant } from "../src/events/serializer.ts";
import { CONNECT_ARG_OPTIONS, CONNECT_USAGE, connectOptions, metaOf, number, serversOf } from "./_connect_flags.ts";
import { flagErrorText } from "./_flag_errors.ts";
import { parseInstant } from "./_instant.ts";
import type { Output } from "./_log.ts";

/** The command's usage text, printed by `--help`. */
export const SCHEDULES_USAGE = `Usage: deno task schedules <command> [options] --server URL

Manages schedules as data: each fires its event at its ticks, exactly once,
while a worker runs (deno task run --schedules).

Commands:
  add ID --event NAME (--period S | --cron EXPR [--timezone TZ] | --at ISO)
      [--value JSON] [--start-at ISO] [--stop-at ISO] [--max-ticks N]
      [--catch-up N] [--meta KEY=VALUE ...]
                     creates the schedule ID or replaces its spec (a paused
                     one stays paused); registers the event's stream and the
                     schedules' bucket first. With --value, each fire carries
                     that JSON; without, the fire's instant
  list [--event NAME]
                     the schedules (of one event): id, event, schedule,
                     state, next fire
  describe ID [--next N] [--recent N]
                     the schedule, its state, its next N fires (default 5;
                     a zoned cron's also in its zone's time),
                     the last fire on its ledger, and its N most recent
                     fires (default 10, at most 1000): tick, kind
                     (scheduled, caught-up, triggered, backfilled), lag, seq
  trigger ID         fires the schedule once now (also a paused one), with
                     its own id, beside its scheduled fires
  backfill ID --from ISO --to ISO
                     stores each fire the schedule had from --from to --to
                     (both included, --to not in the future, at most 1000)
                     that its stream does not hold, oldest first, late;
                     again stores nothing more
  pause ID [--note TEXT]
                     no fire until resumed
  resume ID          fires again from its next tick
  rm ID              deletes the schedule; its fires stay in the stream

Options:
  --json             print JSON instead of a table, for scripts
  --server URL       the NATS server, or several, comma-separated (default:
                     $NATS_URL; one of them is needed)
  --help             print this text

${CONNECT_USAGE}

Exit codes: 0 done, 1 no such schedule or the server failed, 2 bad flags.`;

/** What each command takes besides the connection flags, `--json` and `--help`. */
const COMMAND_FLAGS = {
  add: [
    "event",
    "period",
    "cron",
    "timezone",
    "at",
    "value",
    "start-at",
    "stop-at",
    "max-ticks",
    "catch-up",
    "meta",
  ],
  list: ["event"],
  describe: ["next", "recent"],
  pause: ["note"],
  resume: [],
  rm: [],
  trigger: [],
  backfill: ["from", "to"],
} as const;

/** The names of the commands. */
type CommandName = keyof typeof COMMAND_FLAGS;

/** One command, its flags parsed. */
export type SchedulesCommand =
  | {
    readonly name: "add";
    readonly id: string;
    /** The schedule's options: its event is `Object` with `--value`, else `Date` (the payload is the fire's instant). */
    readonly options: ScheduleOptions;
    readonly json: boolean;
  }
  | { readonly name: "list"; readonly event?: string; readonly json: boolean }
  | {
    readonly name: "describe";
    readonly id: string;
    readonly next?: number;
    readonly recent?: number;
    readonly json: boolean;
  }
  | { readonly name: "trigger"; readonly id: string; readonly json: boolean }
  | { readonly name: "backfill"; readonly id: string; readonly from: Date; readonly to: Date; readonly json: boolean }
  | { readonly name: "pause"; readonly id: string; readonly note?: string; readonly json: boolean }
  | { readonly name: "resume" | "rm"; readonly id: string; readonly json: boolean };

/** A parsed command line: the command, or `help`, and how to connect. */
export interface SchedulesArgs {
  /** The command; `undefined` for `--help`. */
  readonly command: SchedulesCommand | undefined;
  /** `--server` or `NATS_URL`, split at commas; undefined when neither is given. */
  readonly servers: string[] | undefined;
  /** Credentials and TLS from the flags, else the environment. */
  readonly connect: Omit<ConnectOptions, "servers">;
}

/**
 * Parses the command line.
 *
 * @throws {TypeError} for an unknown command or flag, a flag of another command, a missing or extra id,
 *   `--value` that is not JSON, a bad `--meta` or connection flags that do not go together
 * @throws {RangeError} for a number that does not parse, or an instant that does not or has no offset (`Z` or
 *   `+01:00`: the host's time zone is never assumed)
 */
export function parseSchedulesArgs(args: readonly string[]): SchedulesArgs {
  const { values, positionals } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      event: { type: "string" },
      period: { type: "string" },
      cron: { type: "string" },
      timezone: { type: "string" },
      at: { type: "string" },
      value: { type: "string" },
      "start-at": { type: "string" },
      "stop-at": { type: "string" },
      "max-ticks": { type: "string" },
      "catch-up": { type: "string" },
      meta: { type: "string", multiple: true },
      next: { type: "string" },
      recent: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      note: { type: "string" },
      json: { type: "boolean", default: false },
      ...CONNECT_ARG_OPTIONS,
      help: { type: "boolean", default: false },
    },
  });
  const servers = serversOf(values.server);
  const connect = connectOptions(values);
  const [name, ...ids] = positionals;
  if (values.help) return { command: undefined, servers, connect };
  if (name === undefined) throw new TypeError(`Give a command: ${Object.keys(COMMAND_FLAGS).join(", ")}`);
  if (!Object.hasOwn(COMMAND_FLAGS, name)) {
    throw new TypeError(`Unknown command '${name}': give one of ${Object.keys(COMMAND_FLAGS).join(", ")}`);
  }
  const command = name as CommandName;
  const allowed: readonly string[] = COMMAND_FLAGS[command];
  const foreign = Object.keys(COMMAND_FLAGS)
    .flatMap((other) => COMMAND_FLAGS[other as CommandName] as readonly string[])
    .find((flag) => !allowed.includes(flag) && values[flag as keyof typeof values] !== undefined);
  if (foreign !== undefined) throw new TypeError(`--${foreign} does not go with '${command}'`);
  const { json } = values;
  if (command === "list") {
    if (ids.length > 0) throw new TypeError(`'list' takes no id, got '${ids[0]}'`);
    return {
      command: { name: "list", ...(values.event === undefined ? {} : { event: values.event }), json },
      servers,
      connect,
    };
  }
  if (ids.length !== 1) {
    throw new TypeError(
      ids.length === 0 ? `'${command}' needs the schedule's id` : `'${command}' takes one id, got ${ids.length}`,
    );
  }
  const id = ids[0]!;
  switch (command) {
    case "add":
      return { command: addCommand(id, values, json), servers, connect };
    case "describe":
      return {
        command: {
          name: "describe",
          id,
          ...(values.next === undefined ? {} : { next: number("--next", values.next) }),
          ...(values.recent === undefined ? {} : { recent: number("--recent", values.recent) }),
          json,
        },
        servers,
        connect,
      };
    case "backfill": {
      if (values.from === undefined || values.to === undefined) {
        throw new TypeError("'backfill' needs --from ISO and --to ISO");
      }
      return {
        command: {
          name: "backfill",
          id,
          from: parseInstant("--from", values.from),
          to: parseInstant("--to", values.to),
          json,
        },
        servers,
        connect,
      };
    }
    case "pause":
      return {
        command: { name: "pause", id, ...(values.note === undefined ? {} : { note: values.note }), json },
        servers,
        connect,
      };
    default:
      return { command: { name: command, id, json }, servers, connect };
  }
}

/** The flags of `add`, as `parseArgs` returns them. */
interface AddFlags {
  event?: string | undefined;
  period?: string | undefined;
  cron?: string | undefined;
  timezone?: string | undefined;
  at?: string | undefined;
  value?: string | undefined;
  "start-at"?: string | undefined;
  "stop-at"?: string | undefined;
  "max-ticks"?: string | undefined;
  "catch-up"?: string | undefined;
  meta?: string[] | undefined;
}

function addCommand(id: string, flags: AddFlags, json: boolean): SchedulesCommand {
  if (flags.event === undefined) throw new TypeError("'add' needs --event NAME");
  const kinds = (["period", "cron", "at"] as const).filter((kind) => flags[kind] !== undefined);
  if (kinds.length !== 1) {
    throw new TypeError(
      `'add' needs one of --period, --cron and --at, got ${
        kinds.length === 0 ? "none" : kinds.map((kind) => `--${kind}`).join(" and ")
      }`,
    );
  }
  if (flags.timezone !== undefined && flags.cron === undefined) throw new TypeError("--timezone goes with --cron");
  const options: ScheduleOptions = {
    event: flags.value === undefined ? new Event(flags.event, Date) : new Event(flags.event, Object),
    ...(flags.period === undefined ? {} : { period: number("--period", flags.period) }),
    ...(flags.cron === undefined ? {} : { cron: flags.cron }),
    ...(flags.timezone === undefined ? {} : { timezone: flags.timezone }),
    ...(flags.at === undefined ? {} : { at: parseInstant("--at", flags.at) }),
    ...(flags.value === undefined ? {} : { value: jsonOf(flags.value) }),
    ...(flags["start-at"] === undefined ? {} : { startAt: parseInstant("--start-at", flags["start-at"]) }),
    ...(flags["stop-at"] === undefined ? {} : { stopAt: parseInstant("--stop-at", flags["stop-at"]) }),
    ...(flags["max-ticks"] === undefined ? {} : { maxTicks: number("--max-ticks", flags["max-ticks"]) }),
    ...(flags["catch-up"] === undefined ? {} : { catchUp: number("--catch-up", flags["catch-up"]) }),
    meta: metaOf(flags.meta),
  };
  return { name: "add", id, options, json };
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TypeError(`--value must be JSON, got '${text}' (${messageOf(error)})`);
  }
}

/**
 * The events a command's connection needs: for `add`, its event (`Object`
 * with `--value`, else `Date`); none for the others, which manage every
 * event's schedules.
 */
export function eventsOf(command: SchedulesCommand): Event[] {
  return command.name === "add" ? [command.options.event] : [];
}

/**
 * Runs a command on a connection made for {@link eventsOf} its events, and
 * writes its output.
 *
 * @returns the exit code: 0 done, 1 no such schedule, 2 bad input the library refused
 * @throws what the connection throws but `SCHEDULE_NOT_FOUND`, `TypeError` and `RangeError`
 */
export async function runSchedulesCommand(
  command: SchedulesCommand,
  conn: SchedulesConnection,
  output: Output,
): Promise<number> {
  try {
    for (const line of await linesOf(command, conn)) output.out(line);
    return 0;
  } catch (error) {
    if (error instanceof WalnatsError && error.code === "SCHEDULE_NOT_FOUND") {
      output.err(error.message);
      return 1;
    }
    if (error instanceof TypeError || error instanceof RangeError) {
      output.err(error.message);
      return 2;
    }
    throw error;
  }
}

async function linesOf(command: SchedulesCommand, conn: SchedulesConnection): Promise<string[]> {
  const { json } = command;
  switch (command.name) {
    case "add": {
      await conn.register();
      const info = await conn.upsert(command.id, command.options);
      return json ? [JSON.stringify(infoJson(info))] : [`Stored schedule '${info.id}': ${scheduleText(info)}.`];
    }
    case "list": {
      const event = command.event === undefined ? undefined : new Event(command.event, Uint8Array);
      const rows: ScheduleDescription[] = [];
      const mixed = new Map<string, readonly string[]>();
      for await (const info of conn.list(event === undefined ? {} : { event })) {
        if (info.mixedKinds) mixed.set(info.event, info.mixedKinds);
        const described = await describeIfAny(conn, info.id);
        if (described !== undefined) rows.push(described);
      }
      rows.sort((a, b) => a.schedule.id < b.schedule.id ? -1 : a.schedule.id > b.schedule.id ? 1 : 0);
      // An event whose schedules mix payload kinds has fires its actors cannot all decode: say so under the table.
      const warnings = [...mixed].map(([name, kinds]) =>
        `Event '${name}' has schedules of payload kinds ${kinds.join(", ")}: its actors cannot decode the fires of ` +
        `some; see each schedule's "kind" with --json, then delete those of the odd kind or add them again.`
      );
      const withKinds = (row: ScheduleDescription) => {
        const kinds = mixed.get(row.schedule.event);
        return kinds === undefined ? row : { ...row, schedule: { ...row.schedule, mixedKinds: kinds } };
      };
      return json ? [JSON.stringify(rows.map(withKinds).map(descriptionJson))] : [...formatList(rows), ...warnings];
    }
    case "describe": {
      const described = await conn.describe(command.id, {
        ...(command.next === undefined ? {} : { next: command.next }),
        ...(command.recent === undefined ? {} : { recent: command.recent }),
      });
      return json ? [JSON.stringify(descriptionJson(described))] : formatDescription(described);
    }
    case "trigger": {
      const fire = await conn.trigger(command.id);
      if (json) {
        const tick = fire.tick.toISOString();
        return [JSON.stringify({ id: command.id, tick, seq: fire.seq, duplicate: fire.duplicate })];
      }
      const tick = formatInstant(fire.tick.getTime());
      return [
        fire.duplicate
          ? `Schedule '${command.id}' was already triggered at ${tick} (seq ${fire.seq}): nothing stored.`
          : `Triggered schedule '${command.id}': tick ${tick}, seq ${fire.seq}.`,
      ];
    }
    case "backfill": {
      const { stored, skipped } = await conn.backfill(command.id, { from: command.from, to: command.to });
      return json
        ? [JSON.stringify(backfillJson(command.id, stored, skipped))]
        : formatBackfill(command.id, stored, skipped);
    }
    case "pause": {
      const info = await conn.pause(command.id, command.note);
      return json ? [JSON.stringify(infoJson(info))] : [`Paused schedule '${info.id}'.`];
    }
    case "resume": {
      const info = await conn.resume(command.id);
      return json ? [JSON.stringify(infoJson(info))] : [`Resumed schedule '${info.id}'.`];
    }
    case "rm":
      await conn.delete(command.id);
      return json ? [JSON.stringify({ id: command.id, deleted: true })] : [`Deleted schedule '${command.id}'.`];
  }
}

/** The description of a listed schedule, or `undefined` when it was deleted since. */
async function describeIfAny(conn: SchedulesConnection, id: string): Promise<ScheduleDescription | undefined> {
  try {
    return await conn.describe(id, { next: 1, recent: 0 });
  } catch (error) {
    if (error instanceof WalnatsError && error.code === "SCHEDULE_NOT_FOUND") return undefined;
    throw error;
  }
}

/** A schedule's kind in words: `every 60 s`, `cron '0 9 * * 1' in Asia/Tokyo`, `at 2026-...`. */
export function scheduleText(info: ScheduleInfo): string {
  if (info.period !== undefined) return `every ${info.period} s`;
  if (info.cron !== undefined) return `cron '${info.cron}' in ${info.timezone ?? "UTC"}`;
  return `at ${info.at === undefined ? "?" : formatInstant(info.at.getTime())}`;
}

/** The table of `list`: a header and a row per schedule, columns aligned; a sentence when there is none. */
export function formatList(rows: readonly ScheduleDescription[]): string[] {
  if (rows.length === 0) return ["No schedules."];
  return table([
    ["ID", "EVENT", "SCHEDULE", "STATE", "NEXT FIRE"],
    ...rows.map(({ schedule, state, next }) => [
      schedule.id,
      schedule.event,
      scheduleText(schedule),
      state,
      next[0] === undefined ? "-" : formatInstant(next[0].getTime()),
    ]),
  ]);
}

/** The lines of `backfill`: what it stored and skipped, then a row per stored fire. */
export function formatBackfill(id: string, stored: BackfillResult["stored"], skipped: readonly Date[]): string[] {
  const summary = `Backfilled schedule '${id}': stored ${stored.length} fire${stored.length === 1 ? "" : "s"}, ` +
    `skipped ${skipped.length} the stream held.`;
  if (stored.length === 0) return [summary];
  return [
    summary,
    ...table([["TICK", "SEQ"], ...stored.map(({ tick, seq }) => [formatInstant(tick.getTime()), String(seq)])]),
  ];
}

function backfillJson(id: string, stored: BackfillResult["stored"], skipped: readonly Date[]): Record<string, unknown> {
  return {
    id,
    stored: stored.map(({ tick, seq }) => ({ tick: tick.toISOString(), seq })),
    skipped: skipped.map((date) => date.toISOString()),
  };
}

/** A recent fire in a line: its tick, kind, lag and sequence. */
function recentText(fire: RecentFire): string {
  const tick = fire.tick === undefined ? "?" : formatInstant(fire.tick.getTime());
  return `${tick}  ${fire.kind.padEnd(10)}  lag ${fire.lagMs ?? "?"} ms  seq ${fire.seq}`;
}

/** The lines of `describe`: one field a line, names aligned. */
export function formatDescription({ schedule, state, next, lastFire, recent }: ScheduleDescription): string[] {
  const optional = (label: string, value: string | undefined) => value === undefined ? [] : [[label, value]];
  const at = (date: Date | undefined) => date === undefined ? undefined : formatInstant(date.getTime());
  const zone = schedule.cron === undefined || schedule.timezone === undefined || schedule.timezone === "UTC"
    ? undefined
    : schedule.timezone;
  // A zoned cron is written in its zone's wall time: its fires are shown there too, beside the instant.
  const fire = (date: Date) => zone === undefined ? at(date)! : `${at(date)}  ${zonedText(date, zone)} (${zone})`;
  const value = valueJson(schedule.value);
  const meta = Object.entries(schedule.meta).map(([key, text]) => `${key}=${text}`).join(" ");
  const stateText = schedule.paused === undefined
    ? state
    : `paused since ${at(schedule.paused.since)}${schedule.paused.note === "" ? "" : ` (${schedule.paused.note})`}`;
  const pairs = [
    ["id", schedule.id],
    ["event", schedule.event],
    ["schedule", scheduleText(schedule)],
    ["state", stateText],
    ...optional("value", value === undefined ? undefined : JSON.stringify(value)),
    ...optional("start at", at(schedule.startAt)),
    ...optional("stop at", at(schedule.stopAt)),
    ...optional("max ticks", schedule.maxTicks?.toString()),
    ["catch-up", String(schedule.catchUp)],
    ...optional("meta", meta === "" ? undefined : meta),
    ["updated at", at(schedule.updatedAt)!],
    ["revision", String(schedule.revision)],
    ...(next.length === 0 ? [["next fires", "-"]] : next.map((date, i) => [i === 0 ? "next fires" : "", fire(date)])),
    [
      "last fire",
      lastFire === undefined
        ? "-"
        : `${at(lastFire.tick) ?? "?"}  seq ${lastFire.seq}${lastFire.late ? "  (late: caught up)" : ""}`,
    ],
    ...(recent.length === 0
      ? [["recent fires", "-"]]
      : recent.map((fire, i) => [i === 0 ? "recent fires" : "", recentText(fire)])),
  ];
  return table(pairs as string[][]);
}

/** An instant as the wall time of `timezone` with its offset then: `2026-12-07T02:30:00+01:00`. */
function zonedText(date: Date, timezone: string): string {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "longOffset",
  });
  const part = Object.fromEntries(format.formatToParts(date).map(({ type, value }) => [type, value]));
  // longOffset is "GMT+01:00", or "GMT" for no offset.
  const offset = part.timeZoneName === "GMT" ? "+00:00" : part.timeZoneName?.slice(3);
  return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}${offset}`;
}

/** Rows as lines, each column padded to its widest cell, two spaces apart. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  return rows.map((row) => row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  "));
}

/**
 * A payload as JSON: the value as the event decoded it; bytes (a connection
 * without the event) as the JSON they hold, else their text, else base64.
 */
function valueJson(value: unknown): unknown {
  if (!(value instanceof Uint8Array)) return value;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(value);
  } catch {
    return { base64: btoa(String.fromCharCode(...value)) };
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A schedule for `--json`: instants as ISO 8601 text, the value as JSON. */
export function infoJson(info: ScheduleInfo): Record<string, unknown> {
  const { value, ...rest } = info;
  const json = valueJson(value);
  return JSON.parse(JSON.stringify({ ...rest, ...(json === undefined ? {} : { value: json }) }));
}

/** A description for `--json`. */
export function descriptionJson(
  { schedule, state, next, lastFire, recent }: ScheduleDescription,
): Record<string, unknown> {
  return {
    schedule: infoJson(schedule),
    state,
    next: next.map((date) => date.toISOString()),
    ...(lastFire === undefined ? {} : {
      lastFire: { tick: lastFire.tick?.toISOString() ?? null, seq: lastFire.seq, late: lastFire.late },
    }),
    recent: recent.map((fire) => ({
      tick: fire.tick?.toISOString() ?? null,
      kind: fire.kind,
      lagMs: fire.lagMs ?? null,
      seq: fire.seq,
      storedAt: fire.storedAt.toISOString(),
    })),
  };
}

/** Opens the connection of a command: `Schedules.connect()` on the server, or a test's backend. */
export type SchedulesConnector = (schedules: Schedules, options: ConnectOptions) => Promise<SchedulesConnection>;

const natsConnector: SchedulesConnector = (schedules, options) => schedules.connect(options);

const consoleOutput: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };

/**
 * Runs the command and returns its exit code: 0 done, 1 no such schedule
 * (the message names the id) or the server failed, 2 bad flags. No line it
 * writes holds a password, a token, a seed or a JWT.
 *
 * @param args the command-line arguments
 * @param output where to write (default: the console)
 * @param connector how to connect (default: to the NATS server of the flags)
 * @returns the exit code
 */
export async function main(
  args: readonly string[],
  output: Output = consoleOutput,
  connector: SchedulesConnector = natsConnector,
): Promise<number> {
  let parsed: SchedulesArgs;
  let options: ConnectOptions;
  let secrets: readonly string[];
  try {
    parsed = parseSchedulesArgs(args);
    if (parsed.command === undefined) {
      output.out(SCHEDULES_USAGE);
      return 0;
    }
    if (parsed.servers === undefined) {
      throw new TypeError(
        "deno task schedules needs --server URL or NATS_URL: it manages the schedules of a server you run",
      );
    }
    options = { ...parsed.connect, servers: parsed.servers, name: `walnats-schedules ${parsed.command.name}` };
    secrets = resolveConnectOptions(options).secrets;
  } catch (error) {
    output.err(flagErrorText(error, "deno task schedules"));
    return 2;
  }
  const safe: Output = {
    out: (line) => output.out(redact(line, secrets)),
    err: (line) => output.err(redact(line, secrets)),
  };
  try {
    await using conn = await connector(new Schedules(...eventsOf(parsed.command)), options);
    return await runSchedulesCommand(parsed.command, conn, safe);
  } catch (error) {
    if (!(error instanceof WalnatsError)) throw error;
    safe.err(error.message);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
