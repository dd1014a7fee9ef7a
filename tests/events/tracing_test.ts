/**
 * Traces from tick to handler (src/events/_tracing.ts): the trace context in a message's headers, written and
 * read (valid, invalid, Python walnats' `Walnats-Trace`, names in any case), the reserved header names, and the
 * spans of a clock's tick, an actor's two attempts, an `emit()` (and a failing one), a schedule's trigger and a
 * backfill on the in-memory server with the OpenTelemetry SDK (an in-memory exporter). tests/nats/tracing_test.ts runs them on nats-server with Deno's own
 * exporter, tests/nats/node_test.ts on Node.js.
 */
import assert from "node:assert/strict";
import { type SpanContext, trace, TraceFlags } from "@opentelemetry/api";
import { remoteSpanContext, startProcess, traceHeaders } from "../../src/events/_tracing.ts";
import { Actor, Actors, Clock, Event, Events, type Publisher, Schedules, type TickReport } from "../../mod.ts";
import { FakeTime, MemoryPublisher, MemoryServer } from "../../testing/mod.ts";
import { tickMessage } from "../../src/events/tick.ts";
import {
  failingEmit,
  garbageTraceContext,
  PARENT,
  parentOf,
  type ReadableSpan,
  sdk,
  SPAN_ID,
  TRACE_ID,
} from "../_otel.ts";
import { openMemory } from "../_backends.ts";

