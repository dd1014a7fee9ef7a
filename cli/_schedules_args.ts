/**
 * The schedules command's parsing: its usage text and its command line read
 * into a {@linkcode SchedulesCommand} (cli/schedules.ts runs it).
 *
 * Internal module (leading underscore): not part of the published API.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { checkDst } from "../src/core/dst_policy.ts";
import { messageOf } from "../src/errors.ts";
import { Event } from "../src/events/event.ts";
import type { ConnectOptions } from "../src/nats/connect_options.ts";
import type { ScheduleOptions } from "../src/schedules/schedules_connection.ts";
import { CONNECT_ARG_OPTIONS, CONNECT_USAGE, connectOptions, metaOf, number, serversOf } from "./_connect_flags.ts";
import { parseInstant } from "./_instant.ts";

/** The command's usage text, printed by `--help`. */
export const SCHEDULES_USAGE = `Usage: deno task schedules <command> [options] --server URL

Manages schedules as data: each fires its event at its ticks, exactly once,
while a worker runs (deno task run --schedules).

Commands:
  add ID --event NAME (--period S | --cron EXPR [--timezone TZ]
      [--dst-gap shift|skip] [--dst-repeat first|last|both] | --at ISO)
      [--value JSON] [--start-at ISO] [--stop-at ISO] [--max-ticks N]
      [--catch-up N] [--jitter S] [--pause-on-failure] [--meta KEY=VALUE ...]
                     creates the schedule ID or replaces its spec (a paused
                     one stays paused); registers the event's stream and the
                     schedules' bucket first. With --value, each fire carries
                     that JSON; without, the fire's instant. --jitter S sends
                     each fire up to S seconds after its tick (the same offset
                     on every worker; below the period). --dst-gap and
                     --dst-repeat choose what the cron does across a DST
                     change (default: classic cron's rules). With
                     --pause-on-failure, an actor that gives up a fire
                     pauses the schedule, with a note saying why
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
    "dst-gap",
    "dst-repeat",
    "at",
    "value",
    "start-at",
    "stop-at",
    "max-ticks",
    "catch-up",
    "jitter",
    "pause-on-failure",
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
      "dst-gap": { type: "string" },
      "dst-repeat": { type: "string" },
      at: { type: "string" },
      value: { type: "string" },
      "start-at": { type: "string" },
      "stop-at": { type: "string" },
      "max-ticks": { type: "string" },
      "catch-up": { type: "string" },
      jitter: { type: "string" },
      "pause-on-failure": { type: "boolean" },
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
  "dst-gap"?: string | undefined;
  "dst-repeat"?: string | undefined;
  at?: string | undefined;
  value?: string | undefined;
  "start-at"?: string | undefined;
  "stop-at"?: string | undefined;
  "max-ticks"?: string | undefined;
  "catch-up"?: string | undefined;
  jitter?: string | undefined;
  "pause-on-failure"?: boolean | undefined;
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
  const { "dst-gap": gap, "dst-repeat": repeat } = flags;
  const dst = checkDst(
    { ...(gap === undefined ? {} : { gap }), ...(repeat === undefined ? {} : { repeat }) },
    "--dst-gap, --dst-repeat",
  );
  if (dst !== undefined && flags.cron === undefined) {
    const given = Object.entries(dst).map(([field, choice]) => `--dst-${field} ${choice}`).join(" ");
    throw new RangeError(`--dst-gap and --dst-repeat go with --cron, got ${given} without one`);
  }
  const options: ScheduleOptions = {
    event: flags.value === undefined ? new Event(flags.event, Date) : new Event(flags.event, Object),
    ...(flags.period === undefined ? {} : { period: number("--period", flags.period) }),
    ...(flags.cron === undefined ? {} : { cron: flags.cron }),
    ...(flags.timezone === undefined ? {} : { timezone: flags.timezone }),
    ...(dst === undefined ? {} : { dst }),
    ...(flags.at === undefined ? {} : { at: parseInstant("--at", flags.at) }),
    ...(flags.value === undefined ? {} : { value: jsonOf(flags.value) }),
    ...(flags["start-at"] === undefined ? {} : { startAt: parseInstant("--start-at", flags["start-at"]) }),
    ...(flags["stop-at"] === undefined ? {} : { stopAt: parseInstant("--stop-at", flags["stop-at"]) }),
    ...(flags["max-ticks"] === undefined ? {} : { maxTicks: number("--max-ticks", flags["max-ticks"]) }),
    ...(flags["catch-up"] === undefined ? {} : { catchUp: number("--catch-up", flags["catch-up"]) }),
    ...(flags.jitter === undefined ? {} : { jitter: number("--jitter", flags.jitter) }),
    ...(flags["pause-on-failure"] ? { pauseOnFailure: true } : {}),
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
