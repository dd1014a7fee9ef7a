/** `@walnats/clock/metrics`: reports, job events and connection changes as Prometheus metrics. */
import assert from "node:assert/strict";
import type { AppliedChange, ConnectionStatus, FireReport, JobEvent, ResourceReport, TickReport } from "../mod.ts";
import { Metrics, type MetricsOptions } from "../src/metrics.ts";
import { HAS_PROMTOOL, promtool } from "./_promtool.ts";

const T0 = 1_795_709_700_000; // 2026-11-26T16:15:00Z

const REPORTS: TickReport[] = [
  { event: "minute-passed", tick: new Date(T0), outcome: "emitted", lagMs: 3, seq: 1, attempts: 1 },
  { event: "minute-passed", tick: new Date(T0 + 60_000), outcome: "duplicate", lagMs: 2, attempts: 1 },
  {
    event: "minute-passed",
    tick: new Date(T0 + 120_000),
    outcome: "missed",
    lagMs: 60_000,
    attempts: 4,
    reason: "unacknowledged",
    error: new Error("timeout"),
  },
  {
    event: "minute-passed",
    tick: new Date(T0 + 180_000),
    outcome: "missed",
    lagMs: 61_000,
    attempts: 0,
    reason: "late",
  },
  // A catch-up tick after the outage.
  {
    event: "minute-passed",
    tick: new Date(T0 + 120_000),
    outcome: "emitted",
    lagMs: 70_000,
    seq: 3,
    attempts: 1,
    late: true,
  },
  { event: "5m-passed", tick: new Date(T0), outcome: "emitted", lagMs: 4, seq: 1, attempts: 2 },
];

const JOB_EVENTS: JobEvent[] = [
  { type: "start", actor: "backup", seq: 1, attempt: 1 },
  { type: "failure", actor: "backup", seq: 1, attempt: 1, error: new Error("disk full"), retryInMs: 500 },
  { type: "start", actor: "backup", seq: 1, attempt: 2 },
  { type: "success", actor: "backup", seq: 1, attempt: 2, durationMs: 1_500 },
  { type: "terminated", actor: "backup", seq: 2, attempt: 1, reason: "decode", error: new Error("bad payload") },
  { type: "delayed", actor: "reminder", seq: 1, dueMs: T0 },
  { type: "pull-failure", actor: "reminder", error: new Error("timeout") },
  { type: "unconfirmed", actor: "backup", seq: 5, reply: "ack", error: new Error("ack wait ran out") },
  { type: "recreated", actor: "reminder", seq: 3, resource: "KV_walnats-attempts" },
];

const FIRES: FireReport[] = [
  { event: "reminder", schedule: "u-1", tick: new Date(T0), outcome: "emitted", lagMs: 2, seq: 1, attempts: 1 },
  { event: "reminder", schedule: "u-2", tick: new Date(T0), outcome: "duplicate", lagMs: 3, attempts: 1 },
  {
    event: "reminder",
    schedule: "u-1",
    tick: new Date(T0 + 60_000),
    outcome: "missed",
    lagMs: 60_000,
    attempts: 3,
    reason: "unacknowledged",
    error: new Error("timeout"),
  },
  {
    event: "reminder",
    schedule: "u-2",
    tick: new Date(T0 + 60_000),
    outcome: "missed",
    lagMs: 0,
    attempts: 0,
    reason: "late",
  },
  // u-1's missed fire, caught up after the outage.
  {
    event: "reminder",
    schedule: "u-1",
    tick: new Date(T0 + 60_000),
    outcome: "emitted",
    lagMs: 65_000,
    seq: 2,
    attempts: 1,
    late: true,
  },
  { event: "invoice", schedule: "u-1", tick: new Date(T0 + 30_000), outcome: "emitted", lagMs: 4, seq: 1, attempts: 2 },
];