Deno.test("traceHeaders() writes traceparent, tracestate and Walnats-Trace of a valid span context, none of an invalid one", () => {
  const spanContext: SpanContext = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED };
  assert.deepEqual(traceHeaders(trace.wrapSpanContext(spanContext)), { traceparent: PARENT, "Walnats-Trace": PARENT });
  const withState = remoteSpanContext({ traceparent: PARENT, tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7" });
  assert.ok(withState);
  assert.deepEqual(traceHeaders(trace.wrapSpanContext({ ...withState, traceFlags: TraceFlags.NONE })), {
    traceparent: `00-${TRACE_ID}-${SPAN_ID}-00`,
    tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
    "Walnats-Trace": `00-${TRACE_ID}-${SPAN_ID}-00`,
  });
  // Without an SDK every span is non-recording with an invalid context: nothing goes on the wire.
  assert.deepEqual(traceHeaders(trace.getTracer("test").startSpan("x")), {});
});

Deno.test("remoteSpanContext() reads traceparent first, else Python walnats' Walnats-Trace", () => {
  const other = `00-${"1".repeat(32)}-${"2".repeat(16)}-00`;
  assert.deepEqual(remoteSpanContext({ traceparent: PARENT, "Walnats-Trace": other }), {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: 1,
    isRemote: true,
  });
  assert.deepEqual(remoteSpanContext({ "Walnats-Trace": other }), {
    traceId: "1".repeat(32),
    spanId: "2".repeat(16),
    traceFlags: 0,
    isRemote: true,
  });
  // tracestate goes with traceparent only; a later version may append fields.
  assert.equal(remoteSpanContext({ "Walnats-Trace": PARENT, tracestate: "a=b" })?.traceState, undefined);
  assert.equal(remoteSpanContext({ traceparent: `01-${TRACE_ID}-${SPAN_ID}-01-later` })?.traceId, TRACE_ID);
});

Deno.test("remoteSpanContext() matches the header names whatever their case, as a Go or Java producer may write them", () => {
  const state = "congo=t61rcWkgMzE";
  for (const [parent, tracestate] of [["Traceparent", "Tracestate"], ["TRACEPARENT", "TraceState"]] as const) {
    const spanContext = remoteSpanContext({ "Nats-Msg-Id": "a:1", [parent]: PARENT, [tracestate]: state });
    assert.deepEqual([spanContext?.traceId, spanContext?.spanId, spanContext?.traceState?.serialize()], [
      TRACE_ID,
      SPAN_ID,
      state,
    ], parent);
  }
  assert.equal(remoteSpanContext({ "walnats-trace": PARENT })?.spanId, SPAN_ID);
  assert.equal(remoteSpanContext({ "WALNATS-TRACE": PARENT })?.spanId, SPAN_ID);
  // Without an SDK (none is registered yet in this file) an attempt reads the exact names only, so that a message
  // without a context costs no search: a context under them is still passed on to the handler's emits.
  const attempt = (headers: Record<string, string>) =>
    startProcess({ event: "e", actor: "a", subject: "e", seq: 1, headers }) !== undefined;
  assert.deepEqual([attempt({ traceparent: PARENT }), attempt({ Traceparent: PARENT }), attempt({})], [
    true,
    false,
    false,
  ]);
});

Deno.test("remoteSpanContext() reads Walnats-Trace when traceparent is there but invalid", () => {
  const other = `00-${"1".repeat(32)}-${"2".repeat(16)}-01`;
  for (const traceparent of ["garbage", `00-${"0".repeat(32)}-${SPAN_ID}-01`, PARENT.toUpperCase()]) {
    const spanContext = remoteSpanContext({ traceparent, tracestate: "a=b", "Walnats-Trace": other });
    // The tracestate goes with the traceparent it came with: not with Walnats-Trace's context.
    assert.deepEqual(spanContext, { traceId: "1".repeat(32), spanId: "2".repeat(16), traceFlags: 1, isRemote: true });
  }
  assert.equal(remoteSpanContext({ Traceparent: "garbage", "walnats-trace": other })?.spanId, "2".repeat(16));
  assert.equal(remoteSpanContext({ traceparent: "garbage", "Walnats-Trace": "also garbage" }), undefined);
});

Deno.test("remoteSpanContext() gives undefined for a missing or invalid context, never throws", () => {
  const invalid = [
    {},
    { traceparent: "" },
    { traceparent: "garbage" },
    { traceparent: `00-${"0".repeat(32)}-${SPAN_ID}-01` }, // all-zero trace id
    { traceparent: `00-${TRACE_ID}-${"0".repeat(16)}-01` }, // all-zero span id
    { traceparent: `ff-${TRACE_ID}-${SPAN_ID}-01` }, // the forbidden version
    { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01-extra` }, // version 00 has four fields
    { traceparent: PARENT.toUpperCase() },
    { "Walnats-Trace": "00-xyz" },
  ];
  for (const headers of invalid) assert.equal(remoteSpanContext(headers), undefined, JSON.stringify(headers));
  // A tracestate the API cannot read loses only the state.
  assert.equal(remoteSpanContext({ traceparent: PARENT, tracestate: "=,=" })?.spanId, SPAN_ID);
});

Deno.test("traceparent and tracestate are reserved: a meta using them is refused, naming the header", () => {
  for (const name of ["traceparent", "TraceState", "Walnats-Trace"]) {
    assert.throws(
      () => new Clock({ meta: { [name]: PARENT } }),
      (error) => error instanceof TypeError && error.message.includes(`got '${name}'`),
      name,
    );
  }
});

Deno.test("without an SDK, a trigger's message carries no trace header; with one, its send span's context and the schedule", async () => {
  using time = new FakeTime("2026-12-07T12:00:00Z");
  const server = new MemoryServer(time);
  const event = new Event("report-due", Date);
  await using schedules = await new Schedules(event).connect(server);
  await schedules.register();
  await schedules.upsert("daily-report", { event, cron: "0 6 * * *" });
  await schedules.trigger("daily-report");
  const untraced = server.messages(event);
  assert.equal(untraced.length, 1);
  assert.deepEqual(Object.keys(untraced[0]!.headers).filter((name) => /trace/i.test(name)), []);

  const otel = sdk();
  time.tick(1); // a trigger of another millisecond: another fire
  const { seq } = await schedules.trigger("daily-report");
  const [send] = otel.spans();
  assert.equal(send?.name, "send report-due");
  assert.equal(send?.kind, 3 /* PRODUCER */);
  assert.equal(send?.attributes["walnats.schedule"], "daily-report");
  assert.equal(send?.attributes["walnats.seq"], seq);
  assert.equal(send?.attributes["messaging.destination.name"], "walnats-schedule.report-due.daily-report.manual");
  const stored = server.messages(event).find((message) => message.seq === seq);
  const parent = `00-${send?.spanContext().traceId}-${send?.spanContext().spanId}-01`;
  assert.deepEqual([stored?.headers.traceparent, stored?.headers["Walnats-Trace"]], [parent, parent]);
});

Deno.test("a tick's send span is the parent of each attempt's process span; the handler's spans and emits are their children", async () => {
  const otel = sdk();
  using time = new FakeTime("2026-12-07T11:59:59.500Z");
  const server = new MemoryServer(time);
  const clock = new Clock({ event: new Event("second-passed", Date), period: 1 });
  const done = new Event("done", String);
  const actor = new Actor("work", clock.event, async (_tick, { attempt }) => {
    trace.getTracer("handler").startSpan(`query ${attempt}`).end(); // the handler's own call
    if (attempt === 1) throw new Error("database down");
    await events.emit(done, "ok", { uid: "done-1" });
  }, { retryDelay: [1] });
  await using events = await new Events(clock.event, done).connect(server);
  await events.register();
  await using actors = await new Actors(actor).connect(server);
  await actors.register();

  const stop = new AbortController();
  const running = Promise.all([clock.run(events, { burst: true, time }), actors.listen({ signal: stop.signal })]);
  await time.tickAsync(3_000);
  stop.abort();
  await running;

  const spans = otel.spans();
  const named = (name: string) => spans.filter((span) => span.name === name);
  const [send] = named("send second-passed");
  assert.ok(send, spans.map((span) => span.name).join(", "));
  assert.equal(send.kind, 3 /* PRODUCER */);
  assert.equal(parentOf(send), undefined);
  assert.deepEqual(send.attributes, {
    "messaging.system": "nats",
    "messaging.operation.type": "send",
    "messaging.operation.name": "send",
    "messaging.destination.name": "second-passed",
    "messaging.message.id": "second-passed:1796644800000",
    "walnats.event": "second-passed",
    "walnats.tick": "2026-12-07T12:00:00.000Z",
    "walnats.outcome": "emitted",
    "walnats.seq": 1,
    "walnats.attempts": 1,
  });
  const traceId = send.spanContext().traceId;
  const processes = named("process second-passed");
  assert.deepEqual(
    processes.map((
      span,
    ) => [
      span.kind,
      span.spanContext().traceId,
      parentOf(span),
      span.attributes["walnats.attempt"],
      span.attributes["walnats.outcome"],
      span.status.code,
    ]),
    [
      [4, /* CONSUMER */ traceId, send.spanContext().spanId, 1, "failure", 2 /* ERROR */],
      [4, traceId, send.spanContext().spanId, 2, "success", 0 /* UNSET */],
    ],
  );
  assert.equal(processes[0]?.events[0]?.name, "exception");
  assert.equal(processes[0]?.events[0]?.attributes?.["exception.message"], "database down");
  assert.equal(processes[1]?.attributes["messaging.consumer.group.name"], "work");
  assert.equal(processes[1]?.attributes["walnats.actor"], "work");
  assert.deepEqual(
    ["query 1", "query 2"].map((name) => parentOf(named(name)[0]!)),
    processes.map((span) => span.spanContext().spanId),
  );
  const [emitted] = named("send done");
  assert.equal(parentOf(emitted!), processes[1]?.spanContext().spanId);
  assert.equal(emitted?.attributes["messaging.message.id"], "done-1");
  assert.equal(emitted?.attributes["walnats.outcome"], "emitted");
});

Deno.test("garbage trace headers start a trace of their own and never fail the job; a valid context in Walnats-Trace or under another name case is the parent [memory]", async () => {
  await using backend = await openMemory();
  await garbageTraceContext(backend);
});

/** A tick's send span, as its report reads: tick, outcome, late, attempts, reason, seq, status. */
const sendOf = (span: ReadableSpan) => [
  span.attributes["walnats.tick"],
  span.attributes["walnats.outcome"],
  span.attributes["walnats.late"] ?? false,
  span.attributes["walnats.attempts"],
  span.attributes["walnats.reason"],
  span.attributes["walnats.seq"],
  span.status.code === 2, /* ERROR */
];
const reportOf = (report: TickReport) => [
  report.tick.toISOString(),
  report.outcome,
  report.late ?? false,
  report.attempts,
  report.reason,
  report.seq,
  report.outcome === "missed",
];

Deno.test("a tick's send span: one for all its attempts, missed with its reason and error, late when caught up, duplicate when stored already", async () => {
  const otel = sdk();
  const T0 = Date.parse("2026-12-07T12:00:00Z");
  const MINUTE = 60_000;
  const clock = new Clock({ catchUp: 1 });
  const stream = new MemoryPublisher();
  await stream.publishTick(tickMessage(clock.event, T0, "earlier-clock", {}));
  using time = new FakeTime(T0 + 1_000);
  // The server is down from before tick 1 until 500 ms after tick 2 (its publishes until 3 s after): tick 1 is
  // missed, then caught up late in several attempts. Another clock stores tick 3 first.
  const down = (ms = 500) => time.now() < T0 + 2 * MINUTE + ms;
  const other = (tickMs: number) =>
    tickMs === T0 + 3 * MINUTE && stream.publishTick(tickMessage(clock.event, tickMs, "other", {}));
  const flaky: Publisher = {
    publishTick: async (message) => {
      if (down(3_000)) throw new Error("server down");
      await other(message.tickMs);
      return await stream.publishTick(message);
    },
    lastTick: (target) => down() ? Promise.reject(new Error("server down")) : stream.lastTick(target),
  };
  const reports: TickReport[] = [];
  const stop = new AbortController();
  const running = clock.run(flaky, { time, signal: stop.signal, onTick: (report) => reports.push(report) });
  await time.tickAsync(3 * MINUTE + 10_000);
  stop.abort();
  await time.tickAsync(0);
  await running;

  const sends = otel.spans().filter((span) => span.name === "send minute-passed");
  assert.deepEqual(
    reports.map((report) => [report.tick.getTime() - T0, report.outcome, report.late ?? false]),
    [[MINUTE, "missed", false], [MINUTE, "emitted", true], [2 * MINUTE, "emitted", false], [
      3 * MINUTE,
      "duplicate",
      false,
    ]],
  );
  assert.deepEqual(sends.map(sendOf), reports.map(reportOf));
  assert.ok(reports[1]!.attempts > 1, `attempts: ${reports.map((r) => r.attempts)}`);
  assert.equal(sends[0]?.events[0]?.attributes?.["exception.message"], "server down");
});

Deno.test("a failing emit() ends its send span failed, with status ERROR and the exception [memory]", async () => {
  await using backend = await openMemory();
  await failingEmit(backend);
});

Deno.test("a backfill's send spans: one per fire stored, the schedule, the backfilled tick, late, emitted; none for a tick held", async () => {
  const otel = sdk();
  using time = new FakeTime("2026-12-07T12:00:30Z");
  const server = new MemoryServer(time);
  const event = new Event("report-due", Date);
  await using schedules = await new Schedules(event).connect(server);
  await schedules.register();
  await schedules.upsert("minutely", { event, period: 60 });
  const range = { from: new Date("2026-12-07T11:57:30Z"), to: new Date(time.now()) };
  const { stored } = await schedules.backfill("minutely", range);
  const again = await schedules.backfill("minutely", range); // every tick held now: nothing sent

  assert.deepEqual(stored.map(({ tick }) => tick.toISOString()), [
    "2026-12-07T11:58:00.000Z",
    "2026-12-07T11:59:00.000Z",
    "2026-12-07T12:00:00.000Z",
  ]);
  assert.equal(again.skipped.length, 3);
  const sends = otel.spans();
  assert.deepEqual(
    sends.map((span) => [span.name, span.kind, parentOf(span), span.status.code]),
    stored.map(() => [
      "send report-due",
      3, /* PRODUCER */
      undefined,
      0, /* UNSET */
    ]),
  );
  assert.deepEqual(
    sends.map((span) => span.attributes),
    stored.map(({ tick, seq }) => ({
      "messaging.system": "nats",
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.destination.name": "walnats-schedule.report-due.minutely.manual",
      "messaging.message.id": `report-due:minutely:${tick.getTime()}`,
      "walnats.event": "report-due",
      "walnats.tick": tick.toISOString(),
      "walnats.schedule": "minutely",
      "walnats.late": true,
      "walnats.outcome": "emitted",
      "walnats.seq": seq,
    })),
  );
});
