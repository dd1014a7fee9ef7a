import { type Backend, isBackend } from "./backend.ts";
import type { Event } from "./events/event.ts";
import { checkedEvents } from "./events.ts";
import { dialOrAdopt, type NatsClient } from "./nats/connect.ts";
import type { ConnectOptions } from "./nats/connect_options.ts";
import { connectNatsSchedules } from "./nats/schedule_store.ts";
import { SchedulesConnection } from "./schedules/schedules_connection.ts";

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
