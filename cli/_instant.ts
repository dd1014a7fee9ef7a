/**
 * The instants a user types, in the schedules command's flags (`--at`,
 * `--start-at`, `--stop-at`, `--from`, `--to`) and the configuration file's
 * `startAt` and `stopAt`: ISO 8601 text that says its offset. Text without
 * one is refused rather than read in the host's time zone, which would make
 * the same command store another instant on another host.
 *
 * @module
 */

/** Date and time (seconds and fraction optional), then `Z` or `±HH:MM`; `T` and `Z` in either case. */
const INSTANT =
  /^(?<date>\d{4}-\d{2}-\d{2})T(?<time>\d{2}:\d{2}(?::\d{2})?)(?<fraction>\.\d+)?(?<offset>Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/i;

const EXAMPLES = "e.g. 2026-12-24T18:00:00Z or 2026-12-24T19:00:00+01:00";

/**
 * Reads an instant written as ISO 8601 with `Z` or an offset, e.g.
 * `2026-12-24T18:00:00Z` or `2026-12-24T19:00:00+01:00`; digits past
 * milliseconds are dropped.
 *
 * @param name the flag or field, as the message names it: `--at`, `'startAt'`
 * @param text what the user gave
 * @returns the instant
 * @throws {RangeError} naming `name` and `text` when the text is not such an instant, or has no offset (then saying to
 *   add `Z` or one)
 */
export function parseInstant(name: string, text: string): Date {
  const parts = INSTANT.exec(text)?.groups;
  if (parts === undefined) {
    throw new RangeError(`${name} must be an ISO 8601 instant with Z or an offset (${EXAMPLES}), got '${text}'`);
  }
  const { date, time, fraction = "", offset } = parts as Record<string, string>;
  if (offset === undefined) {
    throw new RangeError(
      `${name} must say its offset, got '${text}': add Z for UTC or the zone's offset (${EXAMPLES}); ` +
        "the host's time zone is never assumed",
    );
  }
  const wall = `${date}T${time!.length === 5 ? `${time}:00` : time}`;
  const instant = new Date(`${wall}${fraction.slice(0, 4)}${offset.toUpperCase()}`);
  // Date reads 2026-02-30 as March 2 and 24:00 as the next day: the wall time must come back as written.
  const utcOffsetMs = offset.toUpperCase() === "Z"
    ? 0
    : (offset[0] === "-" ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4))) * 60_000;
  if (
    Number.isNaN(instant.getTime()) || new Date(instant.getTime() + utcOffsetMs).toISOString().slice(0, 19) !== wall
  ) {
    throw new RangeError(`${name} must be an instant that exists on the calendar (${EXAMPLES}), got '${text}'`);
  }
  return instant;
}
