/**
 * `deno task bench`: starts a throwaway nats-server on a free loopback
 * port, runs every case against its baseline, prints a table and writes
 * `bench/results/latest.json`. The idle case watches its two processes
 * while the other cases run; everything else runs one case at a time.
 *
 * @module
 */
import { startNatsServer } from "../cli/_nats_server.ts";
import { actorThroughput } from "./actor_throughput.ts";
import type { CaseResult } from "./_case.ts";
import { fanout } from "./fanout.ts";
import { startIdle } from "./idle.ts";
import { manyClocksMemory } from "./many_clocks_memory.ts";
import { scheduleChanges } from "./schedule_changes.ts";
import { schedulesFakeWeek } from "./schedules_fake_week.ts";
import { schedulesJitter } from "./schedules_jitter.ts";
import { schedulesScale } from "./schedules_scale.ts";
import { formatTable } from "./_table.ts";
import { tickLag } from "./tick_lag.ts";
import { timerLateness } from "./timer_lateness.ts";
import { underLoad } from "./under_load.ts";

const RESULTS = new URL("./results/latest.json", import.meta.url);

const loadBefore = Deno.loadavg();
const startedAt = new Date();
const cases: Record<string, CaseResult> = {};
const server = await startNatsServer();
try {
  const idle = await startIdle(server.url);
  idle.finished.catch(() => {}); // awaited last: a failure must not end the run before then
  const steps: [string, () => Promise<CaseResult>][] = [
    ["tick_lag", () => tickLag(server.url)],
    ["timer_lateness", () => timerLateness()],
    ["fanout", () => fanout(server.url)],
    ["under_load", () => underLoad(server.url)],
    ["actor_throughput", () => actorThroughput(server.url)],
    ["many_clocks_memory", () => manyClocksMemory()],
    ["schedule_changes", () => scheduleChanges(server.url)],
    ["schedules_scale", () => schedulesScale(server.url)],
    ["schedules_fake_week", () => schedulesFakeWeek()],
    ["schedules_jitter", () => schedulesJitter(server.url)],
    ["idle", () => idle.finished],
  ];
  for (const [name, run] of steps) {
    console.error(`${name} ...`);
    cases[name] = await run();
  }
} finally {
  await server.stop();
}

const env = {
  startedAt: startedAt.toISOString(),
  durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
  deno: Deno.version.deno,
  v8: Deno.version.v8,
  natsServer: await natsServerVersion(),
  os: `${Deno.build.os} ${Deno.osRelease()}`,
  cpus: navigator.hardwareConcurrency,
  loadavgBefore: loadBefore,
  loadavgAfter: Deno.loadavg(),
};
await Deno.writeTextFile(RESULTS, JSON.stringify({ cases, env }, null, 2) + "\n");
console.log(formatTable(cases));
console.log(
  `\n${env.deno}, nats-server ${env.natsServer}, ${env.cpus} CPUs, load ${env.loadavgBefore.join(" ")} before, ` +
    `${env.loadavgAfter.join(" ")} after, ${env.durationS} s; written to bench/results/latest.json`,
);

async function natsServerVersion(): Promise<string> {
  const { stdout } = await new Deno.Command("nats-server", { args: ["--version"] }).output();
  return new TextDecoder().decode(stdout).trim().replace(/^nats-server: v/, "");
}
