/**
 * A one-off reminder: when someone signs up, emit `reminder-due` with a delay
 * of 5 days; the actor "send-reminder" sends it then, not before, and tries
 * again if sending fails. The delayed message waits in the stream, so the
 * reminder survives restarts of every process.
 *
 *     NATS_URL=nats://127.0.0.1:4222 deno run -A examples/remind_in_5_days.ts
 */
import { Actor, Actors, Event, Events, type EventsConnection } from "../mod.ts";

/** What the reminder says, to whom, and when it is due (ISO 8601). */
export interface Reminder {
  to: string;
  text: string;
  dueAt: string;
}

/** Five days, in seconds. */
export const FIVE_DAYS = 5 * 24 * 3600;

export const reminderDue = new Event("reminder-due", Object, { description: "A reminder is due to be sent" });

/**
 * Emits the reminder now, to be handled `delaySeconds` from now.
 *
 * @returns the stored reminder
 */
export async function scheduleReminder(
  conn: EventsConnection,
  to: string,
  text: string,
  delaySeconds: number = FIVE_DAYS,
): Promise<Reminder> {
  const reminder = { to, text, dueAt: new Date(Date.now() + delaySeconds * 1000).toISOString() };
  await conn.emit(reminderDue, reminder, { delay: delaySeconds });
  return reminder;
}

/** The actor "send-reminder": calls `send` with each reminder when it is due. */
export function reminderActor(send: (reminder: Reminder) => unknown): Actor<ObjectConstructor> {
  return new Actor("send-reminder", reminderDue, (payload) => send(payload as Reminder), {
    maxAttempts: 10,
    retryDelay: [10, 60, 600],
  });
}

/**
 * Registers the event and the actor, schedules one reminder `delaySeconds`
 * from now, and runs the actor until `signal` aborts.
 */
export async function remindLater(
  servers: string,
  signal: AbortSignal,
  send: (reminder: Reminder) => unknown,
  delaySeconds: number = FIVE_DAYS,
): Promise<void> {
  await using events = await new Events(reminderDue).connect({ servers });
  await events.register();
  await using actors = await new Actors(reminderActor(send)).connect({ servers });
  await actors.register(); // before the emit: an actor gets the messages emitted after its registration
  await scheduleReminder(events, "ada@example.com", "Your trial ends in 2 days", delaySeconds);
  await actors.listen({ signal });
}

if (import.meta.main) {
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  const servers = Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
  await remindLater(servers, stop.signal, (reminder) => console.log(`to ${reminder.to}: ${reminder.text}`));
}
