import type { AttemptNotes } from "../src/actors/_delivery.ts";
import { describe } from "../src/_describe.ts";
import type { Actor } from "../src/actors/actor.ts";
import type { ActorsConnection } from "../src/actors/actors_connection.ts";
import type { Backend } from "../src/backend.ts";
import type { Event } from "../src/events/event.ts";
import type { EventsConnection } from "../src/events/events_connection.ts";
import { systemTime, type TimeSource } from "../src/core/time_source.ts";
import { promiseTry } from "../src/_async.ts";
import { streamNotFound } from "../src/errors.ts";
import type { RecordBucket } from "../src/events/_pause_request.ts";
import { SCHEDULES_BUCKET } from "../src/schedules/stores.ts";
import { MemoryActorsConnection } from "./_memory_actors.ts";
import { MemoryEventsConnection } from "./_memory_events.ts";
import { MemoryLeaseStore } from "./_memory_leases.ts";
import { MemoryFireLog, MemoryFleetStore, MemoryScheduleBucket, MemoryScheduleStore } from "./_memory_schedules.ts";
import type { SchedulesBackendConnection } from "../src/schedules/stores.ts";
import type { MemoryStream } from "./_memory_stream.ts";
import type { StoredMessage } from "./stored_message.ts";

export type { StoredMessage } from "./stored_message.ts";

/**
 * A NATS server with JetStream, in memory, for tests: pass it to
 * `Events.connect()` and `Actors.connect()` where the options of a real
 * server would go. It keeps the semantics a handler relies on: one stream
 * per event, ids dropped as duplicates within the duplicate window, the
 * tick ledger, one durable consumer per actor name shared by its listeners
 * and delivering messages stored after it was registered, retries after
 * `retryDelay` up to `maxAttempts`, delayed emits, `jobTimeout`, the
 * `overlap` policies (their leases, renewals and expiry). Everything
 * runs on the server's time: give it a `FakeTime` and move that.
 *
 * Not simulated: stream limits other than the duplicate window, ack waits
 * running out (no process can crash here), the network.
 *
 * Schedules (`Schedules.connect(server)`) keep their bucket, ledgers and
 * fleet here too. The fleet keeps what it does on NATS with its own
 * timing: workers beat once a minute of the server's time (not every
 * 0.3 s: a fake week of a worker costs about 0.2 s, not 9 s); they share
 * the schedules, each fire attempted by one of them; a worker that joins
 * or leaves is seen by the others at the same instant (this fleet tells
 * them); one that dies without leaving is taken over within 6 min 0.2 s.
 *
 * @example A clock and an actor on fake time
 * ```ts
 * import assert from "node:assert/strict";
 * import { Actor, Actors, Clock, Events } from "@walnats/clock";
 * import { FakeTime, MemoryServer } from "@walnats/clock/testing";
 *
 * using time = new FakeTime("2026-11-26T16:14:30Z");
 * const server = new MemoryServer(time); // or { servers: "nats://127.0.0.1:4222" }
 * const clock = new Clock();
 * const seen: string[] = [];
 * const log = new Actor("log", clock.event, (tick) => void seen.push(tick.toISOString()));
 * await using events = await new Events(clock.event).connect(server);
 * await events.register();
 * await using actors = await new Actors(log).connect(server);
 * await actors.register();
 *
 * const stop = new AbortController();
 * const running = Promise.all([clock.run(events, stop), actors.listen(stop)]);
 * await time.tickAsync(2 * 60_000);
 * stop.abort();
 * await running;
 * assert.deepEqual(seen, ["2026-11-26T16:15:00.000Z", "2026-11-26T16:16:00.000Z"]);
 * ```
 */
export class MemoryServer implements Backend {
  /** The time the server, and the clocks and actors connected to it, run on. */
  readonly time: TimeSource;
  readonly #streams = new Map<string, MemoryStream>();
  readonly #firstAttempts = new Map<string, number>();
  readonly #leases = new MemoryLeaseStore();
  readonly #schedules = new MemoryScheduleBucket();
  readonly #fleet: MemoryFleetStore;

  /**
   * Creates an empty server.
   *
   * @param time the time everything connected runs on, usually a `FakeTime`; default the system's
   * @throws {TypeError} when `time` is not a TimeSource
   */
  constructor(time: TimeSource = systemTime) {
    if (typeof time?.now !== "function" || typeof time.sleep !== "function") {
      throw new TypeError(
        `Cannot create MemoryServer: 'time' must be a TimeSource (now() and sleep()), got ${describe(time)}`,
      );
    }
    this.time = time;
    this.#fleet = new MemoryFleetStore(time);
  }

  /**
   * The messages stored for an event, oldest first: what a test checks
   * after its clocks and emits ran.
   *
   * @param event the event
   * @returns its stream's messages; none when it is not registered
   */
  messages(event: Event): readonly StoredMessage[] {
    return [...(this.#streams.get(event.stream)?.messages ?? [])];
  }

  /** Opens a connection for events: what `Events.connect(server)` returns. */
  connectEvents(events: readonly Event[]): Promise<EventsConnection> {
    return Promise.resolve(new MemoryEventsConnection(this.#streams, events, this.time));
  }

  /** Opens a connection for actors: what `Actors.connect(server)` returns. */
  connectActors(actors: readonly Actor[]): Promise<ActorsConnection> {
    return Promise.resolve(
      new MemoryActorsConnection(this.#streams, actors, this.time, this.#notes(), this.#leases, this.#records()),
    );
  }

  /** Opens a connection for schedules: what `Schedules.connect(server)` builds on. */
  connectSchedules(events: readonly Event[]): Promise<SchedulesBackendConnection> {
    return Promise.resolve({
      events: new MemoryEventsConnection(this.#streams, events, this.time),
      store: new MemoryScheduleStore(this.#schedules, this.#streams),
      fleet: this.#fleet,
      fires: new MemoryFireLog(this.#streams),
    });
  }

  /** The schedules' bucket, for the actors that pause a schedule on failure; it is the server's only bucket. */
  #records(): RecordBucket {
    const bucket = (name: string) => {
      if (name !== SCHEDULES_BUCKET || !this.#schedules.registered) throw streamNotFound(`KV_${name}`);
      return this.#schedules;
    };
    return {
      get: (name, key) => promiseTry(() => bucket(name).get(key)),
      update: (name, key, data, revision) => promiseTry(() => bucket(name).write(key, data, revision) !== undefined),
    };
  }

  #notes(): AttemptNotes {
    const notes = this.#firstAttempts;
    return {
      first: (key, count) => {
        if (!notes.has(key)) notes.set(key, count);
        return Promise.resolve(notes.get(key) ?? count);
      },
      forget: (key) => Promise.resolve(void notes.delete(key)),
    };
  }
}
