/**
 * Reminders as data: each user has a schedule of their own (every second,
 * a cron expression, every 1.5 s), created at runtime with the user and the
 * text as the payload of its fires. A worker fires them; the actor
 * "send-reminder" handles every fire, knowing its schedule and its tick.
 * Halfway, one user goes on holiday: their schedule is paused, and their
 * reminders stop while the others go on. At the end the schedules are
 * deleted, so that the example can run again.
 *
 *     deno run -A examples/reminders.ts [nats://127.0.0.1:4222]
 */
import { Actor, Actors, type Backend, type ConnectOptions, Event, Schedules } from "../mod.ts";

/** What a reminder's fire carries. */
export interface Reminder {
  user: string;
  text: string;
}

/** One handled reminder: the schedule, the tick it was due at, and what it says. */
export interface Handled extends Reminder {
  schedule: string;
  tick: string;
}

export const reminder = new Event("reminder", Object, { description: "A user's reminder is due" });

/** The users and their reminders: each gets a schedule `remind-<user>`. */
export const USERS = [
  { user: "ada", text: "stand up and stretch", period: 1 },
  { user: "bob", text: "drink some water", cron: "*/2 * * * * *" },
  { user: "cy", text: "look away from the screen", period: 1.5 },
] as const;

/** The user who goes on holiday: their schedule is paused halfway. */
export const ON_HOLIDAY = "cy";
/** When the example pauses the holiday-maker's schedule, in ms after the worker starts. */
export const PAUSE_AFTER_MS = 3_500;
/** When the example stops, in ms after the worker starts. */
export const STOP_AFTER_MS = 6_500;

/** The actor "send-reminder": calls `send` with every fire of every user's schedule. */
export function reminderActor(send: (handled: Handled) => unknown): Actor<ObjectConstructor> {
  return new Actor("send-reminder", reminder, (payload, { tick, schedule }) => {
    const { user, text } = payload as Reminder;
    return send({ schedule: schedule ?? "-", tick: tick?.toISOString() ?? "-", user, text });
  });
}

/**
 * Creates a schedule per user, runs a worker and the actor, pauses
 * {@link ON_HOLIDAY}'s schedule after {@link PAUSE_AFTER_MS}, stops after
 * {@link STOP_AFTER_MS} and deletes the schedules. The time is the
 * connection's: a `MemoryServer`'s fake time in tests.
 *
 * @returns when the schedule was paused
 */
export async function runReminders(
  target: ConnectOptions | Backend,
  send: (handled: Handled) => unknown,
): Promise<{ pausedAt: Date }> {
  await using schedules = await new Schedules(reminder).connect(target);
  await schedules.register();
  for (const { user, text, ...spec } of USERS) {
    await schedules.upsert(`remind-${user}`, { event: reminder, ...spec, value: { user, text } });
  }
  await using actors = await new Actors(reminderActor(send)).connect(target);
  await actors.register(); // before the first fire: an actor gets the messages stored after its registration

  const time = schedules.time;
  const stop = new AbortController();
  const running = Promise.all([schedules.run({ signal: stop.signal }), actors.listen({ signal: stop.signal })]);
  let pausedAt: Date;
  try {
    await time.sleep(PAUSE_AFTER_MS);
    await schedules.pause(`remind-${ON_HOLIDAY}`, "on holiday");
    pausedAt = new Date(time.now());
    await time.sleep(STOP_AFTER_MS - PAUSE_AFTER_MS);
  } finally {
    stop.abort();
    await running;
  }
  for (const { user } of USERS) await schedules.delete(`remind-${user}`);
  return { pausedAt };
}

if (import.meta.main) {
  const servers = Deno.args[0] ?? Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
  const { pausedAt } = await runReminders(
    { servers },
    ({ schedule, tick, user, text }) => console.log(`${tick}  ${schedule}  to ${user}: ${text}`),
  );
  console.log(`Paused remind-${ON_HOLIDAY} at ${pausedAt.toISOString()}; stopped.`);
}
