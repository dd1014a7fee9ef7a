/**
 * A nightly backup: a clock emits `hour-passed` every hour, and the actor
 * "backup" runs the backup at the tick of midnight in Berlin only. However
 * many copies of this process run, each tick is stored once and the backup
 * runs once per night; a failed backup is tried again.
 *
 *     NATS_URL=nats://127.0.0.1:4222 deno run -A examples/backup_at_midnight.ts
 */
import {
  Actor,
  Actors,
  type Backend,
  Clock,
  type ConnectOptions,
  Event,
  Events,
  filterTime,
  type JobContext,
  type TimeSource,
} from "../mod.ts";

/** `hour-passed`, every hour on the hour (UTC, so on the hour in every whole-hour zone). */
export const clock = new Clock({ event: new Event("hour-passed", Date), period: 3600 });

/**
 * The actor "backup": at each hour's tick it calls `backup`, but only when
 * the tick is 00:00 on Berlin's wall clock.
 */
export function backupActor(backup: (tick: Date, context: JobContext) => unknown): Actor<DateConstructor> {
  return new Actor(
    "backup",
    clock.event,
    filterTime({ hour: 0, timezone: "Europe/Berlin" }, backup),
    { maxAttempts: 3, retryDelay: [60, 300], ackWait: 60 },
  );
}

/**
 * Registers the event and the actor, then runs the clock and the actor until
 * `signal` aborts.
 *
 * @param target the NATS server, or the in-memory server of a test
 * @param signal stops the clock and the actor
 * @param backup called with the tick of each Berlin midnight
 * @param time where the clock reads the time; default the server's
 */
export async function runBackupAtMidnight(
  target: ConnectOptions | Backend,
  signal: AbortSignal,
  backup: (tick: Date, context: JobContext) => unknown,
  time?: TimeSource,
): Promise<void> {
  await using events = await new Events(clock.event).connect(target);
  await events.register();
  await using actors = await new Actors(backupActor(backup)).connect(target);
  await actors.register(); // the "backup" consumer: from now on it gets every tick
  await Promise.all([
    clock.run(events, { signal, ...(time === undefined ? {} : { time }) }),
    actors.listen({ signal }),
  ]);
}

if (import.meta.main) {
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  const servers = Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
  await runBackupAtMidnight({ servers }, stop.signal, (tick) => {
    console.log("backing up the night of", tick.toISOString());
  });
}