const CHANGES: AppliedChange[] = [
  { id: "u-1", kind: "put", revision: 1 },
  { id: "u-2", kind: "put", revision: 2 },
  { id: "u-1", kind: "put", revision: 3 },
  { id: "u-3", kind: "delete", revision: 0 },
];

/** Metrics fed with {@link FIRES} and {@link CHANGES}. */
function withFires(options: { perSchedule?: boolean } = {}): Metrics {
  const metrics = new Metrics(options);
  for (const report of FIRES) metrics.onFire(report);
  for (const change of CHANGES) metrics.onChange(change);
  return metrics;
}

/** A connection whose status() yields `statuses`. */
function statusSource(statuses: ConnectionStatus[]) {
  return {
    async *status() {
      yield* statuses;
    },
  };
}

/** The samples of `text` (no comments), name and labels to value. */
function samples(text: string): Map<string, number> {
  return new Map(
    text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => {
      const at = line.lastIndexOf(" ");
      return [line.slice(0, at), Number(line.slice(at + 1))];
    }),
  );
}

async function filled(): Promise<Metrics> {
  const metrics = new Metrics();
  for (const report of REPORTS) metrics.onTick(report);
  for (const event of JOB_EVENTS) metrics.onEvent(event);
  const lost = { type: "disconnected", server: "127.0.0.1:4222" } as const;
  const back = { type: "reconnected", server: "127.0.0.1:4222" } as const;
  await metrics.watch(statusSource([lost, back, lost, back]), "clocks");
  await metrics.watch(statusSource([lost]), "actors");
  return metrics;
}

Deno.test("Metrics counts ticks by outcome and missed ticks by reason, and sums publish attempts", async () => {
  const values = samples(await (await filled()).text());
  assert.equal(values.get('walnats_ticks_total{event="minute-passed",outcome="emitted"}'), 2);
  assert.equal(values.get('walnats_ticks_total{event="minute-passed",outcome="duplicate"}'), 1);
  assert.equal(values.get('walnats_ticks_total{event="minute-passed",outcome="missed"}'), 2);
  assert.equal(values.get('walnats_ticks_total{event="5m-passed",outcome="emitted"}'), 1);
  assert.equal(values.get('walnats_ticks_missed_total{event="minute-passed",reason="unacknowledged"}'), 1);
  assert.equal(values.get('walnats_ticks_missed_total{event="minute-passed",reason="late"}'), 1);
  assert.equal(values.get('walnats_publish_attempts_total{event="minute-passed"}'), 7);
  assert.equal(values.get('walnats_publish_attempts_total{event="5m-passed"}'), 2);
});

Deno.test("Metrics observes the lag of acknowledged ticks in seconds, and keeps the latest stored tick", async () => {
  const values = samples(await (await filled()).text());
  assert.equal(values.get('walnats_tick_lag_seconds_count{event="minute-passed"}'), 3);
  assert.equal(values.get('walnats_tick_lag_seconds_sum{event="minute-passed"}'), 0.003 + 0.002 + 70);
  assert.equal(values.get('walnats_tick_lag_seconds_bucket{le="0.0025",event="minute-passed"}'), 1);
  assert.equal(values.get('walnats_tick_lag_seconds_bucket{le="0.005",event="minute-passed"}'), 2);
  assert.equal(values.get('walnats_last_tick_timestamp_seconds{event="minute-passed"}'), (T0 + 120_000) / 1000);
  assert.equal(values.get('walnats_last_tick_timestamp_seconds{event="5m-passed"}'), T0 / 1000);
});

Deno.test("Metrics' last tick stays when a catch-up tick older than it is stored", async () => {
  const metrics = new Metrics();
  metrics.onTick({ event: "e", tick: new Date(T0 + 60_000), outcome: "emitted", lagMs: 1, seq: 2, attempts: 1 });
  metrics.onTick({
    event: "e",
    tick: new Date(T0),
    outcome: "emitted",
    lagMs: 60_001,
    seq: 3,
    attempts: 1,
    late: true,
  });
  assert.equal(
    samples(await metrics.text()).get('walnats_last_tick_timestamp_seconds{event="e"}'),
    (T0 + 60_000) / 1000,
  );
});

