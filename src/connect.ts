/**
 * What an application connects: {@link Events} (streams, emit, clocks), {@link Actors} (consumers, handlers)
 * and {@link Schedules} (schedules as data and their workers), to a NATS server or a `Backend`. The one file
 * outside `src/nats/` that dials NATS.
 *
 * @module
 */
import { describe } from "./_describe.ts";
import { type Backend, isBackend } from "./backend.ts";
import { Event } from "./events/event.ts";
import { dialOrAdopt, type NatsClient } from "./nats/connect.ts";
import type { ConnectOptions } from "./nats/connect_options.ts";
import { NatsEventsConnection } from "./nats/events_connection.ts";
import type { EventsConnection } from "./events/events_connection.ts";
import { Actor } from "./actors/actor.ts";
import type { ActorsConnection } from "./actors/actors_connection.ts";
import { NatsActorsConnection } from "./nats/actors_connection.ts";
import { connectNatsSchedules } from "./nats/schedule_store.ts";
import { SchedulesConnection } from "./schedules/schedules_connection.ts";

/**
 * The events an application uses. Connect it to a NATS server to register
 * their streams, emit events, and run clocks.
 *
 * @example Register two clock events and emit one tick by hand
 * ```ts ignore
 * import { Clock, Event, Events } from "@walnats/clock";
 *
 * const clock = new Clock();
 * const clock5m = new Clock({ event: new Event("5m-passed", Date), period: 5 * 60 });
 * const events = new Events(clock.event, clock5m.event);
 * await using conn = await events.connect({ servers: "nats://127.0.0.1:4222" });
 * await conn.register();
 * await conn.emit(clock.event, new Date());
 * ```
 */
export class Events {
  /** The events, in the order given. */
  readonly events: readonly Event[];

  /**
   * Collects events to connect them together.
   *
   * @param events the events; no two with the same stream name
   * @throws {TypeError} when an argument is not an Event, or two share a stream
   */
  constructor(...events: Event[]) {
    this.events = checkedEvents(events, "Cannot create Events");
  }

  /**
   * Connects to a NATS server with JetStream (nats-server 2.9 or newer), or
   * adopts a connection you opened with nats.js. A connection opened here
   * reconnects for ever and is closed by `close()`; one you pass in is left
   * open. Or connects to a {@link Backend}: the in-memory server of
   * `@walnats/clock/testing`.
   *
   * @param target connect options, an open nats.js `NatsConnection`, or a `Backend`
   * @returns the connection
   * @throws {WalnatsError} `CONNECTION_FAILED` (with the URL), `SERVER_TOO_OLD`, `JETSTREAM_NOT_ENABLED`
   */
  async connect(target: ConnectOptions | NatsClient | Backend): Promise<EventsConnection> {
    if (isBackend(target)) return await target.connectEvents(this.events);
    return new NatsEventsConnection(await dialOrAdopt(target), this.events);
  }
}

/**
 * The events given to a constructor, checked and frozen.
 *
 * @throws {TypeError} when one is not an Event, or two share a stream
 */
function checkedEvents(events: readonly unknown[], where: string): readonly Event[] {
  const streams = new Map<string, string>();
  for (const [index, event] of events.entries()) {
    if (!(event instanceof Event)) {
      throw new TypeError(`${where}: argument ${index + 1} must be an Event, got ${describe(event)}`);
    }
    const other = streams.get(event.stream);
    if (other !== undefined) {
      throw new TypeError(`${where}: events '${other}' and '${event.name}' share stream '${event.stream}'`);
    }
    streams.set(event.stream, event.name);
  }
  return Object.freeze([...events as Event[]]);
}

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

/**
 * The events whose schedules an application keeps as data. Connect it to
 * get a {@link SchedulesConnection}: create, change, pause and delete
 * schedules at runtime, and run workers that fire them, each fire stored
 * exactly once in its event's stream.
 *
 * @example Fire a reminder every Monday at 09:00 in Tokyo
 * ```ts
 * import assert from "node:assert/strict";
 * import { Event, Schedules } from "@walnats/clock";
 * import { FakeTime, MemoryServer } from "@walnats/clock/testing";
 *
 * using time = new FakeTime("2026-11-29T00:00:00Z");
 * const reminder = new Event("reminder", Object);
 * const server = new MemoryServer(time); // or { servers: "nats://127.0.0.1:4222" }
 * await using schedules = await new Schedules(reminder).connect(server);
 * await schedules.register();
 * await schedules.upsert("user-42-weekly", {
 *   event: reminder,
 *   cron: "0 9 * * 1",
 *   timezone: "Asia/Tokyo",
 *   value: { user: 42, text: "weekly report" },
 * });
 *
 * const stop = new AbortController();
 * const worker = schedules.run({ signal: stop.signal });
 * await time.tickAsync(2 * 24 * 3600_000);
 * stop.abort();
 * await worker;
 * const [fire] = server.messages(reminder);
 * assert.equal(fire?.headers["Walnats-Schedule"], "user-42-weekly");
 * assert.equal(fire?.headers["Walnats-Tick"], String(Date.parse("2026-11-30T00:00:00Z")));
 * ```
 */
export class Schedules {
  /** The events, in the order given. */
  readonly events: readonly Event[];

  /**
   * Collects the events schedules may fire.
   *
   * @param events the events; no two with the same stream name
   * @throws {TypeError} when an argument is not an Event, or two share a stream
   */
  constructor(...events: Event[]) {
    this.events = checkedEvents(events, "Cannot create Schedules");
  }

  /**
   * Connects to a NATS server with JetStream (nats-server 2.9 or newer), or
   * adopts a connection you opened with nats.js, as `Events.connect()` does;
   * or connects to a {@link Backend} that can hold schedules: the in-memory
   * server of `@walnats/clock/testing`.
   *
   * @param target connect options, an open nats.js `NatsConnection`, or a `Backend` with `connectSchedules`
   * @returns the connection
   * @throws {TypeError} when a backend cannot hold schedules
   * @throws {WalnatsError} `CONNECTION_FAILED` (with the URL), `SERVER_TOO_OLD`, `JETSTREAM_NOT_ENABLED`
   */
  async connect(target: ConnectOptions | NatsClient | Backend): Promise<SchedulesConnection> {
    let opened;
    if (isBackend(target)) {
      if (typeof target.connectSchedules !== "function") {
        throw new TypeError("Cannot connect Schedules: the target cannot hold schedules (no connectSchedules())");
      }
      opened = await target.connectSchedules(this.events);
    } else {
      opened = connectNatsSchedules(await dialOrAdopt(target), this.events);
    }
    return new SchedulesConnection(this.events, opened.events, opened.store, {
      fleet: opened.fleet,
      fires: opened.fires,
    });
  }
}
