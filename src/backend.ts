import type { Actor } from "./actors/actor.ts";
import type { ActorsConnection } from "./actors/actors_connection.ts";
import type { Event } from "./events/event.ts";
import type { EventsConnection } from "./events/events_connection.ts";
import type { SchedulesBackendConnection } from "./schedules/stores.ts";

/**
 * A server reached without a network: `MemoryServer` of
 * `@walnats/clock/testing`. `Events.connect()` and `Actors.connect()` take
 * one where they take connect options, so a test moves between memory and a
 * real server by changing one line.
 *
 * @example A backend that refuses every connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Backend, Events } from "@walnats/clock";
 *
 * const closed: Backend = {
 *   connectEvents: () => Promise.reject(new Error("closed")),
 *   connectActors: () => Promise.reject(new Error("closed")),
 * };
 * await assert.rejects(new Events().connect(closed), /closed/);
 * ```
 */
export interface Backend {
  /** Opens a connection for these events. */
  connectEvents(events: readonly Event[]): Promise<EventsConnection>;
  /** Opens a connection for these actors. */
  connectActors(actors: readonly Actor[]): Promise<ActorsConnection>;
  /**
   * Opens a connection for the schedules of these events: what
   * `Schedules.connect()` builds on. Optional: a backend without it cannot
   * hold schedules.
   */
  connectSchedules?(events: readonly Event[]): Promise<SchedulesBackendConnection>;
}

/** Whether a connect target is a {@link Backend}. */
export function isBackend(target: unknown): target is Backend {
  return typeof (target as Backend | undefined)?.connectEvents === "function" &&
    typeof (target as Backend).connectActors === "function";
}
