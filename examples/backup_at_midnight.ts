/**
 * A nightly backup: a clock emits `minute-passed` every minute, and the actor
 * "backup" runs the backup at the tick of midnight in Berlin only. However
 * many copies of this process run, each tick is stored once and the backup
 * runs once per night; a failed backup is tried again.
 *
 *     NATS_URL=nats://127.0.0.1:4222 deno run -A examples/backup_at_midnight.ts
 */
import { Actor, Actors, Clock, Events, filterTime, type JobContext, systemTime, type TimeSource } from "../mod.ts";

/** `minute-passed`, every 60 s. */
export const clock = new Clock();

/**
 * The actor "backup": at each minute's tick it calls `backup`, but only when
 * the tick is 00:00 on Berlin's wall clock.
 */
export function backupActor(backup: (tick: Date, context: JobContext) => unknown): Actor<DateConstructor> {
  return new Actor(
    "backup",
    clock.event,
    filterTime({ hour: 0, minute: 0, timezone: "Europe/Berlin" }, backup),
    { maxAttempts: 3, retryDelay: [60, 300], ackWait: 60 },
  );
}

/**
 * Registers the event and the actor, then runs the clock and the actor until
 * `signal` aborts.
 *
 * @param servers the NATS server
 * @param signal stops the clock and the actor
 * @param time where the clock reads the time
 * @param backup called with the tick of each Berlin midnight
 */
export async function runBackupAtMidnight(
  servers: string,
  signal: AbortSignal,
  time: TimeSource,
  backup: (tick: Date, context: JobContext) => unknown,
): Promise<void> {
  await using events = await new Events(clock.event).connect({ servers });
  await events.register();
  await using actors = await new Actors(backupActor(backup)).connect({ servers });
  await actors.register(); // the "backup" consumer: from now on it gets every tick
  await Promise.all([
    clock.run(events, { signal, time }),
    actors.listen({ signal }),
  ]);
}

if (import.meta.main) {
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  const servers = Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
  await runBackupAtMidnight(servers, stop.signal, systemTime, (tick) => {
    console.log("backing up the night of", tick.toISOString());
  });
}
