/**
 * Periodic and scheduled events on NATS JetStream: clocks that emit an event
 * at every tick of a schedule, exactly once however many of them run.
 *
 * @example Run a clock that emits `minute-passed` every minute
 * ```ts ignore
 * import { Clock, Events } from "@walnats/clock";
 *
 * const clock = new Clock();
 * await using conn = await new Events(clock.event).connect({ servers: "nats://127.0.0.1:4222" });
 * await conn.register();
 * await clock.run(conn, { onTick: (report) => console.log(report.outcome, report.tick) });
 * ```
 *
 * @module
 */
export { Actor } from "./src/actors/actor.ts";
export { Actors } from "./src/connect.ts";
export { Clock } from "./src/clock/clock.ts";
export { ConsumerConflictError, ErrorCode, isWalnatsError, StreamConflictError, WalnatsError } from "./src/errors.ts";
export { Event } from "./src/events/event.ts";
export { Events } from "./src/connect.ts";
export { filterTime } from "./src/core/filter_time.ts";
export { formatInstant } from "./src/events/serializer.ts";
export { Schedules } from "./src/connect.ts";
export { SchedulesConnection } from "./src/schedules/schedules_connection.ts";
export { systemTime } from "./src/core/time_source.ts";

export type { ActorOptions, Handler, JobContext, JobEvent, OverlapPolicy, SkipReason } from "./src/actors/actor.ts";
export type { ActorsConnection, ListenOptions } from "./src/actors/actors_connection.ts";
export type { Backend } from "./src/backend.ts";
export type { ClockOptions, RunOptions } from "./src/clock/clock.ts";
export type { MissedReason, TickReport } from "./src/clock/tick_report.ts";
export type { ConnectionStatus } from "./src/events/connection_status.ts";
export type { EventOptions, Limits } from "./src/events/event.ts";
export type { TimeFilter } from "./src/core/filter_time.ts";
export type { DstGap, DstPolicy, DstRepeat } from "./src/core/dst_policy.ts";
export type { NatsClient } from "./src/nats/connect.ts";
export type { ConnectOptions, TlsOptions } from "./src/nats/connect_options.ts";
export type { EmitOptions, EventsConnection } from "./src/events/events_connection.ts";
export type { Publisher, PublishResult, TickMessage } from "./src/events/publisher.ts";
export type { Payload, Schema, Serializer } from "./src/events/serializer.ts";
export type {
  AppliedChange,
  BackfillResult,
  FireKind,
  FireReport,
  RecentFire,
  ResourceReport,
  ScheduleDescription,
  ScheduleInfo,
  ScheduleOptions,
  SchedulesRunOptions,
  TriggeredFire,
} from "./src/schedules/schedules_connection.ts";
export type {
  FireLog,
  FleetMember,
  FleetStore,
  LastFire,
  ScheduleChange,
  SchedulesBackendConnection,
  ScheduleStore,
  StoredFire,
  StoredSchedule,
} from "./src/schedules/stores.ts";
export type { TimeSource } from "./src/core/time_source.ts";