Deno.test("Metrics counts jobs by actor and outcome, the durations of successful ones, failed pulls, unconfirmed acks and re-created buckets", async () => {
  const values = samples(await (await filled()).text());
  assert.equal(values.get('walnats_jobs_total{actor="backup",outcome="success"}'), 1);
  assert.equal(values.get('walnats_jobs_total{actor="backup",outcome="failure"}'), 1);
  assert.equal(values.get('walnats_jobs_total{actor="backup",outcome="terminated"}'), 1);
  assert.equal(values.get('walnats_job_duration_seconds_sum{actor="backup"}'), 1.5);
  assert.equal(values.get('walnats_job_duration_seconds_count{actor="backup"}'), 1);
  assert.equal(values.get('walnats_pull_failures_total{actor="reminder"}'), 1);
  assert.equal(values.get('walnats_acks_unconfirmed_total{actor="backup",reply="ack"}'), 1);
  assert.equal(values.get('walnats_internal_recreated_total{resource="KV_walnats-attempts"}'), 1);
  assert.equal([...values.keys()].some((key) => key.includes('actor="reminder",outcome')), false);
});

Deno.test("Metrics follows each connection's state and counts its reconnects", async () => {
  const values = samples(await (await filled()).text());
  assert.equal(values.get('walnats_connected{connection="clocks"}'), 1);
  assert.equal(values.get('walnats_reconnects_total{connection="clocks"}'), 2);
  assert.equal(values.get('walnats_connected{connection="actors"}'), 0);
});

