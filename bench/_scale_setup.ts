/**
 * What the schedules_scale case and its child process share: the events,
 * the 100 specs the 100,000 schedules are drawn from, and writing records
 * straight into the schedules' bucket (many writes in flight at a time).
 *
 * @module
 */
import { encodeRecord, scheduleRecord } from "../src/schedules/_schedule_record.ts";
import type { ScheduleOptions } from "../src/schedules/schedule_types.ts";
import type { ScheduleStore } from "../src/schedules/stores.ts";
import { Clock, Event, Events } from "../mod.ts";
import { preciseNow } from "./_stats.ts";

/** The event of the 100,000 schedules: a small JSON value per fire. */
export const scaleEvent = new Event("bench-scale", Object);
/** The event of the sparse schedule, fired among the 100,000. */
export const sparseEvent = new Event("bench-sparse", Date);
/** The event of the burst's 10,000 schedules. */
export const burstEvent = new Event("bench-burst", Object);
/** The event of the fleet's 30,000 schedules. */
export const fleetEvent = new Event("bench-fleet", Object);
/** Every event of the case, in one `Schedules`. */
export const scaleEvents = [scaleEvent, sparseEvent, burstEvent, fleetEvent];

/** The sparse schedule's period, and its baseline clock's. */
export const SPARSE_PERIOD_MS = 200;
/** The sparse schedule's fires, and its baseline clock's ticks. */
export const SPARSE_FIRES = 150;
/**
 * When the worker's child process creates the sparse schedule, after its start: past V8's one-time memory
 * reduction (about 30 s in, a pause of 25-85 ms at its heap). The parent's same-window clock starts then too.
 */
export const SPARSE_AT_MS = 45_000;

/** How many distinct specs the scale schedules are drawn from. */
export const SPECS = 100;
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"];

/**
 * The `index`-th of the 100 specs: 60 periods of days (1 to 60 days, so
 * none fires during the case) and 40 crons on the 15th of a month at an
 * hour and minute of their own, in five time zones; each with its own
 * small JSON value and, for every other one, a meta header.
 */
export function scaleSpec(index: number): ScheduleOptions {
  const spec = index % SPECS;
  const common = {
    event: scaleEvent,
    value: { kind: "reminder", spec, text: `spec ${spec}` },
    ...(spec % 2 === 0 ? { meta: { "X-Team": `team-${spec % 10}` } } : {}),
  };
  if (spec < 60) return { ...common, period: (spec + 1) * 86_400 };
  const cron = spec - 60;
  return {
    ...common,
    cron: `${cron} ${cron % 24} 15 ${(cron % 6) + 1} *`,
    timezone: ZONES[cron % ZONES.length] ?? "UTC",
  };
}

/**
 * Writes `count` records (`options(i)` under `id(i)`) straight into the
 * store, `inFlight` writes at a time; throws when one was not written.
 *
 * @returns the revision of each, by index
 */
export async function writeRecords(
  store: ScheduleStore,
  count: number,
  id: (index: number) => string,
  options: (index: number) => ScheduleOptions,
  inFlight = 1_000,
): Promise<number[]> {
  const events = new Map(scaleEvents.map((event) => [event.name, event as Event]));
  const revisions: number[] = [];
  for (let from = 0; from < count; from += inFlight) {
    const writes = [];
    for (let index = from; index < Math.min(count, from + inFlight); index++) {
      const record = scheduleRecord(id(index), options(index), events, Date.now());
      writes.push(store.write(record.id, encodeRecord(record), 0));
    }
    for (const revision of await Promise.all(writes)) {
      if (revision === undefined) throw new Error("a schedule was already stored: the bucket was not empty");
      revisions.push(revision);
    }
  }
  return revisions;
}

/** Deletes the records `writeRecords()` wrote, `inFlight` at a time. */
export async function removeRecords(
  store: ScheduleStore,
  id: (index: number) => string,
  revisions: readonly number[],
  inFlight = 1_000,
): Promise<void> {
  for (let from = 0; from < revisions.length; from += inFlight) {
    const removals = revisions.slice(from, from + inFlight).map((revision, offset) =>
      store.remove(id(from + offset), revision)
    );
    if ((await Promise.all(removals)).includes(false)) throw new Error("a schedule changed before it was removed");
  }
}

/**
 * The lags of a clock of the sparse schedule's period (event `name`), from
 * each scheduled instant to the ack (as bench/tick_lag.ts reads them).
 */
export async function sparseClockLags(url: string, name: string): Promise<number[]> {
  const clock = new Clock({ event: new Event(name, Date), period: SPARSE_PERIOD_MS / 1000, maxTicks: SPARSE_FIRES });
  await using events = await new Events(clock.event).connect({ servers: url });
  await events.register();
  const lags: number[] = [];
  await clock.run(events, {
    onTick: (report) => {
      if (report.outcome === "emitted") lags.push(preciseNow() - report.tick.getTime());
    },
  });
  return lags;
}
