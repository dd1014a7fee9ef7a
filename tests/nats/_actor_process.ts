/**
 * One actor in a process of its own, for tests/nats/actor_processes_test.ts.
 *
 *     deno run -A tests/nats/_actor_process.ts --server nats://127.0.0.1:4222 --event jobs --actor worker \
 *       [--job-ms 100] [--max-jobs 1] [--ack-wait 2] [--overlap skip] [--ticks] \
 *       [--fail] [--max-attempts 2] [--retry-delay 0.2]
 *
 * Connects, registers the actor (its event must be registered already),
 * prints `{"ready":true}`, then listens: one JSON line per job event
 * (`start`, `success`, `failure`, `terminated`, `delayed`, `unconfirmed`) and one `handled`
 * line per message the handler finished, each with `at` in epoch ms. The
 * handler takes `--job-ms` milliseconds, or less when its signal aborts
 * (`--overlap cancelOther`); with `--fail` it then throws
 * `no mail server for <actor>` instead. With `--ticks` the event is a
 * clock's (its payload a Date, printed as epoch ms). Exits 0 on SIGTERM,
 * once the running handlers finished, after a `metrics` line with its
 * `walnats_jobs_total{outcome="skipped"}` and
 * `walnats_schedules_paused_on_failure_total`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { delay } from "../../src/_async.ts";
import { Actor, Actors, Event, type OverlapPolicy } from "../../mod.ts";
import { Metrics } from "../../src/metrics.ts";

/** One line a process prints after `ready`. */
export interface ActorLine {
  type:
    | "start"
    | "success"
    | "failure"
    | "terminated"
    | "delayed"
    | "unconfirmed"
    | "bad-header"
    | "recreated"
    | "waiting"
    | "waited"
    | "skipped"
    | "cancelled"
    | "paused"
    | "pause-skipped"
    | "pause-failure"
    | "handled"
    | "metrics";
  seq: number;
  attempt?: number;
  /** The payload, on `handled` lines. */
  payload?: number;
  /** Why a message was skipped, on `skipped` lines. */
  reason?: string;
  /** The schedule, on `paused`, `pause-skipped` and `pause-failure` lines. */
  schedule?: string;
  /** The schedule's revision that fired, on `paused` and `pause-skipped` lines. */
  revision?: number;
  /** The pause's note, on `paused` lines. */
  note?: string;
  /** The error's text, on `failure`, `terminated` and `pause-failure` lines. */
  error?: string;
  /** The process's `walnats_jobs_total{outcome="skipped"}`, on the `metrics` line. */
  skippedTotal?: number;
  /** The process's `walnats_schedules_paused_on_failure_total`, on the `metrics` line. */
  pausedTotal?: number;
  /** When the process printed the line, in epoch ms. */
  at: number;
}

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    event: { type: "string" },
    actor: { type: "string" },
    "job-ms": { type: "string", default: "0" },
    "max-jobs": { type: "string" },
    "ack-wait": { type: "string" },
    overlap: { type: "string" },
    ticks: { type: "boolean", default: false },
    fail: { type: "boolean", default: false },
    "max-attempts": { type: "string" },
    "retry-delay": { type: "string" },
  },
});
const { server, event: eventName, actor: actorName } = values;
if (server === undefined || eventName === undefined || actorName === undefined) {
  throw new TypeError(
    "Usage: _actor_process.ts --server URL --event NAME --actor NAME [--job-ms MS] [--max-jobs N] [--ack-wait SECONDS]",
  );
}
const jobMs = Number(values["job-ms"]);

function print(line: ActorLine): void {
  console.log(JSON.stringify(line));
}

const stop = new AbortController();
const onTerm = () => stop.abort();
Deno.addSignalListener("SIGTERM", onTerm);

const event = values.ticks ? new Event(eventName, Date) : new Event(eventName, Number);
const actor = new Actor(actorName, event as Event, async (payload, context) => {
  await delay(jobMs, context.signal);
  if (values.fail) throw new Error(`no mail server for ${actorName}`);
  const value = payload instanceof Date ? payload.getTime() : payload as number;
  print({ type: "handled", seq: context.seq, attempt: context.attempt, payload: value, at: Date.now() });
}, {
  ...(values["max-jobs"] === undefined ? {} : { maxJobs: Number(values["max-jobs"]) }),
  ...(values["ack-wait"] === undefined ? {} : { ackWait: Number(values["ack-wait"]) }),
  ...(values.overlap === undefined ? {} : { overlap: values.overlap as OverlapPolicy }),
  ...(values["max-attempts"] === undefined ? {} : { maxAttempts: Number(values["max-attempts"]) }),
  ...(values["retry-delay"] === undefined ? {} : { retryDelay: Number(values["retry-delay"]) }),
});
const metrics = new Metrics({ runs: ["actors"] });
try {
  await using sub = await new Actors(actor).connect({ servers: server, name: `actor-${Deno.pid}` });
  await sub.register();
  console.log(JSON.stringify({ ready: true }));
  await sub.listen({
    signal: stop.signal,
    onEvent: (e) => {
      metrics.onEvent(e);
      if (e.type === "pull-failure") return console.error(`pull failed: ${e.error}`);
      if (!("seq" in e)) return;
      print({
        type: e.type as ActorLine["type"],
        seq: e.seq,
        ...("attempt" in e ? { attempt: e.attempt } : {}),
        ...(e.type === "skipped" ? { reason: e.reason } : {}),
        ...("schedule" in e && e.type.startsWith("pause") ? { schedule: e.schedule } : {}),
        ...("revision" in e ? { revision: e.revision } : {}),
        ...("note" in e ? { note: e.note } : {}),
        ...("error" in e ? { error: String(e.error) } : {}),
        at: Date.now(),
      });
    },
  });
  const text = await metrics.text();
  const skipped = text.match(/^walnats_jobs_total\{actor="[^"]+",outcome="skipped"\} (\d+)$/m);
  const paused = text.match(/^walnats_schedules_paused_on_failure_total\{actor="[^"]+"\} (\d+)$/m);
  const pausedTotal = Number(paused?.[1] ?? 0);
  print({ type: "metrics", seq: 0, skippedTotal: Number(skipped?.[1] ?? 0), pausedTotal, at: Date.now() });
} finally {
  Deno.removeSignalListener("SIGTERM", onTerm);
}
