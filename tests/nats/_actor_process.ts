/**
 * One actor in a process of its own, for tests/nats/actor_processes_test.ts.
 *
 *     deno run -A tests/nats/_actor_process.ts --server nats://127.0.0.1:4222 --event jobs --actor worker \
 *       [--job-ms 100] [--max-jobs 1] [--ack-wait 2]
 *
 * Connects, registers the actor (its event must be registered already),
 * prints `{"ready":true}`, then listens: one JSON line per job event
 * (`start`, `success`, `failure`, `terminated`, `delayed`, `unconfirmed`) and one `handled`
 * line per message the handler finished, each with `at` in epoch ms. The
 * handler takes `--job-ms` milliseconds. Exits 0 on SIGTERM, once the
 * running handlers finished.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { delay } from "../../src/_async.ts";
import { Actor, Actors, Event } from "../../mod.ts";

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
    | "handled";
  seq: number;
  attempt?: number;
  /** The payload, on `handled` lines. */
  payload?: number;
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

const event = new Event(eventName, Number);
const actor = new Actor(actorName, event, async (payload, context) => {
  await delay(jobMs);
  print({ type: "handled", seq: context.seq, attempt: context.attempt, payload, at: Date.now() });
}, {
  ...(values["max-jobs"] === undefined ? {} : { maxJobs: Number(values["max-jobs"]) }),
  ...(values["ack-wait"] === undefined ? {} : { ackWait: Number(values["ack-wait"]) }),
});
try {
  await using sub = await new Actors(actor).connect({ servers: server, name: `actor-${Deno.pid}` });
  await sub.register();
  console.log(JSON.stringify({ ready: true }));
  await sub.listen({
    signal: stop.signal,
    onEvent: (e) => {
      if (e.type === "pull-failure") return console.error(`pull failed: ${e.error}`);
      print({ type: e.type, seq: e.seq, ...("attempt" in e ? { attempt: e.attempt } : {}), at: Date.now() });
    },
  });
} finally {
  Deno.removeSignalListener("SIGTERM", onTerm);
}