Deno.test("Metrics names start with walnats_, each Metrics has its own registry", async () => {
  const metrics = await filled();
  const names = new Set([...samples(await metrics.text()).keys()].map((key) => key.replace(/\{.*/, "")));
  assert.deepEqual([...names].filter((name) => !name.startsWith("walnats_")), []);
  assert.equal(samples(await new Metrics().text()).size, 0);
  const response = await metrics.response();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(await response.text(), await metrics.text());
});

Deno.test("Metrics counts a schedules worker's fires per event and schedule: by outcome, missed by reason, late", async () => {
  const values = samples(await withFires().text());
  const fires = [...values].filter(([key]) => key.startsWith("walnats_fires_"));
  assert.deepEqual(
    new Map(fires),
    new Map([
      ['walnats_fires_total{event="reminder",schedule="u-1",outcome="emitted"}', 2],
      ['walnats_fires_total{event="reminder",schedule="u-2",outcome="duplicate"}', 1],
      ['walnats_fires_total{event="reminder",schedule="u-1",outcome="missed"}', 1],
      ['walnats_fires_total{event="reminder",schedule="u-2",outcome="missed"}', 1],
      ['walnats_fires_total{event="invoice",schedule="u-1",outcome="emitted"}', 1],
      ['walnats_fires_missed_total{event="reminder",schedule="u-1",reason="unacknowledged"}', 1],
      ['walnats_fires_missed_total{event="reminder",schedule="u-2",reason="late"}', 1],
      ['walnats_fires_late_total{event="reminder",schedule="u-1"}', 1],
    ]),
  );
  assert.equal(values.get('walnats_publish_attempts_total{event="reminder"}'), 6);
  assert.equal(values.get('walnats_publish_attempts_total{event="invoice"}'), 2);
  assert.equal([...values.keys()].some((key) => key.startsWith("walnats_ticks_")), false);
});

Deno.test("Metrics observes acknowledged fires' lag per event, not per schedule, and counts applied changes by kind", async () => {
  const values = samples(await withFires().text());
  assert.equal(values.get('walnats_fire_lag_seconds_count{event="reminder"}'), 3);
  assert.equal(values.get('walnats_fire_lag_seconds_sum{event="reminder"}'), 0.002 + 0.003 + 65);
  assert.equal(values.get('walnats_fire_lag_seconds_bucket{le="0.0025",event="reminder"}'), 1);
  assert.equal(values.get('walnats_fire_lag_seconds_count{event="invoice"}'), 1);
  assert.equal(
    [...values.keys()].some((key) => key.startsWith("walnats_fire_lag") && key.includes("schedule=")),
    false,
  );
  assert.equal(values.get('walnats_last_tick_timestamp_seconds{event="reminder"}'), (T0 + 60_000) / 1000);
  assert.equal(values.get('walnats_schedule_changes_total{kind="put"}'), 3);
  assert.equal(values.get('walnats_schedule_changes_total{kind="delete"}'), 1);
});

Deno.test("Metrics drops a schedule's fire series when the worker applies its delete, and keeps the others'", async () => {
  const metrics = withFires();
  const seriesOf = (values: Map<string, number>, schedule: string) =>
    [...values.keys()].filter((key) => key.includes(`schedule="${schedule}"`));
  const before = samples(await metrics.text());
  assert.deepEqual(seriesOf(before, "u-2").length, 3); // duplicate, missed, missed late
  metrics.onChange({ id: "u-2", kind: "delete", revision: 0 });
  const after = samples(await metrics.text());
  assert.deepEqual(seriesOf(after, "u-2"), []);
  assert.deepEqual(seriesOf(after, "u-1"), seriesOf(before, "u-1"));
  assert.equal(after.get('walnats_schedule_changes_total{kind="delete"}'), 2);
  // Fires of a schedule created again under the id count from zero.
  metrics.onFire({ ...FIRES[2]!, schedule: "u-2" });
  assert.equal(
    samples(await metrics.text()).get('walnats_fires_total{event="reminder",schedule="u-2",outcome="missed"}'),
    1,
  );
});

Deno.test("Metrics({ perSchedule: false }) counts fires per event, with no schedule label", async () => {
  const values = samples(await withFires({ perSchedule: false }).text());
  const fires = [...values].filter(([key]) => key.startsWith("walnats_fires_"));
  assert.deepEqual(
    new Map(fires),
    new Map([
      ['walnats_fires_total{event="reminder",outcome="emitted"}', 2],
      ['walnats_fires_total{event="reminder",outcome="duplicate"}', 1],
      ['walnats_fires_total{event="reminder",outcome="missed"}', 2],
      ['walnats_fires_total{event="invoice",outcome="emitted"}', 1],
      ['walnats_fires_missed_total{event="reminder",reason="unacknowledged"}', 1],
      ['walnats_fires_missed_total{event="reminder",reason="late"}', 1],
      ['walnats_fires_late_total{event="reminder"}', 1],
    ]),
  );
});

/** Metrics of `runs` fed with every kind of report: ticks, fires, changes, job events and a connection's state. */
async function fedAll(runs: NonNullable<MetricsOptions["runs"]>): Promise<Metrics> {
  const metrics = new Metrics({ runs });
  for (const report of REPORTS) metrics.onTick(report);
  for (const report of FIRES) metrics.onFire(report);
  for (const change of CHANGES) metrics.onChange(change);
  for (const event of JOB_EVENTS) metrics.onEvent(event);
  for (const report of RESOURCES) metrics.onResource(report);
  await metrics.watch(statusSource([]), "clocks");
  return metrics;
}

/** A schedules worker's resource reports: the schedules' bucket missing twice, the fleet's made again. */
const RESOURCES: ResourceReport[] = [
  { type: "missing", resource: "KV_walnats-schedules", error: new Error("gone") },
  { type: "missing", resource: "KV_walnats-schedules", error: new Error("gone") },
  { type: "recreated", resource: "KV_walnats-workers" },
];

Deno.test("Metrics counts a schedules worker's reports of a missing bucket and of one made again", async () => {
  const values = samples(await (await fedAll(["schedules"])).text());
  assert.equal(values.get('walnats_resource_missing_total{resource="KV_walnats-schedules"}'), 2);
  assert.equal(values.get('walnats_internal_recreated_total{resource="KV_walnats-workers"}'), 1);
});

/** The metric families `text` lists (its `# TYPE` lines), sorted. */
function families(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!).toSorted();
}

