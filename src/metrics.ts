/**
 * Prometheus metrics of clocks, schedules workers and actors running in your
 * own process: give {@link Metrics.onTick} to `Clock.run()`,
 * {@link Metrics.onFire}, {@link Metrics.onChange} and {@link Metrics.onResource}
 * to a schedules worker's `run()`, {@link Metrics.onEvent} to `listen()`, watch the connections with
 * {@link Metrics.watch}, and serve {@link Metrics.response} at `/metrics`
 * with `Deno.serve`. The command's `--http` serves the same metrics (for
 * clocks and for `--schedules`). `new Metrics({ runs: ["clocks"] })` serves
 * only the families of what the process runs, and the connections'.
 *
 * Every name starts with `walnats_`; times are in seconds.
 *
 * The `schedule` label makes one series per schedule and outcome: a worker
 * with 100,000 schedules exports several hundred thousand series, more than
 * most Prometheus servers want from one target. `new Metrics({ perSchedule:
 * false })` leaves the label out (the fire counters are then per event).
 * A deleted schedule's series go when the worker applies the delete
 * (`onChange`).
 *
 * | metric | type | labels | what |
 * | --- | --- | --- | --- |
 * | `walnats_ticks_total` | counter | `event`, `outcome` | ticks by outcome: `emitted`, `duplicate`, `missed` |
 * | `walnats_ticks_missed_total` | counter | `event`, `reason` | missed ticks by reason: `late`, `unacknowledged`, `stopped` |
 * | `walnats_tick_lag_seconds` | histogram | `event` | from a tick's instant to the stream's answer, acknowledged ticks |
 * | `walnats_last_tick_timestamp_seconds` | gauge | `event` | instant of the latest tick or fire seen stored (emitted or duplicate) |
 * | `walnats_publish_attempts_total` | counter | `event` | publish attempts of ticks and fires |
 * | `walnats_fires_total` | counter | `event`, `schedule`, `outcome` | a schedules worker's fires by outcome: `emitted`, `duplicate`, `missed` |
 * | `walnats_fires_missed_total` | counter | `event`, `schedule`, `reason` | missed fires by reason: `late`, `unacknowledged`, `stopped` |
 * | `walnats_fires_late_total` | counter | `event`, `schedule` | fires this worker stored late (caught up after an outage or a pause) |
 * | `walnats_fire_lag_seconds` | histogram | `event` | from a fire's instant to the stream's answer, acknowledged fires |
 * | `walnats_schedule_changes_total` | counter | `kind` | schedule changes the worker applied: `put` (created, changed, paused, resumed), `delete`, `refused` (a record it cannot read, e.g. a newer version's policy: never fired) |
 * | `walnats_connected` | gauge | `connection` | 1 while connected to NATS, 0 while reconnecting |
 * | `walnats_reconnects_total` | counter | `connection` | reconnects after a lost connection |
 * | `walnats_jobs_total` | counter | `actor`, `outcome` | handler runs: `success`, `failure` (retried), `terminated`, `cancelled` (by a newer fire, `overlap: "cancelOther"`); and `skipped`, messages acked unrun under `overlap` |
 * | `walnats_job_duration_seconds` | histogram | `actor` | duration of successful handler runs |
 * | `walnats_pull_failures_total` | counter | `actor` | failed pulls of messages from the server |
 * | `walnats_schedules_paused_on_failure_total` | counter | `actor` | schedules with `pauseOnFailure` the actor paused when it gave up one of their fires (once per pause: an actor that finds the schedule changed or paused already does not count) |
 * | `walnats_acks_unconfirmed_total` | counter | `actor`, `reply` | acks, naks and terms the server did not confirm before the message's ack wait ran out (it may deliver the message again) |
 * | `walnats_internal_recreated_total` | counter | `resource` | the library's own resources found deleted and made again: `KV_walnats-attempts` (the actors' attempts bucket), `KV_walnats-leases` (their overlap leases), `KV_walnats-workers` (the fleet's) |
 * | `walnats_resource_missing_total` | counter | `resource` | reports that a resource of the user's is missing: `KV_walnats-schedules`, once a second while a schedules worker finds it deleted |
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { describe } from "./_describe.ts";
import type { JobEvent } from "./actors/actor.ts";
import type { MissedReason, TickReport } from "./clock/tick_report.ts";
import type { ConnectionStatus } from "./events/connection_status.ts";
import type { AppliedChange, FireReport, ResourceReport } from "./schedules/schedule_types.ts";

/** Upper bounds of the tick lag buckets, in seconds: milliseconds on a healthy server, up to a minute. */
const LAG_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Upper bounds of the job duration buckets, in seconds. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];
/** Every outcome of a report, and every reason of a missed one: the series a deleted schedule may have. */
const FIRE_OUTCOMES: readonly TickReport["outcome"][] = ["emitted", "duplicate", "missed"];
const MISSED_REASONS: readonly MissedReason[] = ["late", "unacknowledged", "stopped"];
/** What a process can run, each with metric families of its own. */
const RUNS = ["clocks", "schedules", "actors"] as const;

