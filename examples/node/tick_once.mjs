/**
 * The library on Node.js, against a real NATS server: a clock emits one
 * `second-passed` tick (`burst`), the actor "node-ticks" handles it, and the
 * script prints one JSON line of what happened. Node 20 has no `using`, so
 * the connections are closed in `finally`.
 *
 *     npx jsr add @walnats/clock
 *     NATS_URL=nats://127.0.0.1:4222 node tick_once.mjs
 *
 * Run by tests/nats/node_test.ts on the package built with esbuild.
 */
import { Actor, Actors, Clock, Event, Events } from "@walnats/clock";

/** How long to wait for the actor to handle the tick: a safety stop. */
const HANDLED_WITHIN_MS = 20_000;

const servers = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const clock = new Clock({ event: new Event("second-passed", Date), period: 1 });
const handled = [];
const jobs = [];
let report;

const events = await new Events(clock.event).connect({ servers });
try {
  await events.register();
  const actor = new Actor("node-ticks", clock.event, (tick, { attempt }) => {
    handled.push({ tick: tick.toISOString(), attempt });
  });
  const actors = await new Actors(actor).connect({ servers });
  try {
    await actors.register(); // before the clock runs: the actor gets every tick from now on
    const stop = new AbortController();
    let succeeded = () => {};
    const success = new Promise((resolve) => succeeded = resolve);
    const onEvent = (event) => {
      jobs.push(event.type);
      if (event.type === "success") succeeded();
    };
    const listening = actors.listen({ signal: stop.signal, onEvent });
    try {
      await clock.run(events, { burst: true, onTick: (r) => report = r });
      let timer;
      await Promise.race([success, new Promise((resolve) => timer = setTimeout(resolve, HANDLED_WITHIN_MS))]);
      clearTimeout(timer);
    } finally {
      stop.abort();
      await listening;
    }
    // Whatever the consumer still holds would be handled now: nothing, once the tick was acknowledged.
    await actors.listen({ burst: true, onEvent });
  } finally {
    await actors.close();
  }
} finally {
  await events.close();
}

console.log(JSON.stringify({
  node: process.version,
  report: report && { event: report.event, tick: report.tick.toISOString(), outcome: report.outcome, seq: report.seq },
  handled,
  jobs,
}));