const CONNECTION_FAMILIES = ["walnats_connected", "walnats_reconnects_total"];
const CLOCK_FAMILIES = ["walnats_tick_lag_seconds", "walnats_ticks_missed_total", "walnats_ticks_total"];
const SHARED_FAMILIES = ["walnats_last_tick_timestamp_seconds", "walnats_publish_attempts_total"];
const SCHEDULE_FAMILIES = [
  "walnats_fire_lag_seconds",
  "walnats_fires_late_total",
  "walnats_fires_missed_total",
  "walnats_fires_total",
  "walnats_resource_missing_total",
  "walnats_schedule_changes_total",
];
const ACTOR_FAMILIES = [
  "walnats_acks_unconfirmed_total",
  "walnats_job_duration_seconds",
  "walnats_jobs_total",
  "walnats_pull_failures_total",
  "walnats_schedules_paused_on_failure_total",
];
/** Served by schedules workers and actors alike. */
const RECREATED_FAMILIES = ["walnats_internal_recreated_total"];

Deno.test("Metrics({ runs }) serves the families of what the process runs and the connections', whatever it is fed", async () => {
  const expected = (...groups: string[][]) => [...CONNECTION_FAMILIES, ...groups.flat()].toSorted();
  assert.deepEqual(families(await (await fedAll(["clocks"])).text()), expected(CLOCK_FAMILIES, SHARED_FAMILIES));
  assert.deepEqual(
    families(await (await fedAll(["schedules"])).text()),
    expected(SCHEDULE_FAMILIES, SHARED_FAMILIES, RECREATED_FAMILIES),
  );
  assert.deepEqual(families(await (await fedAll(["actors"])).text()), expected(ACTOR_FAMILIES, RECREATED_FAMILIES));
  assert.deepEqual(families(await (await fedAll([])).text()), expected());
  const all = expected(CLOCK_FAMILIES, SHARED_FAMILIES, SCHEDULE_FAMILIES, ACTOR_FAMILIES, RECREATED_FAMILIES);
  assert.deepEqual(families(await (await fedAll(["clocks", "schedules", "actors"])).text()), all);
  assert.deepEqual(families(await new Metrics().text()), all);
  // What is served is counted as before.
  const clocks = samples(await (await fedAll(["clocks"])).text());
  assert.equal(clocks.get('walnats_ticks_total{event="minute-passed",outcome="emitted"}'), 2);
  assert.equal(clocks.get('walnats_publish_attempts_total{event="minute-passed"}'), 7);
});

Deno.test("new Metrics() refuses runs other than an array of clocks, schedules and actors, naming the value", () => {
  for (const [runs, shown] of [["clocks", "'clocks'"], [["clock"], '["clock"]'], [[1], "[1]"]] as const) {
    assert.throws(
      () => new Metrics({ runs: runs as never }),
      new TypeError(
        `Cannot create Metrics: 'runs' must be an array of 'clocks', 'schedules' and 'actors', got ${shown}`,
      ),
    );
  }
});

Deno.test({
  name: "Metrics' text passes promtool check metrics",
  ignore: !HAS_PROMTOOL,
  fn: async () => {
    const metrics = await filled();
    for (const report of FIRES) metrics.onFire(report);
    for (const change of CHANGES) metrics.onChange(change);
    const served = await Promise.all((["clocks", "schedules", "actors"] as const).map((run) => fedAll([run])));
    for (const text of [metrics, withFires({ perSchedule: false }), ...served].map((m) => m.text())) {
      const { code, output } = await promtool(["check", "metrics"], await text);
      assert.equal(code, 0, output);
      assert.equal(output, "");
    }
  },
});

