/**
 * Traces end to end on Deno's own OpenTelemetry (issue 23, item 4): tests/nats/_traced_process.ts runs a clock,
 * a schedules worker and two actors against a nats-server with `OTEL_DENO=true`, exporting over OTLP/HTTP JSON to
 * a receiver served here; the spans it receives are checked across the messages: each `process` span's parent is
 * the `send` span of its message (same trace, parentSpanId = the send span's id), a retried job's two attempts
 * are siblings numbered 1 and 2, the handler's `emit()` is a child of its attempt, and a schedule's fire carries
 * the schedule's id. No SDK code is in the program. The last tests register the SDK here: garbage trace headers
 * start traces of their own, a failing `emit()` ends its span failed (tests/events/tracing_test.ts runs them in
 * memory).
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { failingEmit, garbageTraceContext } from "../_otel.ts";
import { settled } from "../_wait.ts";
import { openNats } from "./_nats_backend.ts";

/** A span as OTLP/JSON sends it (ids in hex), with its attributes as a plain object. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number };
  events: { name: string }[];
}

/** OTLP's span kinds. */
const PRODUCER = 4;
const CONSUMER = 5;
/** How long the process may take to see both actors succeed and exit: a safety stop, not a measurement. */
const PROCESS_WITHIN_MS = 60_000;
/** How long the spans may take to arrive after the process exited: a safety stop, not a measurement. */
const SPANS_WITHIN_MS = 30_000;

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

function received(body: {
  resourceSpans?: {
    scopeSpans?: {
      spans?: (Omit<ReceivedSpan, "attributes"> & { attributes?: { key: string; value: OtlpValue }[] })[];
    }[];
  }[];
}): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resource) => resource.scopeSpans ?? []).flatMap((scope) =>
    (scope.spans ?? []).map((span) => ({
      ...span,
      events: span.events ?? [],
      attributes: Object.fromEntries(
        (span.attributes ?? []).map(({ key, value }) => [
          key,
          value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue),
        ]),
      ),
    }))
  );
}

Deno.test("OTEL_DENO exports a tick's send span, the process spans of its two attempts as its children, and a schedule's fire", async () => {
  await using server = await startNatsServer();
  const spans: ReceivedSpan[] = [];
  const paths: string[] = [];
  let arrived = () => {};
  await using receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    paths.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get("content-type")}`);
    if (new URL(request.url).pathname === "/v1/traces") spans.push(...received(await request.json()));
    else await request.body?.cancel();
    arrived();
    return Response.json({});
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_traced_process.ts", import.meta.url).pathname, server.url],
    env: {
      NO_COLOR: "1",
      OTEL_DENO: "true",
      OTEL_SERVICE_NAME: "walnats-traced",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const running = child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  // A process whose actors never succeed never exits on its own: kill it, and fail with what it printed.
  const output = await settled(running, { what: "the traced process to exit", timeoutMs: PROCESS_WITHIN_MS })
    .catch(async (error: Error) => {
      child.kill("SIGKILL");
      const killed = await running;
      throw new Error(`${error.message}: killed; it printed:\n${decode(killed.stdout)}\n${decode(killed.stderr)}`);
    });
  const stdout = decode(output.stdout);
  assert.equal(output.code, 0, `${stdout}\n${decode(output.stderr)}`);

  const named = (name: string) => spans.filter((span) => span.name === name);
  const complete = () => named("process traced-report-due").length > 0 && named("send traced-done").length > 0;
  const deadline = Date.now() + SPANS_WITHIN_MS;
  while (!complete() && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      arrived = resolve;
      setTimeout(resolve, 500);
    });
  }
  const summary = `${stdout}\n${paths.join("\n")}\n${spans.map((span) => span.name).join(", ")}`;
  assert.ok(complete(), summary);

  // The tick handled by flaky: attempt 1 failed, attempt 2 emitted traced-done.
  const [emitted] = named("send traced-done");
  const second = spans.find((span) => span.spanId === emitted?.parentSpanId);
  assert.equal(second?.name, "process traced-tick", summary);
  const send = spans.find((span) => span.spanId === second?.parentSpanId);
  assert.ok(send, summary);
  assert.equal(send.name, "send traced-tick");
  assert.equal(send.kind, PRODUCER);
  assert.equal(send.parentSpanId ?? "", "");
  const tick = send.attributes["walnats.tick"];
  assert.deepEqual(send.attributes, {
    "messaging.system": "nats",
    "messaging.operation.type": "send",
    "messaging.operation.name": "send",
    "messaging.destination.name": "traced-tick",
    "messaging.message.id": `traced-tick:${Date.parse(String(tick))}`,
    "walnats.event": "traced-tick",
    "walnats.tick": tick,
    "walnats.outcome": "emitted",
    "walnats.seq": send.attributes["walnats.seq"],
    "walnats.attempts": 1,
  });
  const attempts = spans.filter((span) => span.name === "process traced-tick" && span.parentSpanId === send.spanId);
  assert.deepEqual(
    attempts.map((span) => [
      span.traceId,
      span.kind,
      span.attributes["walnats.actor"],
      span.attributes["walnats.attempt"],
      span.attributes["walnats.outcome"],
      span.attributes["messaging.message.id"],
      span.status.code ?? 0,
      span.events.map((event) => event.name),
    ]).sort((a, b) => Number(a[3]) - Number(b[3])),
    [
      [send.traceId, CONSUMER, "flaky", 1, "failure", send.attributes["messaging.message.id"], 2, ["exception"]],
      [send.traceId, CONSUMER, "flaky", 2, "success", send.attributes["messaging.message.id"], 0, []],
    ],
  );
  assert.equal(emitted?.traceId, send.traceId);
  assert.equal(emitted?.kind, PRODUCER);

  // A fire of the schedule: its send span names the schedule, the reporter's attempt is its child.
  const [handled] = named("process traced-report-due");
  const fire = spans.find((span) => span.spanId === handled?.parentSpanId);
  assert.equal(fire?.name, "send traced-report-due", summary);
  assert.equal(fire?.traceId, handled?.traceId);
  assert.equal(fire?.attributes["walnats.schedule"], "traced-report");
  assert.equal(fire?.attributes["messaging.destination.name"], "walnats-schedule.traced-report-due.traced-report.tick");
  assert.equal(handled?.attributes["messaging.destination.name"], fire?.attributes["messaging.destination.name"]);
  assert.equal(handled?.attributes["walnats.actor"], "reporter");
  assert.equal(handled?.attributes["walnats.outcome"], "success");
});

Deno.test("garbage trace headers start a trace of their own and never fail the job; a valid context in Walnats-Trace or under another name case is the parent [nats]", async () => {
  await using backend = await openNats();
  await garbageTraceContext(backend);
});

Deno.test("a failing emit() ends its send span failed, with status ERROR and the exception [nats]", async () => {
  await using backend = await openNats();
  await failingEmit(backend);
});
