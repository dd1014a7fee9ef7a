/**
 * One schedules worker in a process of its own, for the exactly-once and
 * the fleet tests of schedules (tests/chaos/schedules_test.ts,
 * tests/chaos/fleet_test.ts).
 *
 *     deno run -A tests/nats/_schedule_worker_process.ts --server nats://127.0.0.1:4222 --event fires [--skew-ms 500]
 *
 * Connects (without registering: another process did), prints
 * `{"ready":true}` and then one JSON line per fire report (`tick` in epoch
 * ms, `atMs` the system time of the report), and exits 0 on SIGTERM. `--skew-ms` shifts the worker's time by that
 * many milliseconds, as a host whose system clock is off would.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Event, type FireReport, Schedules, systemTime, type TimeSource } from "../../mod.ts";

/** A fire report as one JSON line. */
export interface FireLine {
  schedule: string;
  tick: number;
  /** When the report came (the attempts were over), epoch ms of the system's clock, not skewed. */
  atMs: number;
  outcome: FireReport["outcome"];
  attempts: number;
  seq?: number;
  late?: boolean;
  reason?: string;
  error?: string;
}

const { values } = parseArgs({
  options: { server: { type: "string" }, event: { type: "string" }, "skew-ms": { type: "string", default: "0" } },
});
if (values.server === undefined || values.event === undefined) {
  throw new TypeError("Usage: _schedule_worker_process.ts --server URL --event NAME [--skew-ms MS]");
}
const skewMs = Number(values["skew-ms"]);
const time: TimeSource = { now: () => systemTime.now() + skewMs, sleep: systemTime.sleep };

const stop = new AbortController();
const onTerm = () => stop.abort();
Deno.addSignalListener("SIGTERM", onTerm);
try {
  await using schedules = await new Schedules(new Event(values.event, Uint8Array)).connect({
    servers: values.server.split(","),
    name: `schedules-worker-${Deno.pid}`,
  });
  console.log(JSON.stringify({ ready: true }));
  await schedules.run({
    signal: stop.signal,
    time,
    onTick: (report) => {
      const line: FireLine = {
        schedule: report.schedule,
        tick: report.tick.getTime(),
        atMs: Date.now(),
        outcome: report.outcome,
        attempts: report.attempts,
        ...(report.seq === undefined ? {} : { seq: report.seq }),
        ...(report.late ? { late: true } : {}),
        ...(report.reason === undefined ? {} : { reason: report.reason }),
        ...(report.error === undefined ? {} : { error: String(report.error) }),
      };
      console.log(JSON.stringify(line));
    },
  });
} finally {
  Deno.removeSignalListener("SIGTERM", onTerm);
}
