/**
 * The clock worker command: runs one clock against a NATS server, or against
 * an embedded throwaway `nats-server` when none is given, and prints one line
 * per tick; with `--http`, serves Prometheus metrics and health checks.
 *
 * ```sh
 * deno task run --event 5m-passed --period 300 --meta team=ops --server nats://127.0.0.1:4222
 * NATS_PASSWORD=... deno task run --server tls://nats.internal:4222 --user clock --tlsca ca.pem
 * deno task run --config walnats.json --http 127.0.0.1:9464 --log-format json
 * deno task run --schedules --event reminder --server nats://127.0.0.1:4222 --http 127.0.0.1:9464
 * ```
 *
 * With `--schedules` it runs a schedules worker instead of a clock: it fires
 * the schedules stored with `deno task schedules` (cli/schedules.ts) or the
 * `Schedules` API, of the events named by `--event` or of every event; its
 * `--http` serves the fires' metrics (`walnats_fires_total`, ...) and its
 * health.
 *
 * It connects the way the `nats` command does: the same flags (`--user`,
 * `--password`, `--token`, `--creds`, `--nkey`, `--tlsca`, `--tlscert`,
 * `--tlskey`) and the same environment variables (`NATS_URL`, `NATS_USER`,
 * `NATS_PASSWORD`, `NATS_TOKEN`, `NATS_CREDS`, `NATS_NKEY`, `NATS_CA`,
 * `NATS_CERT`, `NATS_KEY`); flags win. It never prints a secret.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Clock } from "../src/clock/clock.ts";
import type { TickReport } from "../src/clock/tick_report.ts";
import { messageOf, WalnatsError } from "../src/errors.ts";
import { Event } from "../src/events/event.ts";
import { Events } from "../src/connect.ts";
import { Schedules } from "../src/connect.ts";
import { Metrics, type StatusSource } from "../src/metrics.ts";
import type { AppliedChange, FireReport, ResourceReport } from "../src/schedules/schedules_connection.ts";
import {
  describeCredentials,
  resolveConnectOptions,
  type ResolvedConnectOptions,
} from "../src/nats/_connect_options.ts";
import type { ConnectOptions } from "../src/nats/connect_options.ts";
import {
  CONNECT_ARG_OPTIONS,
  CONNECT_USAGE,
  connectOptions,
  givenConnectFlag,
  metaOf,
  number,
  serversOf,
} from "./_connect_flags.ts";
import { readConfig, type WorkerConfig } from "./_config.ts";
import { flagErrorText } from "./_flag_errors.ts";
import { Health } from "./_health.ts";
import { type HttpAddress, HttpListenError, parseHttpAddress, serveHttp } from "./_http.ts";
import { Log, LOG_FORMATS, type LogFormat, type Output } from "./_log.ts";
import { NatsServerNotFoundError, startNatsServer } from "./_nats_server.ts";

export type { Output } from "./_log.ts";

/** The command's usage text, printed by `--help`. */
export const USAGE = `Usage: deno task run [options]

Runs a clock: emits an event into NATS JetStream at every tick, exactly once
however many clocks of the same event run.

Options:
  --event NAME       the event to emit (default: minute-passed); with
                     --schedules, an event whose schedules to fire
                     (repeatable; default: every event's)
  --schedules        run a schedules worker instead of a clock: fire the
                     schedules stored by deno task schedules (or the API),
                     one line per fire; not with the clock flags below or
                     --config
  --metrics-per-event
                     with --schedules and --http: count fires per event,
                     without the schedule label (one series per schedule
                     is too many for Prometheus with many schedules)
  --period SECONDS   seconds between ticks, ms resolution (default: 60)
  --cron EXPR        a cron schedule instead of a period: 5 fields, or 6 with
                     seconds first (e.g. "30 2 * * *", "*/10 * * * * *")
  --timezone ZONE    the IANA time zone of --cron (default: UTC)
  --catch-up N       after an outage, emit up to N missed ticks, oldest first
                     (default: 0, missed ticks are skipped)
  --meta KEY=VALUE   a header added to every tick; repeatable
  --replicas N       the event's stream replicas, 1 to 5 (default: 1); more
                     than 1 needs a cluster (see "Running on a cluster")
  --config FILE      run every clock a JSON file lists, in this process
                     (cli/walnats.schema.json); not with the clock flags
                     above. The file may set server and the connection
                     settings below by the same names; flags win over the
                     file, the file over the environment
  --server URL       the NATS server, or several, comma-separated (default:
                     $NATS_URL; with neither, an embedded nats-server is
                     started and stopped on exit)
  --http HOST:PORT   serve /metrics (Prometheus), /healthz and /readyz, e.g.
                     127.0.0.1:9464, or :9464 for every interface (default:
                     no HTTP server); ready while connected and JetStream
                     answers for the streams (the schedules' bucket)
  --log-format FMT   text (default): readable lines; json: one JSON object
                     per line (time, level, msg, event, outcome, tick, ...)
  --help             print this text

${CONNECT_USAGE}
These flags need --server or NATS_URL (the embedded nats-server has neither
authentication nor TLS; the variables are then ignored).

Stops cleanly on SIGINT or SIGTERM: the publish in flight ends, the HTTP
server and the connection close, exit 0.`;