/**
 * Something whose connection can be watched by {@link Metrics.watch}:
 * `Events.connect()`'s and `Actors.connect()`'s connections, or your own.
 *
 * @example A source that tells of one lost connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { Metrics, type StatusSource } from "@walnats/clock/metrics";
 *
 * const flaky: StatusSource = {
 *   async *status() {
 *     yield { type: "disconnected", server: "127.0.0.1:4222" };
 *   },
 * };
 * const metrics = new Metrics();
 * await metrics.watch(flaky, "clocks");
 * assert.match(await metrics.text(), /^walnats_connected\{connection="clocks"\} 0$/m);
 * ```
 */
export interface StatusSource {
  /** The connection's disconnects and reconnects, until it closes; absent when it has none to tell. */
  status?(): AsyncIterable<ConnectionStatus>;
}

/**
 * Options of {@link Metrics}.
 *
 * @example The metrics of a process that runs clocks only
 * ```ts
 * import assert from "node:assert/strict";
 * import { Metrics } from "@walnats/clock/metrics";
 *
 * const text = await new Metrics({ runs: ["clocks"] }).text();
 * assert.match(text, /^# TYPE walnats_ticks_total counter$/m);
 * assert.doesNotMatch(text, /walnats_fires_total|walnats_jobs_total|walnats_schedule_changes_total/);
 * ```
 */
export interface MetricsOptions {
  /**
   * Whether the fire counters have a `schedule` label (default: true). One
   * series per schedule adds up with many schedules: turn it off above a
   * few thousand, and the fires are counted per event.
   */
  perSchedule?: boolean;
  /**
   * What the process runs: only their metric families are served, so that a
   * scrape lists no family that stays empty (default: all three). `clocks`:
   * `walnats_tick*`; `schedules`: `walnats_fire*` and
   * `walnats_schedule_changes_total` and `walnats_resource_missing_total`;
   * both: `walnats_last_tick_timestamp_seconds` and
   * `walnats_publish_attempts_total`; `actors`: `walnats_job*`,
   * `walnats_pull_failures_total`, `walnats_acks_unconfirmed_total` and
   * `walnats_schedules_paused_on_failure_total`;
   * schedules and actors: `walnats_internal_recreated_total`. The
   * connection families are always served. Reports of something not listed
   * are not served.
   */
  runs?: readonly ("clocks" | "schedules" | "actors")[];
}

