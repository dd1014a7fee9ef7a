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
import { WalnatsError } from "../src/errors.ts";
import { Event } from "../src/events/event.ts";
import { redact, resolveConnectOptions } from "../src/nats/_connect_options.ts";
import type { ConnectOptions } from "../src/nats/connect_options.ts";
import { Schedules } from "../src/connect.ts";
import type { ScheduleDescription, SchedulesConnection } from "../src/schedules/schedules_connection.ts";
import { formatInstant } from "../src/events/serializer.ts";
import { flagErrorText } from "./_flag_errors.ts";
import type { Output } from "./_log.ts";
import { parseSchedulesArgs, SCHEDULES_USAGE, type SchedulesArgs, type SchedulesCommand } from "./_schedules_args.ts";
import {
  backfillJson,
  descriptionJson,
  formatBackfill,
  formatDescription,
  formatList,
  infoJson,
  scheduleText,
} from "./_schedules_format.ts";

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
