/**
 * examples/backup_at_midnight.ts for Node.js, in plain JavaScript: a clock
 * emits `hour-passed` every hour, and the actor "backup" runs the backup at
 * the tick of midnight in Berlin only, with 3 attempts a minute, then 5
 * minutes apart. Node 20 has no `using`: the connections are closed in
 * `finally`.
 *
 *     npx jsr add @walnats/clock
 *     NATS_URL=nats://127.0.0.1:4222 node backup_at_midnight.mjs
 */
import { pathToFileURL } from "node:url";
import { Actor, Actors, Clock, Event, Events, filterTime } from "@walnats/clock";

/** `hour-passed`, every hour on the hour. */
export const clock = new Clock({ event: new Event("hour-passed", Date), period: 3600 });

/** The actor "backup": calls `backup(tick, context)` when the tick is 00:00 on Berlin's wall clock. */
export function backupActor(backup) {
  return new Actor(
    "backup",
    clock.event,
    filterTime({ hour: 0, timezone: "Europe/Berlin" }, backup),
    { maxAttempts: 3, retryDelay: [60, 300], ackWait: 60 },
  );
}

/**
 * Registers the event and the actor, then runs the clock and the actor until
 * `signal` aborts. `target` is the NATS server (`{ servers }`), or the
 * MemoryServer of a test.
 */
export async function runBackupAtMidnight(target, signal, backup) {
  const events = await new Events(clock.event).connect(target);
  try {
    await events.register();
    const actors = await new Actors(backupActor(backup)).connect(target);
    try {
      await actors.register(); // the "backup" consumer: from now on it gets every tick
      await Promise.all([clock.run(events, { signal }), actors.listen({ signal })]);
    } finally {
      await actors.close();
    }
  } finally {
    await events.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  const servers = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  await runBackupAtMidnight({ servers }, stop.signal, (tick) => {
    console.log("backing up the night of", tick.toISOString());
  });
}
