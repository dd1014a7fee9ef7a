/**
 * Actors in a process of their own that serve their `Metrics` over HTTP, for
 * tests/nats/dashboard_test.ts (a Prometheus scrapes them).
 *
 *     deno run -A tests/nats/_metrics_actor_process.ts --server nats://127.0.0.1:4222 --ticks minute-passed \
 *       --fires reminder --give-up doomed
 *
 * Connects, registers two actors (their events must be registered already):
 * `slow-ticks` handles the clock event `--ticks` in 1.5 s with an ack wait of
 * 1 s (pulses keep it going; an outage of the server leaves the acks of the
 * jobs it cuts unconfirmed) and succeeds; `fires-flaky` handles the
 * schedules' event `--fires`, fails each fire's first attempt and succeeds at
 * its second (`maxAttempts` 2), except the fires of the schedule `--give-up`,
 * which fail both and are given up. Serves `/metrics` on a free loopback
 * port, prints `{"metrics":"http://127.0.0.1:<port>/metrics"}` and
 * `{"ready":true}`, and exits 0 on SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { delay } from "../../src/_async.ts";
import { Actor, Actors, Event } from "../../mod.ts";
import { Metrics } from "../../src/metrics.ts";

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    ticks: { type: "string" },
    fires: { type: "string" },
    "give-up": { type: "string" },
  },
});
const { server, ticks, fires, "give-up": giveUp } = values;
if (server === undefined || ticks === undefined || fires === undefined || giveUp === undefined) {
  throw new TypeError("Usage: _metrics_actor_process.ts --server URL --ticks EVENT --fires EVENT --give-up SCHEDULE");
}

const stop = new AbortController();
const onTerm = () => stop.abort();
Deno.addSignalListener("SIGTERM", onTerm);
const metrics = new Metrics({ runs: ["actors"] });
const http = Deno.serve(
  { hostname: "127.0.0.1", port: 0, signal: stop.signal, onListen: () => {} },
  () => metrics.response(),
);
try {
  const slow = new Actor("slow-ticks", new Event(ticks, Date), async (_tick, context) => {
    await delay(1_500, context.signal);
  }, { ackWait: 1 });
  const flaky = new Actor("fires-flaky", new Event(fires, Object), (_value, context) => {
    if (context.attempt === 1 || context.headers["Walnats-Schedule"] === giveUp) {
      throw new Error(`attempt ${context.attempt} failed`);
    }
  }, { maxAttempts: 2, retryDelay: 0.2 });
  await using actors = await new Actors(slow, flaky).connect({ servers: server, name: `metrics-actors-${Deno.pid}` });
  await actors.register();
  const watching = metrics.watch(actors, "actors");
  console.log(JSON.stringify({ metrics: `http://127.0.0.1:${http.addr.port}/metrics` }));
  console.log(JSON.stringify({ ready: true }));
  await actors.listen({ signal: stop.signal, onEvent: metrics.onEvent });
  await actors.close();
  await watching;
} finally {
  Deno.removeSignalListener("SIGTERM", onTerm);
  stop.abort();
  await http.finished;
}