const COMMAND = "deno task run";

const consoleOutput: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };

/**
 * Runs the command until SIGINT or SIGTERM (or `signal`) and returns its exit
 * code: 0 after a clean stop, 1 when the server fails or refuses the
 * credentials, 2 for bad flags or a bad configuration file (one line naming what
 * was given, then a pointer to `--help`). No line it writes holds a password, a token,
 * a seed or a JWT.
 *
 * @example Print the usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@walnats/clock/cli";
 *
 * const code = await main(["--help"], { out: () => {}, err: () => {} });
 * assert.equal(code, 0);
 * ```
 *
 * @param args the command-line arguments
 * @param output where to write (default: the console)
 * @param signal stops the clock, like SIGINT does
 * @returns the exit code
 */
export async function main(args: string[], output: Output = consoleOutput, signal?: AbortSignal): Promise<number> {
  let flags: Flags;
  let work: (signal: AbortSignal) => Promise<number>;
  try {
    const values = readArgs(args);
    if (values.help) {
      output.out(USAGE);
      return 0;
    }
    const config = values.config === undefined ? undefined : await readConfig(values.config);
    flags = flagsOf(values, config);
    const clocks = config?.clocks ?? (values.schedules ? undefined : [clockOf(values)]);
    const events = values.event ?? [];
    work = clocks === undefined
      ? (stop) => runSchedules(events, flags, output, stop)
      : (stop) => runClocks(clocks, flags, output, stop);
  } catch (error) {
    output.err(flagErrorText(error, COMMAND));
    return 2;
  }

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  signal?.addEventListener("abort", onSignal, { once: true });
  for (const name of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(name, onSignal);
  try {
    return await work(stop.signal);
  } finally {
    for (const name of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(name, onSignal);
    signal?.removeEventListener("abort", onSignal);
  }
}

/**
 * Starts the embedded server when no server is given, checks the connect
 * options and runs `work` with them; a `WalnatsError` (or an HTTP listen
 * error) it throws is logged and exit code 1.
 */
async function withServer(
  flags: Flags,
  output: Output,
  name: string,
  work: (options: ConnectOptions, resolved: ResolvedConnectOptions, log: Log) => Promise<number>,
): Promise<number> {
  const plain = new Log(flags.logFormat, output);
  await using embedded = flags.servers === undefined ? await startEmbedded(plain) : undefined;
  const servers = flags.servers ?? embedded?.url;
  if (servers === undefined) return 1;
  const options: ConnectOptions = { ...flags.connect, servers, name };
  let resolved;
  try {
    resolved = resolveConnectOptions(options);
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    output.err(flagErrorText(error, COMMAND));
    return 2;
  }
  const log = plain.hiding(resolved.secrets);
  try {
    return await work(options, resolved, log);
  } catch (error) {
    if (!(error instanceof WalnatsError || error instanceof HttpListenError)) throw error;
    log.error(error.message, error instanceof WalnatsError ? { code: error.code } : {});
    return 1;
  }
}

function runClocks(clocks: readonly Clock[], flags: Flags, output: Output, signal: AbortSignal) {
  const names = clocks.map((clock) => clock.event.name);
  return withServer(flags, output, `walnats-clock ${names.join(" ")}`, async (options, resolved, log) => {
    const metrics = new Metrics({ runs: ["clocks"] });
    const health = new Health();
    await using _http = listen(flags.http, health, metrics, log);
    const conn = await new Events(...clocks.map((clock) => clock.event)).connect(options);
    return await watched(conn, "clocks", metrics, health, log, async () => {
      await conn.register();
      health.registered(() => Promise.all(clocks.map((clock) => conn.lastTick(clock.event))));
      for (const clock of clocks) {
        const schedule = clock.cron === undefined ? `every ${clock.period} s` : `'${clock.cron}' in ${clock.timezone}`;
        log.info(
          `Clock '${clock.event.name}' ${schedule} on ${describeConnection(resolved)}; SIGINT or SIGTERM stops it.`,
          { event: clock.event.name, schedule },
        );
        // On a server of yours, say once what exactly once rests on when the stream has one copy (the
        // embedded server is for trying things out, and has one server only).
        if (flags.servers !== undefined && (clock.event.limits.replicas ?? 1) === 1) {
          log.info(
            `Stream '${clock.event.stream}' has 1 replica: a crash of its server's machine can lose ticks it ` +
              "acknowledged; on a cluster, --replicas 3 keeps them (docs/exactly-once.md: What exactly once rests on).",
            { event: clock.event.name, replicas: 1 },
          );
        }
      }
      const onTick = (report: TickReport) => {
        metrics.onTick(report);
        log.tick(report, clocks.length > 1);
      };
      await Promise.all(clocks.map((clock) => clock.run(conn, { signal, onTick })));
      health.stopped();
      log.info("Stopped.");
      return 0;
    });
  });
}

/**
 * Runs a schedules worker: fires the schedules of the events named (of every
 * event, for none), one line per fire. Its events are bytes: the worker
 * stores each record's payload as it is and needs no schema. It registers
 * nothing on a server of yours: its `Event`s would reset the streams'
 * limits to the defaults.
 */
function runSchedules(names: readonly string[], flags: Flags, output: Output, signal: AbortSignal) {
  const which = names.length === 0 ? "every event" : names.map((name) => `'${name}'`).join(", ");
  return withServer(flags, output, `walnats-schedules ${names.join(" ")}`.trim(), async (options, resolved, log) => {
    const metrics = new Metrics({ runs: ["schedules"], perSchedule: flags.perSchedule });
    const health = new Health("the schedules' bucket", "connecting");
    await using _http = listen(flags.http, health, metrics, log);
    const conn = await new Schedules(...names.map((name) => new Event(name, Uint8Array))).connect(options);
    return await watched(conn, "schedules", metrics, health, log, async () => {
      // A worker leaves the streams and the bucket to whoever manages the schedules (`deno task schedules add`
      // registers them with the events' settings); on its own throwaway server nobody else can.
      if (flags.servers === undefined) await conn.register();
      // Any id will do: reading one asks the bucket, and a missing bucket fails.
      health.registered(() => conn.get("walnats-readyz"));
      log.info(
        `Schedules worker for ${which} on ${describeConnection(resolved)}; SIGINT or SIGTERM stops it.`,
        { events: names.join(",") },
      );
      const onTick = (report: FireReport) => {
        metrics.onFire(report);
        log.fire(report);
      };
      const onResource = (report: ResourceReport) => {
        metrics.onResource(report);
        if (report.type === "recreated") {
          log.info(`The fleet's bucket '${report.resource}' was deleted; made again.`, { resource: report.resource });
        } else {
          // Every second while it lasts; /readyz says it too (its check reads the bucket).
          const code = report.error instanceof WalnatsError ? { code: report.error.code } : {};
          log.error(`No schedule fires: ${messageOf(report.error)}`, { resource: report.resource, ...code });
        }
      };
      const onChange = (change: AppliedChange) => {
        metrics.onChange(change);
        if (change.kind === "refused") {
          log.error(`Schedule '${change.id}' does not fire: ${change.reason}`, { schedule: change.id });
        }
      };
      await conn.run({ signal, onTick, onChange, onResource });
      health.stopped();
      log.info("Stopped.");
      return 0;
    });
  });
}

/**
 * Runs `work` while following `conn`'s state into the metrics, the health
 * checks and the log; then closes `conn` and waits for the following to end.
 */
async function watched(
  conn: StatusSource & { close(): Promise<void> },
  name: string,
  metrics: Metrics,
  health: Health,
  log: Log,
  work: () => Promise<number>,
): Promise<number> {
  const watching = Promise.all([metrics.watch(conn, name), follow(conn, health, log)]);
  try {
    return await work();
  } finally {
    await conn.close();
    await watching;
  }
}

/**
 * Serves the metrics and the health checks at `address` (nothing for none),
 * and logs where; readiness reasons hide the secrets as log lines do.
 */
function listen(address: HttpAddress | undefined, health: Health, metrics: Metrics, log: Log) {
  if (address === undefined) return undefined;
  const http = serveHttp(address, {
    alive: () => health.alive,
    ready: async () => {
      const readiness = await health.ready();
      return readiness.ready ? readiness : { ready: false, reason: log.redact(readiness.reason) };
    },
    metrics: () => metrics.response(),
  });
  log.info(`Metrics and health checks on ${http.url}: /metrics, /healthz, /readyz.`, { url: http.url });
  return http;
}

/** Logs the connection's changes and tells the health checks, until it is closed. */
async function follow(conn: StatusSource, health: Health, log: Log): Promise<void> {
  for await (const status of conn.status?.() ?? []) {
    health.onStatus(status);
    log.connection(status);
  }
}

/** The servers without userinfo, the kind of credentials and TLS: `nats://host:4222 (user 'clock', TLS)`. */
function describeConnection({ servers, credentials, tls }: ResolvedConnectOptions): string {
  const notes = [
    ...(credentials.kind === "none" ? [] : [describeCredentials(credentials)]),
    ...(tls === undefined ? [] : [tls.certFile === undefined ? "TLS" : "mutual TLS"]),
  ];
  return `${servers.join(", ")}${notes.length === 0 ? "" : ` (${notes.join(", ")})`}`;
}

async function startEmbedded(log: Log) {
  try {
    // Detached: a terminal's Ctrl-C reaches the whole group, and the server must outlive the worker's drain.
    const server = await startNatsServer({ detached: true });
    log.info(
      `No --server and no NATS_URL: started an embedded nats-server at ${server.url} ` +
        `(JetStream store ${server.storeDir}, removed on exit).`,
      { server: server.url },
    );
    return server;
  } catch (error) {
    if (!(error instanceof NatsServerNotFoundError)) throw error;
    log.error(`${error.message}\nOr pass --server URL (or set NATS_URL) to use a server you run.`);
    return undefined;
  }
}

/** How the command connects. */
interface Flags {
  /** `--server`, the file's `server` or `NATS_URL`, split at commas; undefined for the embedded server. */
  servers: string[] | undefined;
  /** Credentials and TLS, from the flags, else the file, else the environment. */
  connect: Omit<ConnectOptions, "servers">;
  /** `--http` or the file's `http`: where to serve metrics and health checks; undefined for none. */
  http: HttpAddress | undefined;
  /** `--log-format` or the file's `logFormat`; default text. */
  logFormat: LogFormat;
  /** Whether a schedules worker's fire metrics have a `schedule` label: not with `--metrics-per-event`. */
  perSchedule: boolean;
}

/** The clock flags: not with `--config`. */
const CLOCK_FLAGS = ["event", "period", "cron", "timezone", "catch-up", "meta", "replicas"] as const;

/** The clock flags that do not go with `--schedules` (`--event` does: the events whose schedules to fire). */
const SCHEDULE_FLAGS_NOT = CLOCK_FLAGS.filter((flag) => flag !== "event");

/** The parsed command line. */
type Values = ReturnType<typeof readArgs>;

function readArgs(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      event: { type: "string", multiple: true },
      schedules: { type: "boolean", default: false },
      "metrics-per-event": { type: "boolean", default: false },
      period: { type: "string" },
      cron: { type: "string" },
      timezone: { type: "string" },
      "catch-up": { type: "string" },
      meta: { type: "string", multiple: true },
      replicas: { type: "string" },
      config: { type: "string" },
      ...CONNECT_ARG_OPTIONS,
      http: { type: "string" },
      "log-format": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (positionals.length > 0) throw new TypeError(`Unexpected argument '${positionals[0]}'`);
  const format = values["log-format"];
  if (format !== undefined && !LOG_FORMATS.some((known) => known === format)) {
    throw new TypeError(`--log-format must be ${LOG_FORMATS.join(" or ")}, got '${format}'`);
  }
  if (values.schedules) {
    const other = [...SCHEDULE_FLAGS_NOT, "config" as const].find((flag) => values[flag] !== undefined);
    if (other !== undefined) {
      throw new TypeError(
        `--${other} does not go with --schedules: a schedule's spec is in its record (deno task schedules add)`,
      );
    }
  } else if (values["metrics-per-event"]) {
    throw new TypeError("--metrics-per-event goes with --schedules: a clock's metrics are per event already");
  } else if ((values.event?.length ?? 0) > 1) {
    throw new TypeError(`--event names one clock's event, got ${values.event?.length} (several go with --schedules)`);
  }
  if (values.config !== undefined) {
    const clockFlag = CLOCK_FLAGS.find((flag) => values[flag] !== undefined);
    if (clockFlag !== undefined) {
      throw new TypeError(`--${clockFlag} does not go with --config: give the clocks in the file or by flags`);
    }
  }
  return values;
}

/** The single clock the clock flags describe. */
function clockOf(values: Values): Clock {
  const meta = metaOf(values.meta);
  return new Clock({
    event: new Event(values.event?.[0] ?? "minute-passed", Date, {
      limits: values.replicas === undefined ? {} : { replicas: number("--replicas", values.replicas) },
    }),
    ...(values.period === undefined ? {} : { period: number("--period", values.period) }),
    ...(values.cron === undefined ? {} : { cron: values.cron }),
    ...(values.timezone === undefined ? {} : { timezone: values.timezone }),
    catchUp: values["catch-up"] === undefined ? 0 : number("--catch-up", values["catch-up"]),
    meta,
  });
}

/** How to connect: from the flags, else the configuration file, else the environment. */
function flagsOf(values: Values, config: WorkerConfig | undefined): Flags {
  const servers = serversOf(values.server, config);
  const flags: Record<string, unknown> = values;
  const given = givenConnectFlag(flags, config);
  if (servers === undefined && given !== undefined) {
    throw new TypeError(`${given} needs --server or NATS_URL: the embedded nats-server has no authentication or TLS`);
  }
  return {
    servers,
    connect: servers === undefined ? {} : connectOptions(flags, config),
    http: values.http === undefined ? config?.http : parseHttpAddress(values.http, "--http"),
    logFormat: (values["log-format"] as LogFormat | undefined) ?? config?.logFormat ?? "text",
    perSchedule: !values["metrics-per-event"],
  };
}

if (import.meta.main) Deno.exit(await main(Deno.args));
