/**
 * Wall times of an IANA time zone: the local date and time an instant shows there, and the instants at which
 * a local date and time happens (none in a spring-forward gap, two in a fall-back repeat). A wall time is held
 * as "wall ms": the epoch milliseconds of the same date and time in UTC, so that croner can walk them in UTC.
 *
 * Assumes a zone changes its offset at most once within a day of any instant (true of every zone's rules
 * since 1970; the tightest, Morocco's Ramadan breaks, are weeks apart).
 */

const DAY_MS = 86_400_000;

/** One formatter per zone: building one costs far more than using it. */
const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall time an instant shows in `zone`, to the second, as wall ms. */
export function wallOf(ms: number, zone: string): number {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formats.set(zone, format);
  }
  const field = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const { type, value } of format.formatToParts(ms)) {
    if (type in field) field[type as keyof typeof field] = Number(value);
  }
  return Date.UTC(field.year, field.month - 1, field.day, field.hour, field.minute, field.second);
}

/** The zone's offset from UTC at an instant, in milliseconds (wall time minus instant, to the second). */
export function offsetAt(ms: number, zone: string): number {
  const second = Math.floor(ms / 1000) * 1000;
  return wallOf(second, zone) - second;
}

/** A change of a zone's offset. */
export interface OffsetChange {
  /** The first instant of the new offset, epoch ms (whole seconds). */
  readonly at: number;
  /** The offset before it, in milliseconds. */
  readonly before: number;
  /** The offset from it on, in milliseconds. */
  readonly after: number;
}

/**
 * The zone's offset change in (`fromMs`, `toMs`], found by bisection; `undefined` when the offsets at both
 * ends are the same. For spans of at most a day (a zone changes at most once in one).
 */
export function changeBetween(fromMs: number, toMs: number, zone: string): OffsetChange | undefined {
  const before = offsetAt(fromMs, zone);
  const after = offsetAt(toMs, zone);
  if (before === after) return undefined;
  let low = fromMs;
  let high = toMs;
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (offsetAt(middle, zone) === after) high = middle;
    else low = middle;
  }
  return { at: Math.floor(high / 1000) * 1000, before, after };
}

/** When a wall time happens in a zone. */
export interface WallInstants {
  /** The instants showing the wall time: one, two (a repeated time; the earlier first), none (in a gap). */
  readonly instants: readonly number[];
  /** For a wall time in a gap: the first instant after the gap (the change); else `undefined`. */
  readonly gapEnd?: number;
}

/** The instants at which the wall time `wall` (wall ms, whole seconds) happens in `zone`. */
export function wallInstants(wall: number, zone: string): WallInstants {
  // Any instant showing `wall` is within 14 hours of it: the zone's offsets a day either side bracket it,
  // and the same offset on both sides means one instant.
  const before = offsetAt(wall - DAY_MS, zone);
  const after = offsetAt(wall + DAY_MS, zone);
  if (before === after) return { instants: [wall - before] };
  const instants = [...new Set([wall - before, wall - after])]
    .filter((ms) => wallOf(ms, zone) === wall)
    .sort((a, b) => a - b);
  if (instants.length > 0) return { instants };
  // A gap: the clocks jumped over `wall` between `wall - after` (still the old offset) and `wall - before`.
  const change = changeBetween(wall - after, wall - before, zone);
  return change === undefined ? { instants } : { instants, gapEnd: change.at };
}
