/**
 * The Grafana dashboard examples/grafana/walnats.json on a real Prometheus
 * (Debian's `prometheus` package; ignored where it is missing): it scrapes a
 * clock worker and a schedules worker (the command, `--http`) and a process of
 * actors serving their `Metrics`, after each of them went through what the
 * panels show, and every panel's query must parse and return a series.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Event, Events, Schedules } from "../../mod.ts";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { readUntil, rest, spawnCli } from "../_cli.ts";
import { waitUntil } from "../_wait.ts";
import { freePort } from "./_cluster.ts";
import { killAll, type ScriptProcess, startScript, stopScript } from "./_processes.ts";

/** Where Debian installs the Prometheus server. */
const PROMETHEUS = "/usr/bin/prometheus";
const HAS_PROMETHEUS = await Deno.stat(PROMETHEUS).then(() => true, () => false);
const DASHBOARD = new URL("../../examples/grafana/walnats.json", import.meta.url);

/** The part of a Grafana dashboard this test reads. */
interface Dashboard {
  templating: { list: { name: string; type: string; query?: string }[] };
  panels: { title: string; targets?: { expr: string }[] }[];
}

/**
 * Each panel's queries, with the template variables as a regex matching all (the dashboard's "All") and
 * `$__rate_interval` as 1m: every series scraped since Prometheus started has two samples in it.
 */
function queries(dashboard: Dashboard): { title: string; expr: string; query: string }[] {
  const variables = new Set(dashboard.templating.list.map((variable) => variable.name));
  return dashboard.panels.flatMap(({ title, targets = [] }) =>
    targets.map(({ expr }) => {
      const query = expr.replaceAll("$__rate_interval", "1m").replace(/\$\{?(\w+)\}?/g, (text, name) => {
        assert.ok(variables.has(name), `panel '${title}' uses ${text}, not a variable of the dashboard`);
        return ".*";
      });
      return { title, expr, query };
    })
  );
}

/** A Prometheus configuration scraping each of `targets` (job name to metrics URL) every second. */
function prometheusConfig(targets: Record<string, string>): string {
  const jobs = Object.entries(targets).map(([job, url]) =>
    `  - job_name: ${job}\n    static_configs:\n      - targets: ["${new URL(url).host}"]\n`
  );
  return `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs.join("")}`;
}

/**
 * Starts Prometheus scraping `targets` every second, on a free loopback port with its config and store in `dir`;
 * resolves once it is ready. `await using` stops it (SIGTERM, and waits for its exit).
 */
async function startPrometheus(dir: string, targets: Record<string, string>) {
  await Deno.writeTextFile(`${dir}/prometheus.yml`, prometheusConfig(targets));
  const port = freePort();
  const child = new Deno.Command(PROMETHEUS, {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new Response(child.stderr).text();
  let exited = false;
  child.status.then(() => exited = true);
  const prometheus = {
    base: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* it exited */ }
      await child.status;
      await log;
    },
  };
  try {
    await waitUntil(async () => {
      if (exited) throw new Error(`Prometheus exited:\n${await log}`);
      return await fetch(`${prometheus.base}/-/ready`).then(async (r) => (await r.body?.cancel(), r.ok), () => false);
    }, { what: "Prometheus to be ready" });
  } catch (error) {
    await prometheus[Symbol.asyncDispose]();
    throw error;
  }
  return prometheus;
}

/** The `/metrics` text of `url`. */
async function scrape(url: string): Promise<string> {
  return await (await fetch(url)).text();
}

/** Waits until the metrics of `url` hold a sample whose line starts with `sample` (a name and labels, no value). */
async function sampled(url: string, sample: string): Promise<void> {
  let text = "";
  await waitUntil(async () => (text = await scrape(url)).split("\n").some((line) => line.startsWith(sample)), {
    what: `${sample} in ${url}`,
    details: () => text,
  });
}

/** The `data` of a Prometheus HTTP API answer, which must be a success. */
async function api<T>(base: string, path: string, params: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`${base}${path}?${new URLSearchParams(params)}`);
  const body = await response.json();
  assert.equal(body.status, "success", `${path} ${JSON.stringify(params)}: ${JSON.stringify(body)}`);
  return body.data as T;
}

/** The series an instant query returns. */
async function query(base: string, expr: string): Promise<{ metric: Record<string, string> }[]> {
  return (await api<{ result: { metric: Record<string, string> }[] }>(base, "/api/v1/query", { query: expr })).result;
}

/** The URL of the command's metrics, from its JSON log line saying where it serves them. */
async function metricsUrl(lines: ReadableStreamDefaultReader<string>): Promise<string> {
  const [line] = (await readUntil(lines, /"url":/, 1)).filter((line) => line.includes('"url":'));
  return `${JSON.parse(line!).url}/metrics`;
}

