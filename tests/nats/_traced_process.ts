/**
 * The process of tests/nats/tracing_test.ts, run with `OTEL_DENO=true`: a clock of `traced-tick` (1 s) whose
 * actor `flaky` fails its first attempt and handles the second (it emits `traced-done` from inside its handler),
 * and a schedules worker firing the schedule `traced-report` (1 s) of `traced-report-due`, handled by the actor
 * `reporter`. It prints a line per tick and per job as they happen (what a test that kills it shows), stops once
 * both actors succeeded and exits: Deno's exporter sends the spans on the way out.
 *
 *     deno run -A tests/nats/_traced_process.ts <nats url>
 */
import { Actor, Actors, Clock, Event, Events, Schedules } from "../../mod.ts";

const [servers = "nats://127.0.0.1:4222"] = Deno.args;
const clock = new Clock({ event: new Event("traced-tick", Date), period: 1 });
const done = new Event("traced-done", String);
const reportDue = new Event("traced-report-due", Date);

await using events = await new Events(clock.event, done).connect({ servers });
await events.register();
await using schedules = await new Schedules(reportDue).connect({ servers });
await schedules.register();
await schedules.upsert("traced-report", { event: reportDue, period: 1 });

const stop = new AbortController();
const succeeded = new Set<string>();
const flaky = new Actor("flaky", clock.event, async (tick, { attempt }) => {
  if (attempt === 1) throw new Error(`first attempt at ${tick.toISOString()} fails`);
  await events.emit(done, tick.toISOString(), { uid: `done:${tick.getTime()}` });
}, { retryDelay: [0.1], maxJobs: 1 });
const reporter = new Actor("reporter", reportDue, () => {}, { maxJobs: 1 });
await using actors = await new Actors(flaky, reporter).connect({ servers });
await actors.register();

await Promise.all([
  clock.run(events, {
    signal: stop.signal,
    onTick: (report) => console.log(`tick ${report.outcome} ${report.tick.toISOString()}`),
  }),
  schedules.run({ signal: stop.signal }),
  actors.listen({
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type !== "start" && event.type !== "success" && event.type !== "failure") return;
      console.log(`job ${event.actor} ${event.type} ${event.attempt}`);
      if (event.type === "success") succeeded.add(event.actor);
      // The first message of each actor is enough: stop once both are handled, so that the spans are few.
      if (succeeded.size === 2) stop.abort();
    },
  }),
]);