/**
 * The metrics of one process, in a registry of their own (not prom-client's
 * global one): make one per worker.
 *
 * @example Count the ticks of a clock and serve them
 * ```ts
 * import assert from "node:assert/strict";
 * import { Clock, Event, Events } from "@walnats/clock";
 * import { Metrics } from "@walnats/clock/metrics";
 * import { FakeTime, MemoryServer } from "@walnats/clock/testing";
 *
 * const metrics = new Metrics();
 * using time = new FakeTime("2026-11-26T16:14:59Z");
 * const clock = new Clock({ event: new Event("minute-passed", Date) });
 * await using conn = await new Events(clock.event).connect(new MemoryServer(time));
 * await conn.register();
 * const watching = metrics.watch(conn, "clocks");
 * const done = clock.run(conn, { burst: true, onTick: metrics.onTick });
 * await time.tickAsync(1_000);
 * await done;
 * await watching;
 *
 * // In a real worker: Deno.serve({ port: 9464 }, () => metrics.response());
 * const text = await (await metrics.response()).text();
 * assert.match(text, /^walnats_ticks_total\{event="minute-passed",outcome="emitted"\} 1$/m);
 * assert.match(text, /^walnats_last_tick_timestamp_seconds\{event="minute-passed"\} 1795709700$/m);
 * assert.match(text, /^walnats_connected\{connection="clocks"\} 1$/m);
 * ```
 *
 * @example Count a schedules worker's fires and the changes it applied
 * ```ts
 * import assert from "node:assert/strict";
 * import { Event, Schedules } from "@walnats/clock";
 * import { Metrics } from "@walnats/clock/metrics";
 * import { FakeTime, MemoryServer } from "@walnats/clock/testing";
 *
 * const metrics = new Metrics();
 * using time = new FakeTime("2026-12-01T08:00:00Z");
 * const reminder = new Event("reminder", Object);
 * await using schedules = await new Schedules(reminder).connect(new MemoryServer(time));
 * await schedules.register();
 * await schedules.upsert("user-42", { event: reminder, period: 60, value: { user: 42 } });
 * const stop = new AbortController();
 * const worker = schedules.run({ signal: stop.signal, onTick: metrics.onFire, onChange: metrics.onChange, onResource: metrics.onResource });
 * await time.tickAsync(120_000);
 * stop.abort();
 * await worker;
 *
 * const text = await metrics.text();
 * assert.match(text, /^walnats_fires_total\{event="reminder",schedule="user-42",outcome="emitted"\} 2$/m);
 * assert.match(text, /^walnats_schedule_changes_total\{kind="put"\} 1$/m);
 * ```
 */
export class Metrics {
  /** The `Content-Type` of {@link Metrics.text}: Prometheus's text format 0.0.4. */
  readonly contentType: string;
  readonly #registry = new Registry();
  readonly #ticks: Counter<"event" | "outcome">;
  readonly #missed: Counter<"event" | "reason">;
  readonly #lag: Histogram<"event">;
  readonly #lastTick: Gauge<"event">;
  readonly #attempts: Counter<"event">;
  readonly #connected: Gauge<"connection">;
  readonly #reconnects: Counter<"connection">;
  readonly #jobs: Counter<"actor" | "outcome">;
  readonly #duration: Histogram<"actor">;
  readonly #pullFailures: Counter<"actor">;
  readonly #unconfirmed: Counter<"actor" | "reply">;
  readonly #pausedOnFailure: Counter<"actor">;
  readonly #recreated: Counter<"resource">;
  readonly #missing: Counter<"resource">;
  readonly #fires: Counter<"event" | "schedule" | "outcome">;
  readonly #firesMissed: Counter<"event" | "schedule" | "reason">;
  readonly #firesLate: Counter<"event" | "schedule">;
  readonly #fireLag: Histogram<"event">;
  readonly #changes: Counter<"kind">;
  readonly #perSchedule: boolean;
  /** The events each schedule had fires of (with the `schedule` label): what a delete removes the series of. */
  readonly #eventsOf = new Map<string, Set<string>>();
  /** The latest tick seen stored, per event, in epoch milliseconds: a late catch-up tick does not move it back. */
  readonly #lastTickMs = new Map<string, number>();

