/**
 * The schedules command's printing: tables and lines for people, objects for
 * `--json`.
 *
 * Internal module (leading underscore): not part of the published API.
 *
 * @module
 */
import type {
  BackfillResult,
  RecentFire,
  ScheduleDescription,
  ScheduleInfo,
} from "../src/schedules/schedules_connection.ts";
import { formatInstant } from "../src/events/serializer.ts";

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
      // A paused schedule's note says why (an actor's pause on failure names itself and the error).
      schedule.paused?.note ? `${state} (${schedule.paused.note})` : state,
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

/** The result of `backfill` for `--json`: instants as ISO 8601 text. */
export function backfillJson(
  id: string,
  stored: BackfillResult["stored"],
  skipped: readonly Date[],
): Record<string, unknown> {
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
    ...optional(
      "dst",
      schedule.dst && Object.entries(schedule.dst).map(([field, choice]) => `${field} ${choice}`).join(", "),
    ),
    ["state", stateText],
    ...optional("value", value === undefined ? undefined : JSON.stringify(value)),
    ...optional("start at", at(schedule.startAt)),
    ...optional("stop at", at(schedule.stopAt)),
    ...optional("max ticks", schedule.maxTicks?.toString()),
    ["catch-up", String(schedule.catchUp)],
    ...optional("jitter", schedule.jitter === undefined ? undefined : `${schedule.jitter} s`),
    ...optional("on failure", schedule.pauseOnFailure ? "pause (an actor that gives up a fire pauses it)" : undefined),
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