Deno.test("Metrics counts a schedule paused on failure once per pause, not a pause skipped or failed", async () => {
  const metrics = new Metrics({ runs: ["actors"] });
  const request = { actor: "send", seq: 7, schedule: "daily", revision: 3 };
  metrics.onEvent({ type: "paused", ...request, note: "Paused on failure" });
  metrics.onEvent({ type: "pause-skipped", ...request });
  metrics.onEvent({ type: "pause-skipped", ...request });
  metrics.onEvent({ type: "pause-failure", actor: "send", seq: 7, schedule: "daily", error: new Error("denied") });
  const values = samples(await metrics.text());
  assert.equal(values.get('walnats_schedules_paused_on_failure_total{actor="send"}'), 1);
});

/** A Metrics fed every outcome, kind, reason and resource the library reports, one of each at least. */
async function fedEverything(): Promise<Metrics> {
  const metrics = await fedAll(["clocks", "schedules", "actors"]);
  const stopped = { event: "minute-passed", tick: new Date(T0), outcome: "missed", lagMs: 0, attempts: 1 } as const;
  metrics.onTick({ ...stopped, reason: "stopped" });
  metrics.onFire({ ...stopped, event: "reminder", schedule: "u-1", reason: "stopped" });
  metrics.onChange({ id: "u-4", kind: "refused", revision: 5, reason: "its record is version 3" });
  const job = { actor: "backup", seq: 9, attempt: 1, key: "k" } as const;
  metrics.onEvent({ type: "skipped", ...job, reason: "running" });
  metrics.onEvent({ type: "cancelled", ...job, error: new Error("a newer fire") });
  metrics.onEvent({ type: "paused", actor: "backup", seq: 9, schedule: "daily", revision: 3, note: "Paused" });
  metrics.onEvent({ type: "recreated", actor: "backup", seq: 9, resource: "KV_walnats-leases" });
  return metrics;
}

/** Each family of `text` with the values its samples have for the labels that name what was counted. */
function countedValues(text: string): Map<string, Set<string>> {
  const counted = new Map<string, Set<string>>();
  for (const family of families(text)) counted.set(family, new Set());
  for (const [, name, labels] of text.matchAll(/^(walnats_\w+?)(?:_bucket|_sum|_count)?\{(.*)\} /gm)) {
    const values = counted.get(name!) ?? counted.get(name!.replace(/_(bucket|sum|count)$/, ""));
    for (const [, value] of labels!.matchAll(/(?:outcome|kind|reason|resource)="([^"]*)"/g)) values?.add(value!);
  }
  return counted;
}

Deno.test("the Metrics tables of docs/operations.md and src/metrics.ts have a row for each family, naming each outcome, kind, reason and resource it counts", async () => {
  const counted = countedValues(await (await fedEverything()).text());
  assert.ok(counted.get("walnats_jobs_total")?.has("cancelled"), [...counted.keys()].join(", "));
  for (const file of ["../docs/operations.md", "../src/metrics.ts"]) {
    const text = await Deno.readTextFile(new URL(file, import.meta.url));
    const rows = new Map(
      [...text.matchAll(/^(?: \* )?\| `(walnats_\w+)` *\|(.*)$/gm)].map((row) => [row[1]!, row[2]!]),
    );
    const lacking = [...counted].flatMap(([family, values]) => {
      const row = rows.get(family);
      if (row === undefined) return [`${family}: no row`];
      return [...values].filter((value) => !row.includes(`\`${value}\``)).map((value) => `${family}: ${value}`);
    });
    assert.deepEqual(lacking, [], file);
  }
});

Deno.test("each family's help names each outcome, kind, reason and resource it counts", async () => {
  const text = await (await fedEverything()).text();
  const help = new Map([...text.matchAll(/^# HELP (\S+) (.*)$/gm)].map((line) => [line[1]!, line[2]!]));
  const lacking = [...countedValues(text)].flatMap(([family, values]) =>
    [...values].filter((value) => !help.get(family)?.includes(value)).map((value) => `${family}: ${value}`)
  );
  assert.deepEqual(lacking, []);
});
