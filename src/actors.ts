import { describe } from "./_describe.ts";
import { Actor } from "./actors/actor.ts";
import { dialOrAdopt, type NatsClient } from "./nats/connect.ts";
import type { ConnectOptions } from "./nats/connect_options.ts";
import type { ActorsConnection } from "./actors/actors_connection.ts";
import { type Backend, isBackend } from "./backend.ts";
import { NatsActorsConnection } from "./nats/actors_connection.ts";

/**
 * The actors of a process. Connect it to a NATS server to create their
 * consumers and run them.
 *
 * @example Run an actor until Ctrl-C
 * ```ts ignore
 * import { Actor, Actors, Event } from "@walnats/clock";
 *
 * const minute = new Event("minute-passed", Date);
 * const actors = new Actors(new Actor("say-hi", minute, (tick) => console.log("hi at", tick)));
 * await using sub = await actors.connect({ servers: "nats://127.0.0.1:4222" });
 * await sub.register();
 * await sub.listen();
 * ```
 */
export class Actors {
  /** The actors, in the order given. */
  readonly actors: readonly Actor[];

  /**
   * Collects actors to run them together.
   *
   * @param actors the actors; no two with the same name on the same event
   * @throws {TypeError} when an argument is not an Actor, or two share a consumer
   */
  constructor(...actors: Actor[]) {
    const seen = new Set<string>();
    for (const [index, actor] of actors.entries()) {
      if (!(actor instanceof Actor)) {
        throw new TypeError(`Cannot create Actors: argument ${index + 1} must be an Actor, got ${describe(actor)}`);
      }
      const key = `${actor.event.stream}/${actor.name}`;
      if (seen.has(key)) {
        throw new TypeError(`Cannot create Actors: two actors named '${actor.name}' on event '${actor.event.name}'`);
      }
      seen.add(key);
    }
    this.actors = Object.freeze([...actors]);
  }

  /**
   * Connects to a NATS server with JetStream, or adopts an open nats.js
   * connection (left open by `close()`); or connects to a {@link Backend}:
   * the in-memory server of `@walnats/clock/testing`.
   *
   * @param target connect options, an open nats.js `NatsConnection`, or a `Backend`
   * @returns the connection
   * @throws {WalnatsError} `CONNECTION_FAILED`, `SERVER_TOO_OLD`, `JETSTREAM_NOT_ENABLED`
   */
  async connect(target: ConnectOptions | NatsClient | Backend): Promise<ActorsConnection> {
    if (isBackend(target)) return await target.connectActors(this.actors);
    return new NatsActorsConnection(await dialOrAdopt(target), this.actors);
  }
}
