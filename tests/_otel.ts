/**
 * The OpenTelemetry SDK of the in-process tracing tests (tests/events/tracing_test.ts on the in-memory server,
 * tests/nats/tracing_test.ts on a nats-server), and the tracing behaviour both run.
 *
 * @module
 */
import assert from "node:assert/strict";
import { context, trace } from "@opentelemetry/api";
// deno-lint-ignore no-import-prefix -- development-only: kept out of deno.json and deno.lock (see deno.dev.lock)
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from "npm:@opentelemetry/sdk-trace-base@^2.12.1";
// deno-lint-ignore no-import-prefix -- development-only, as above
import { AsyncLocalStorageContextManager } from "npm:@opentelemetry/context-async-hooks@^2.12.1";
import { Actor, Actors, ErrorCode, Event, Events, isWalnatsError, type JobEvent } from "../mod.ts";
import { tickMessage } from "../src/events/tick.ts";
import type { TestBackend } from "./_backends.ts";
import { waitUntil } from "./_wait.ts";

/**
 * The SDK, registered once per test file through the API the library uses: the library's tracer keeps the first
 * provider it finds (the API's proxy caches it), so a file's tests share one exporter and each starts by emptying
 * it. Tests without an SDK must come before the first call.
 */
const ended: ReadableSpan[] = [];
let registered = false;
export function sdk(): { spans(): ReadableSpan[] } {
  if (!registered) {
    // A processor that keeps every ended span at once: the SDK's InMemorySpanExporter answers on a timer.
    const keep: SpanProcessor = {
      onStart: () => {},
      onEnd: (span) => void ended.push(span),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    assert.ok(trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [keep] })));
    assert.ok(context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
    registered = true;
  }
  ended.length = 0;
  return { spans: () => [...ended] };
}

export type { ReadableSpan };

/** The span id of a span's parent; `undefined` for a root. */
export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

/** A trace context as W3C writes it, for the messages that carry a valid one. */
export const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
export const SPAN_ID = "00f067aa0ba902b7";
export const PARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

/**
 * Messages whose trace headers are garbage (as a foreign producer may write them: Python walnats' `trace_id` is
 * free text) are handled, each attempt in a trace of its own; a valid `Walnats-Trace` alone (Python walnats with
 * OpenTelemetry), a `Traceparent` (a Go or Java producer's name case) and a valid `Walnats-Trace` beside a garbage
 * `traceparent` are the parent. Needs {@link sdk} registered.
 */
export async function garbageTraceContext(backend: TestBackend): Promise<void> {
  const otel = sdk();
  const event = new Event("garbage-traced", Date);
  await using events = await new Events(event).connect(backend.target);
  await events.register();
  const jobs: string[] = [];
  const actor = new Actor("reader", event, () => {});
  await using actors = await new Actors(actor).connect(backend.target);
  await actors.register();
  const headers: Record<string, string>[] = [
    { traceparent: "garbage", tracestate: "=,=", "Walnats-Trace": "some-number" },
    { traceparent: `00-${"0".repeat(32)}-${SPAN_ID}-01` }, // an all-zero trace id
    { "Walnats-Trace": "some-number" },
    { traceparent: `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01-extra`, tracestate: PARENT },
    { "Walnats-Trace": PARENT },
    { Traceparent: `00-${"1".repeat(32)}-${SPAN_ID}-01` },
    { traceparent: "garbage", "Walnats-Trace": `00-${"2".repeat(32)}-${SPAN_ID}-01` },
  ];
  const firstMs = Math.ceil(backend.time.now() / 1000) * 1000;
  for (const [i, meta] of headers.entries()) {
    const message = tickMessage(event, firstMs + i * 1000, "test", meta);
    await events.publishTick(message, { timeoutMs: 5_000 });
  }
  const stop = new AbortController();
  const onEvent = (job: JobEvent) => {
    if (job.type === "success" || job.type === "failure") jobs.push(job.type);
  };
  const listening = actors.listen({ signal: stop.signal, onEvent });
  try {
    await waitUntil(() => jobs.length >= headers.length, {
      what: `${headers.length} jobs`,
      time: backend.wait,
      details: () => `${jobs}`,
    });
  } finally {
    stop.abort();
    await listening;
  }
  assert.deepEqual(jobs, headers.map(() => "success"));
  const processes = otel.spans().filter((span) => span.name === "process garbage-traced")
    .sort((a, b) => Number(a.attributes["walnats.seq"]) - Number(b.attributes["walnats.seq"]));
  const traces = processes.map((span) => span.spanContext().traceId);
  const parented = [TRACE_ID, "1".repeat(32), "2".repeat(32)];
  assert.deepEqual(
    processes.map((span) => [parentOf(span), span.attributes["walnats.outcome"]]),
    headers.map((_, i) => [i < 4 ? undefined : SPAN_ID, "success"]),
  );
  assert.deepEqual(traces.slice(4), parented);
  assert.equal(new Set(traces).size, headers.length, `a new trace for each garbage context: ${traces}`);
  assert.ok(traces.every((traceId) => /^[0-9a-f]{32}$/.test(traceId) && !/^0+$/.test(traceId)), `${traces}`);
}

/**
 * An `emit()` that fails (its event's stream is not registered) ends its `send` span `failed`, with status ERROR
 * and the exception, and the error is thrown on. Needs {@link sdk} registered.
 */
export async function failingEmit(backend: TestBackend): Promise<void> {
  const otel = sdk();
  const event = new Event("never-registered", String);
  await using events = await new Events(event).connect(backend.target);
  let thrown: unknown;
  await assert.rejects(events.emit(event, "lost", { uid: "lost-1" }), (error) => {
    thrown = error;
    return isWalnatsError(error, ErrorCode.StreamNotFound);
  });
  const [send, ...others] = otel.spans();
  assert.ok(send && others.length === 0, otel.spans().map((span) => span.name).join(", "));
  assert.deepEqual([send.name, send.kind, parentOf(send)], ["send never-registered", 3, /* PRODUCER */ undefined]);
  assert.deepEqual(send.attributes, {
    "messaging.system": "nats",
    "messaging.operation.type": "send",
    "messaging.operation.name": "send",
    "messaging.destination.name": "never-registered",
    "messaging.message.id": "lost-1",
    "walnats.event": "never-registered",
    "walnats.outcome": "failed",
  });
  assert.deepEqual(send.status, { code: 2, /* ERROR */ message: (thrown as Error).message });
  assert.deepEqual(send.events.map((event) => [event.name, event.attributes?.["exception.message"]]), [
    ["exception", (thrown as Error).message],
  ]);
}