  /**
   * Creates the metrics, all at zero, in a registry of their own.
   *
   * @param options `perSchedule`: whether the fire counters have a `schedule` label (default: true);
   * `runs`: what the process runs, whose families are served (default: clocks, schedules and actors)
   * @throws {TypeError} when `runs` is not an array of `clocks`, `schedules` and `actors`
   */
  constructor(options: MetricsOptions = {}) {
    const { runs = RUNS } = options;
    if (!Array.isArray(runs) || !runs.every((run) => RUNS.includes(run))) {
      throw new TypeError(
        `Cannot create Metrics: 'runs' must be an array of 'clocks', 'schedules' and 'actors', got ${describe(runs)}`,
      );
    }
    const registers = [this.#registry];
    /** The registry when the process runs one of `kinds`; none (counted, never served) when not. */
    const servedFor = (...kinds: (typeof RUNS)[number][]) => kinds.some((kind) => runs.includes(kind)) ? registers : [];
    this.#perSchedule = options.perSchedule ?? true;
    const perSchedule = this.#perSchedule ? ["schedule" as const] : [];
    this.contentType = this.#registry.contentType;
    this.#ticks = new Counter({
      name: "walnats_ticks_total",
      help: "Ticks a clock handled, by outcome: emitted (stored by this clock), duplicate (stored by another), missed.",
      labelNames: ["event", "outcome"],
      registers: servedFor("clocks"),
    });
    this.#missed = new Counter({
      name: "walnats_ticks_missed_total",
      help: "Ticks a clock missed, by reason: late (woke after the tick's window), unacknowledged, stopped.",
      labelNames: ["event", "reason"],
      registers: servedFor("clocks"),
    });
    this.#lag = new Histogram({
      name: "walnats_tick_lag_seconds",
      help: "Seconds from a tick's scheduled instant to the stream's answer, for emitted and duplicate ticks.",
      labelNames: ["event"],
      buckets: LAG_BUCKETS_S,
      registers: servedFor("clocks"),
    });
    this.#lastTick = new Gauge({
      name: "walnats_last_tick_timestamp_seconds",
      help:
        "Scheduled instant, in seconds since the epoch, of the latest tick or fire this worker saw stored in the stream.",
      labelNames: ["event"],
      registers: servedFor("clocks", "schedules"),
    });
    this.#attempts = new Counter({
      name: "walnats_publish_attempts_total",
      help: "Attempts at publishing ticks and fires, retries included.",
      labelNames: ["event"],
      registers: servedFor("clocks", "schedules"),
    });
    this.#connected = new Gauge({
      name: "walnats_connected",
      help: "1 while the connection to NATS is up, 0 while it is reconnecting.",
      labelNames: ["connection"],
      registers,
    });
    this.#reconnects = new Counter({
      name: "walnats_reconnects_total",
      help: "Reconnects to NATS after a lost connection.",
      labelNames: ["connection"],
      registers,
    });
    this.#jobs = new Counter({
      name: "walnats_jobs_total",
      help: "Handler runs of an actor, by outcome: success, failure (retried later), terminated (given up), " +
        "cancelled (by a newer fire); skipped: messages acked unrun under overlap control.",
      labelNames: ["actor", "outcome"],
      registers: servedFor("actors"),
    });
    this.#duration = new Histogram({
      name: "walnats_job_duration_seconds",
      help: "Seconds a successful handler run took.",
      labelNames: ["actor"],
      buckets: DURATION_BUCKETS_S,
      registers: servedFor("actors"),
    });
    this.#pullFailures = new Counter({
      name: "walnats_pull_failures_total",
      help: "Failed pulls of messages for an actor.",
      labelNames: ["actor"],
      registers: servedFor("actors"),
    });
    this.#unconfirmed = new Counter({
      name: "walnats_acks_unconfirmed_total",
      help: "Acks, naks and terms the server did not confirm before the message's ack wait ran out.",
      labelNames: ["actor", "reply"],
      registers: servedFor("actors"),
    });
    this.#pausedOnFailure = new Counter({
      name: "walnats_schedules_paused_on_failure_total",
      help: "Schedules with pauseOnFailure an actor paused when it gave up one of their fires.",
      labelNames: ["actor"],
      registers: servedFor("actors"),
    });
    this.#recreated = new Counter({
      name: "walnats_internal_recreated_total",
      help: "The library's own buckets found deleted and made again: KV_walnats-attempts (the actors' attempts), " +
        "KV_walnats-leases (their overlap leases), KV_walnats-workers (the fleet's).",
      labelNames: ["resource"],
      registers: servedFor("actors", "schedules"),
    });
    this.#missing = new Counter({
      name: "walnats_resource_missing_total",
      help: "Reports that a resource of the user's is missing: KV_walnats-schedules (the schedules' bucket), once a " +
        "second while it lasts.",
      labelNames: ["resource"],
      registers: servedFor("schedules"),
    });
    this.#fires = new Counter({
      name: "walnats_fires_total",
      help: "Fires a schedules worker attempted, by outcome: emitted (stored by this worker), duplicate, missed.",
      labelNames: ["event", ...perSchedule, "outcome"],
      registers: servedFor("schedules"),
    });
    this.#firesMissed = new Counter({
      name: "walnats_fires_missed_total",
      help: "Fires a schedules worker missed, by reason: late (woke after the fire's window), unacknowledged, stopped.",
      labelNames: ["event", ...perSchedule, "reason"],
      registers: servedFor("schedules"),
    });
    this.#firesLate = new Counter({
      name: "walnats_fires_late_total",
      help: "Fires a schedules worker stored late: caught up after an outage or a pause.",
      labelNames: ["event", ...perSchedule],
      registers: servedFor("schedules"),
    });
    this.#fireLag = new Histogram({
      name: "walnats_fire_lag_seconds",
      help: "Seconds from a fire's scheduled instant to the stream's answer, for emitted and duplicate fires.",
      labelNames: ["event"],
      buckets: LAG_BUCKETS_S,
      registers: servedFor("schedules"),
    });
    this.#changes = new Counter({
      name: "walnats_schedule_changes_total",
      help:
        "Schedule changes a schedules worker applied: put (created, changed, paused, resumed), delete, refused (a " +
        "record it cannot read, such as a newer version's policy: the schedule does not fire).",
      labelNames: ["kind"],
      registers: servedFor("schedules"),
    });
  }

  /**
   * Counts one tick's report: give it as `Clock.run(conn, { onTick: metrics.onTick })`.
   *
   * @param report the report of `Clock.run()`'s `onTick`
   */
  readonly onTick = (report: TickReport): void => {
    const { event, outcome } = report;
    this.#ticks.inc({ event, outcome });
    if (outcome === "missed") this.#missed.inc({ event, reason: report.reason ?? "unacknowledged" });
    this.#stored(report, this.#lag);
  };

  /**
   * Counts one fire's report of a schedules worker: give it as
   * `schedules.run({ onTick: metrics.onFire })`.
   *
   * @param report the report of `run()`'s `onTick`
   */
  readonly onFire = (report: FireReport): void => {
    const { event, outcome } = report;
    if (this.#perSchedule) {
      this.#eventsOf.set(report.schedule, (this.#eventsOf.get(report.schedule) ?? new Set()).add(event));
    }
    const labels = this.#perSchedule ? { event, schedule: report.schedule } : { event };
    this.#fires.inc({ ...labels, outcome });
    if (outcome === "missed") this.#firesMissed.inc({ ...labels, reason: report.reason ?? "unacknowledged" });
    else if (outcome === "emitted" && report.late === true) this.#firesLate.inc(labels);
    this.#stored(report, this.#fireLag);
  };

  /**
   * Counts one change a schedules worker applied: give it as
   * `schedules.run({ onChange: metrics.onChange })`.
   *
   * @param change the change of `run()`'s `onChange`
   */
  readonly onChange = (change: AppliedChange): void => {
    this.#changes.inc({ kind: change.kind });
    if (change.kind === "delete") this.#forget(change.id);
  };

  /**
   * Counts a schedules worker's report of a resource missing or made again: give it as
   * `schedules.run({ onResource: metrics.onResource })`.
   *
   * @param report the report of `run()`'s `onResource`
   */
  readonly onResource = (report: ResourceReport): void => {
    if (report.type === "missing") this.#missing.inc({ resource: report.resource });
    else this.#recreated.inc({ resource: report.resource });
  };

  /**
   * Drops the fire series of a deleted schedule: schedules created and deleted all day would add up otherwise.
   * (A report of a fire that was in flight at the delete makes its series again.)
   */
  #forget(schedule: string): void {
    for (const event of this.#eventsOf.get(schedule) ?? []) {
      for (const outcome of FIRE_OUTCOMES) this.#fires.remove({ event, schedule, outcome });
      for (const reason of MISSED_REASONS) this.#firesMissed.remove({ event, schedule, reason });
      this.#firesLate.remove({ event, schedule });
    }
    this.#eventsOf.delete(schedule);
  }

  /**
   * Counts one job event: give it as `actors.listen({ onEvent: metrics.onEvent })`.
   *
   * @param event the event of `listen()`'s `onEvent`
   */
  readonly onEvent = (event: JobEvent): void => {
    switch (event.type) {
      case "success":
        this.#jobs.inc({ actor: event.actor, outcome: "success" });
        this.#duration.observe({ actor: event.actor }, event.durationMs / 1000);
        break;
      case "failure":
      case "terminated":
      case "skipped":
      case "cancelled":
        this.#jobs.inc({ actor: event.actor, outcome: event.type });
        break;
      case "pull-failure":
        this.#pullFailures.inc({ actor: event.actor });
        break;
      case "unconfirmed":
        this.#unconfirmed.inc({ actor: event.actor, reply: event.reply });
        break;
      case "paused":
        this.#pausedOnFailure.inc({ actor: event.actor });
        break;
      case "recreated":
        this.#recreated.inc({ resource: event.resource });
        break;
    }
  };

  /**
   * Follows a connection's state into `walnats_connected{connection}` (1 from
   * now on, 0 while it is lost) and `walnats_reconnects_total{connection}`.
   * Call it once the connection is open; a connection without `status()`
   * (the in-memory one) counts as connected.
   *
   * @param connection the connection of `Events.connect()` or `Actors.connect()`
   * @param name the `connection` label, e.g. `clocks` or `actors`
   * @returns once the connection is closed
   */
  async watch(connection: StatusSource, name: string): Promise<void> {
    this.#connected.set({ connection: name }, 1);
    for await (const status of connection.status?.() ?? []) {
      this.#connected.set({ connection: name }, status.type === "reconnected" ? 1 : 0);
      if (status.type === "reconnected") this.#reconnects.inc({ connection: name });
    }
  }

  /** Counts a tick's or a fire's publish attempts; for one the stream acknowledged, its lag and its instant. */
  #stored(report: TickReport, lag: Histogram<"event">): void {
    const { event } = report;
    this.#attempts.inc({ event }, report.attempts);
    if (report.outcome === "missed") return;
    lag.observe({ event }, report.lagMs / 1000);
    const tickMs = Math.max(report.tick.getTime(), this.#lastTickMs.get(event) ?? -Infinity);
    this.#lastTickMs.set(event, tickMs);
    this.#lastTick.set({ event }, tickMs / 1000);
  }

  /**
   * The metrics in Prometheus's text format.
   *
   * @returns the text, of type {@link Metrics.contentType}
   */
  async text(): Promise<string> {
    return await this.#registry.metrics();
  }

  /**
   * The answer to a scrape: the metrics with their `Content-Type`, for
   * `Deno.serve` at `/metrics`.
   *
   * @returns a 200 response
   */
  async response(): Promise<Response> {
    return new Response(await this.text(), { headers: { "content-type": this.contentType } });
  }
}
