/**
 * One clock in a process of its own, for the exactly-once tests (tests/nats/exactly_once_*_test.ts).
 *
 *     deno run -A tests/nats/_clock_process.ts --server nats://127.0.0.1:4222 --event ticks \
 *       (--period 1 | --cron "* * * * * *") [--skew-ms 500] [--duplicate-window 0.2] [--catch-up 3] [--replicas 3]
 *
 * Connects, registers the event, prints `{"ready":true}` and then one JSON
 * line per tick report (`tick` in epoch ms), and exits 0 on SIGTERM.
 * `--skew-ms` shifts the clock's time source by that many milliseconds, as a
 * host whose system clock is off would. `--server` may list several URLs,
 * comma-separated (the servers of a cluster); `--replicas` is the event's
 * `limits.replicas`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Clock, Event, Events, systemTime, type TickReport, type TimeSource } from "../../mod.ts";

/** A tick report as one JSON line. */
export interface ReportLine {
  event: string;
  tick: number;
  outcome: TickReport["outcome"];
  lagMs: number;
  seq?: number;
  attempts: number;
  reason?: string;
  error?: string;
  late?: boolean;
}

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    event: { type: "string" },
    period: { type: "string" },
    "skew-ms": { type: "string", default: "0" },
    "duplicate-window": { type: "string" },
    cron: { type: "string" },
    "catch-up": { type: "string", default: "0" },
    replicas: { type: "string" },
  },
});
const { server, event: name, period, cron } = values;
if (server === undefined || name === undefined || (period === undefined) === (cron === undefined)) {
  throw new TypeError(
    "Usage: _clock_process.ts --server URL --event NAME (--period SECONDS | --cron EXPR) [--skew-ms MS] [--catch-up N] [--replicas N]",
  );
}
const skewMs = Number(values["skew-ms"]);
const duplicateWindow = values["duplicate-window"] === undefined ? undefined : Number(values["duplicate-window"]);
const replicas = values.replicas === undefined ? undefined : Number(values.replicas);

const stop = new AbortController();
const onTerm = () => stop.abort();
Deno.addSignalListener("SIGTERM", onTerm);

const time: TimeSource = { now: () => systemTime.now() + skewMs, sleep: systemTime.sleep };
const event = new Event(name, Date, {
  limits: {
    ...(duplicateWindow === undefined ? {} : { duplicateWindow }),
    ...(replicas === undefined ? {} : { replicas }),
  },
});
const schedule = cron === undefined ? { period: Number(period) } : { cron };
const clock = new Clock({ event, ...schedule, catchUp: Number(values["catch-up"]) });
try {
  await using conn = await new Events(clock.event).connect({ servers: server.split(","), name: `clock-${Deno.pid}` });
  await conn.register();
  console.log(JSON.stringify({ ready: true }));
  await clock.run(conn, {
    signal: stop.signal,
    time,
    onTick: (report) => {
      const { error, ...rest } = report;
      const line: ReportLine = {
        ...rest,
        tick: report.tick.getTime(),
        ...(error === undefined ? {} : { error: String(error) }),
      };
      console.log(JSON.stringify(line));
    },
  });
} finally {
  Deno.removeSignalListener("SIGTERM", onTerm);
}
