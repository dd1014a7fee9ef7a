/**
 * A clock and an actor in your own process, with their Prometheus metrics
 * served at http://127.0.0.1:9464/metrics, until Ctrl-C.
 *
 *     NATS_URL=nats://127.0.0.1:4222 deno run -A examples/metrics.ts
 */
import { Actor, Actors, Clock, Event, Events, systemTime, type TimeSource } from "../mod.ts";
import { Metrics } from "../src/metrics.ts"; // @walnats/clock/metrics

export const clock = new Clock({ event: new Event("10s-passed", Date), period: 10 });

/** The actor "refresh-report": calls `refresh` at every tick. */
export function refreshActor(refresh: (tick: Date) => unknown): Actor<DateConstructor> {
  return new Actor("refresh-report", clock.event, refresh);
}

/** Runs the clock and the actor until `signal` aborts, serving their metrics at `/metrics` of `port`. */
export async function runWithMetrics(
  servers: string,
  port: number,
  signal: AbortSignal,
  refresh: (tick: Date) => unknown,
  time: TimeSource = systemTime,
): Promise<void> {
  const metrics = new Metrics();
  const server = Deno.serve({ hostname: "127.0.0.1", port, signal }, () => metrics.response());

  const events = await new Events(clock.event).connect({ servers });
  await events.register();
  const actors = await new Actors(refreshActor(refresh)).connect({ servers });
  await actors.register();
  const watching = Promise.all([metrics.watch(events, "clocks"), metrics.watch(actors, "actors")]);
  await Promise.all([
    clock.run(events, { signal, time, onTick: metrics.onTick }),
    actors.listen({ signal, onEvent: metrics.onEvent }),
    server.finished,
  ]);
  await Promise.all([events.close(), actors.close(), watching]);
}

if (import.meta.main) {
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  const servers = Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
  await runWithMetrics(servers, 9464, stop.signal, (tick) => console.log("report refreshed for", tick.toISOString()));
}
