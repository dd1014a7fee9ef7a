/**
 * Traces on Node.js with the OpenTelemetry Node SDK, against a real NATS server: a clock emits one `traced-second`
 * tick (`burst`), the actor "node-traced" fails its first attempt and handles the second, and the script prints
 * one JSON line with the spans an in-memory exporter got (name, kind, ids, parent, attributes) and the
 * `traceparent` each attempt's outgoing calls would carry. `NodeTracerProvider.register()` registers the provider,
 * the async-hooks context manager (a handler's own spans become children of its attempt) and the W3C propagator
 * (what instrumented HTTP clients write) through the `@opentelemetry/api` that `@opentelemetry/sdk-trace-node`
 * resolves: install `@opentelemetry/api@1.9` beside it, the copy the library imports, since a provider registered
 * through a newer API copy would not be seen by an older one.
 *
 *     npx jsr add @walnats/clock
 *     npm install @opentelemetry/api@1.9 @opentelemetry/sdk-trace-node
 *     NATS_URL=nats://127.0.0.1:4222 node traced_tick.mjs
 *
 * Run by tests/nats/node_test.ts on the package built with esbuild.
 */
import { context, propagation, trace } from "@opentelemetry/api";
import { Actor, Actors, Clock, Event, Events } from "@walnats/clock";

// The SDK is imported by a name given at run time: Node finds it in node_modules, and `deno check` of this
// repository, whose deno.json maps no development-only package, leaves it to Node. Write a plain import in your code.
const load = (name) => import(name);
const { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } = await load("@opentelemetry/sdk-trace-node");

/** How long to wait for the actor's second attempt: a safety stop. */
const HANDLED_WITHIN_MS = 20_000;

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

const servers = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const clock = new Clock({ event: new Event("traced-second", Date), period: 1 });
const jobs = [];
const outgoing = [];

const events = await new Events(clock.event).connect({ servers });
try {
  await events.register();
  const actor = new Actor("node-traced", clock.event, (_tick, { attempt }) => {
    trace.getTracer("handler").startSpan(`handler attempt ${attempt}`).end(); // the handler's own call
    const headers = {}; // an outgoing request's, as an instrumented HTTP client writes them
    propagation.inject(context.active(), headers);
    outgoing.push(headers.traceparent);
    if (attempt === 1) throw new Error("first attempt fails");
  }, { retryDelay: [0.1] });
  const actors = await new Actors(actor).connect({ servers });
  try {
    await actors.register();
    const stop = new AbortController();
    let succeeded = () => {};
    const success = new Promise((resolve) => succeeded = resolve);
    const listening = actors.listen({
      signal: stop.signal,
      onEvent: (event) => {
        jobs.push(`${event.type} ${event.attempt ?? ""}`.trim());
        if (event.type === "success") succeeded();
      },
    });
    try {
      await clock.run(events, { burst: true });
      let timer;
      await Promise.race([success, new Promise((resolve) => timer = setTimeout(resolve, HANDLED_WITHIN_MS))]);
      clearTimeout(timer);
    } finally {
      stop.abort();
      await listening;
    }
  } finally {
    await actors.close();
  }
} finally {
  await events.close();
}
await provider.forceFlush();

console.log(JSON.stringify({
  node: process.version,
  jobs,
  outgoing,
  spans: exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    status: span.status.code,
    events: span.events.map((event) => event.name),
    attributes: span.attributes,
  })),
}));