Deno.test({
  name: "examples/grafana/walnats.json: every panel's query returns series on a Prometheus scraping a clock worker, " +
    "a schedules worker and actors",
  ignore: !HAS_PROMETHEUS,
  fn: async () => {
    const dashboard: Dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
    await using server = await startNatsServer();
    const ticks = new Event("dash-ticks", Date);
    const fires = new Event("dash-fires", Object);
    await using events = await new Events(ticks).connect({ servers: server.url });
    await events.register();
    await using schedules = await new Schedules(fires).connect({ servers: server.url });
    await schedules.register();
    await schedules.upsert("retried", { event: fires, period: 1, value: {} });
    await schedules.upsert("caught-up", { event: fires, period: 1, catchUp: 5, value: {} });
    await schedules.upsert("doomed", { event: fires, period: 1, pauseOnFailure: true, value: {} });

    const dir = await Deno.makeTempDir();
    const http = ["--http", "127.0.0.1:0", "--log-format", "json"];
    const clock = spawnCli(["--server", server.url, "--event", ticks.name, "--period", "1", ...http]);
    const worker = spawnCli(["--schedules", "--server", server.url, ...http]);
    const actors: ScriptProcess<unknown> = startScript("actors", "_metrics_actor_process.ts", [
      ...["--server", server.url, "--ticks", ticks.name, "--fires", fires.name, "--give-up", "doomed"],
    ]);
    /** The commands' output past the line that gives their URL, read on so that their pipes never fill. */
    const drained: Promise<unknown>[] = [];
    try {
      const clockUrl = await metricsUrl(clock.lines);
      const workerUrl = await metricsUrl(worker.lines);
      drained.push(rest(clock.lines), rest(worker.lines));
      await actors.ready;
      const actorsUrl = (actors.lines[0] as { metrics: string }).metrics;

      // Ticks and fires stored, a job's success and failure, a schedule paused when its fire was given up.
      await sampled(clockUrl, 'walnats_ticks_total{event="dash-ticks",outcome="emitted"}');
      await sampled(workerUrl, 'walnats_fires_total{event="dash-fires",schedule="retried",outcome="emitted"}');
      await sampled(actorsUrl, 'walnats_jobs_total{actor="slow-ticks",outcome="success"}');
      await sampled(actorsUrl, 'walnats_jobs_total{actor="fires-flaky",outcome="success"}');
      await sampled(actorsUrl, 'walnats_jobs_total{actor="fires-flaky",outcome="failure"}');
      await sampled(actorsUrl, 'walnats_schedules_paused_on_failure_total{actor="fires-flaky"}');

      // An outage: ticks and fires missed, the caught-up schedule's fires stored late, pulls failed, the acks of the
      // jobs it cut unconfirmed, every process reconnects.
      await server.restart({ downMs: 4_000 });
      await sampled(clockUrl, 'walnats_ticks_missed_total{event="dash-ticks",reason="unacknowledged"}');
      await sampled(workerUrl, 'walnats_fires_missed_total{event="dash-fires",schedule="retried"');
      await sampled(workerUrl, 'walnats_fires_late_total{event="dash-fires",schedule="caught-up"}');
      await sampled(actorsUrl, 'walnats_pull_failures_total{actor="slow-ticks"}');
      await sampled(actorsUrl, 'walnats_acks_unconfirmed_total{actor="slow-ticks",reply="ack"}');
      for (const url of [clockUrl, workerUrl, actorsUrl]) await sampled(url, "walnats_reconnects_total{");

      // The fleet's bucket deleted (made again), then the schedules' bucket (missing until someone registers it).
      const nc = await connect({ servers: server.url });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete("KV_walnats-workers");
        await sampled(workerUrl, 'walnats_internal_recreated_total{resource="KV_walnats-workers"}');
        await jsm.streams.delete("KV_walnats-schedules");
        await sampled(workerUrl, 'walnats_resource_missing_total{resource="KV_walnats-schedules"}');
      } finally {
        await nc.close();
      }

      const targets = { clock: clockUrl, schedules: workerUrl, actors: actorsUrl };
      await using prometheus = await startPrometheus(dir, targets);
      let up: { labels: { job: string }; health: string }[] = [];
      await waitUntil(async () => {
        up = (await api<{ activeTargets: typeof up }>(prometheus.base, "/api/v1/targets")).activeTargets;
        return up.length === 3 && up.every((target) => target.health === "up");
      }, { what: "the 3 targets up", details: () => JSON.stringify(up) });
      // Three scrapes of each: every series then has two samples in the queries' 1m ranges.
      await waitUntil(async () => (await query(prometheus.base, "count_over_time(up[1m]) >= 3")).length === 3, {
        what: "3 scrapes of each target",
      });

      const empty: string[] = [];
      for (const { title, expr, query: promql } of queries(dashboard)) {
        if ((await query(prometheus.base, promql)).length === 0) empty.push(`${title}: ${expr}`);
      }
      assert.deepEqual(empty, [], "panel queries that returned no series");
      // Each query variable lists values, as Grafana asks them: label_values(metric, label).
      for (const { name, type, query: values } of dashboard.templating.list) {
        if (type !== "query") continue;
        const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(values ?? "") ?? [];
        assert.ok(metric !== undefined && label !== undefined, `variable ${name}: ${values}`);
        const listed = await api<string[]>(prometheus.base, `/api/v1/label/${label}/values`, { "match[]": metric });
        assert.notDeepEqual(listed, [], `variable ${name}: ${values} lists no value`);
      }
      // Every family the three processes serve is on a panel.
      const served = new Set<string>();
      for (const url of Object.values(targets)) {
        for (const [, family] of (await scrape(url)).matchAll(/^# TYPE (\S+) /gm)) served.add(family!);
      }
      const exprs = queries(dashboard).map(({ expr }) => expr).join("\n");
      assert.deepEqual([...served].filter((family) => !exprs.includes(family)), [], "families on no panel");
    } finally {
      for (const { child } of [clock, worker]) child.kill("SIGTERM");
      await Promise.all([clock, worker].map(async ({ child, stderr }) => {
        await child.status;
        await stderr;
      }));
      await Promise.all(drained);
      await stopScript(actors).finally(() => killAll([actors]));
      await Deno.remove(dir, { recursive: true });
    }
  },
});
