/**
 * The setup most actor tests share: events and actors connected to one
 * target, both registered.
 *
 * @module
 */
import { type Actor, Actors, type Backend, type ConnectOptions, type Event, Events } from "../mod.ts";

/** Connects and registers the events, then the actors; disposing it closes both connections. */
export async function connectAndRegister(target: Backend | ConnectOptions, events: Event[], actors: Actor[]) {
  const eventsConnection = await new Events(...events).connect(target);
  await eventsConnection.register();
  const actorsConnection = await new Actors(...actors).connect(target);
  await actorsConnection.register();
  return {
    events: eventsConnection,
    actors: actorsConnection,
    [Symbol.asyncDispose]: async () => {
      await actorsConnection.close();
      await eventsConnection.close();
    },
  };
}
