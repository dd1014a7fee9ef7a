import { describe } from "./_describe.ts";
import { type Backend, isBackend } from "./backend.ts";
import { Event } from "./events/event.ts";
import { dialOrAdopt, type NatsClient } from "./nats/connect.ts";
import type { ConnectOptions } from "./nats/connect_options.ts";
import { NatsEventsConnection } from "./nats/events_connection.ts";
import type { EventsConnection } from "./events/events_connection.ts";

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
export function checkedEvents(events: readonly unknown[], where: string): readonly Event[] {
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
