/**
 * OpenTelemetry traces from a tick to its handler (docs/tracing.md): a `send <event>` span (kind producer)
 * per publish, the span's context in the message's headers (`traceparent`, `tracestate`, and Python walnats'
 * `Walnats-Trace`), and a `process <event>` span (kind consumer) per attempt whose parent is that context.
 *
 * Only `@opentelemetry/api` is used: without an SDK (or Deno's `OTEL_DENO=true`) its spans record nothing, their
 * context is invalid, and no attribute is built and no header written. The headers are written and read here in
 * the W3C format, whatever propagators the process registered: `traceparent` and `tracestate` are names this
 * library reserves, and an actor reads them the same way in every process.
 *
 * @module
 */
import {
  type Attributes,
  context,
  createTraceState,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import denoJson from "../../deno.json" with { type: "json" };
import { LATE_HEADER, SCHEDULE_HEADER, TRACE_HEADER, TRACEPARENT_HEADER, TRACESTATE_HEADER } from "./_headers.ts";
import type { PublishResult, TickMessage } from "./publisher.ts";

/** The library's tracer: a proxy, so that a provider registered after this module loaded is used. */
const TRACER_NAME = "@walnats/clock";
const tracer = trace.getTracer(TRACER_NAME, denoJson.version);

/**
 * Whether a tracer provider is registered: an SDK's, or Deno's own with `OTEL_DENO=true`. Without one the library's
 * spans record nothing. Asked per message, as the tracer asks, so that a provider registered later counts.
 */
function providerRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) ||
    provider.getDelegateTracer(TRACER_NAME, denoJson.version) !== undefined;
}

/** Span attributes the library sets besides OpenTelemetry's `messaging.*` ones. */
export const ATTRIBUTE = {
  /** The event's name. */
  event: "walnats.event",
  /** The tick (or fire) a message is of: ISO 8601, UTC, as its payload. */
  tick: "walnats.tick",
  /** The schedule a fire belongs to. */
  schedule: "walnats.schedule",
  /** True on a tick emitted late (catch-up) or a backfilled fire. */
  late: "walnats.late",
  /** How many publish attempts a tick took. */
  attempts: "walnats.attempts",
  /** What became of the publish (emitted, duplicate, missed, failed) or of the attempt (success, failure, ...). */
  outcome: "walnats.outcome",
  /** Why a tick was missed. */
  reason: "walnats.reason",
  /** The stream sequence of the message. */
  seq: "walnats.seq",
  /** The actor that handles the message. */
  actor: "walnats.actor",
  /** The attempt, from 1 (0: given back untried). */
  attempt: "walnats.attempt",
} as const;

/** W3C `traceparent`: version 00 (later versions may append fields), trace id, parent span id, flags. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The headers that carry `span`'s context to the message's consumers; none when it has no valid context. */
export function traceHeaders(span: Span): Record<string, string> {
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  const { traceId, spanId, traceFlags, traceState } = spanContext;
  const parent = `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
  const state = traceState?.serialize();
  return {
    [TRACEPARENT_HEADER]: parent,
    ...(state ? { [TRACESTATE_HEADER]: state } : {}),
    [TRACE_HEADER]: parent,
  };
}

/**
 * The remote span context a message's headers carry: `traceparent` (with `tracestate`), else (missing or invalid)
 * Python walnats' `Walnats-Trace`; their names in any case, unless `anyCase` is false. `undefined` when neither is
 * there or valid: the consumer's span then starts a trace.
 */
export function remoteSpanContext(
  headers: Readonly<Record<string, string>>,
  anyCase = true,
): SpanContext | undefined {
  const parent = parseTraceparent(headerValue(headers, TRACEPARENT_HEADER, anyCase));
  if (parent === undefined) return parseTraceparent(headerValue(headers, TRACE_HEADER, anyCase));
  const state = headerValue(headers, TRACESTATE_HEADER, anyCase);
  if (state === undefined) return parent;
  try {
    return { ...parent, traceState: createTraceState(state) };
  } catch {
    return parent; // a tracestate the API cannot read does not cost the parent
  }
}

/**
 * The value of the header `name`; with `anyCase`, its name matched whatever its case (a Go or Java producer may
 * write `Traceparent`), the exact name first, so that this library's own messages cost one lookup.
 */
function headerValue(headers: Readonly<Record<string, string>>, name: string, anyCase: boolean): string | undefined {
  const exact = headers[name];
  if (exact !== undefined || !anyCase) return exact;
  const lower = name.toLowerCase();
  for (const key in headers) if (key.length === name.length && key.toLowerCase() === lower) return headers[key];
  return undefined;
}

/** The span context a `traceparent` value (or Python walnats' `Walnats-Trace`) gives; `undefined` if invalid. */
function parseTraceparent(value: string | undefined): SpanContext | undefined {
  const match = value === undefined ? null : TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId = "", spanId = "", flags = ""] = match;
  if (version === "ff" || (version === "00" && match[5] !== undefined)) return undefined;
  const spanContext: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** What a message is sent to, and of: the attributes of its `send` span. */
export interface SendTarget {
  /** The event's name: the span is `send <event>`. */
  readonly event: string;
  /** The subject published to. */
  readonly subject: string;
  /** The message's `Nats-Msg-Id`, if any. */
  readonly msgId?: string | undefined;
  /** The tick (or fire) instant, epoch ms. */
  readonly tickMs?: number | undefined;
  /** The schedule of a fire. */
  readonly schedule?: string | undefined;
  /** A tick emitted late, or a backfilled fire. */
  readonly late?: boolean | undefined;
}

/** The {@link SendTarget} of a tick or a fire. */
export function sendTarget(event: string, message: TickMessage): SendTarget {
  return {
    event,
    subject: message.subject,
    msgId: message.msgId,
    tickMs: message.tickMs,
    schedule: message.headers[SCHEDULE_HEADER],
    late: message.headers[LATE_HEADER] === "true",
  };
}

/** Publishes a fire (a trigger's, a backfill's) by `publish`, in its `send` span. */
export function traceFire(
  event: string,
  message: TickMessage,
  publish: (message: TickMessage) => Promise<PublishResult>,
): Promise<PublishResult> {
  return traceSend(sendTarget(event, message), (headers) => publish(withHeaders(message, headers)), publishOutcome);
}

/** Runs an `emit()` of `event` (`uid`: its `Nats-Msg-Id`, if any) by `publish`, in its `send` span. */
export function traceEmit(
  event: { readonly name: string; readonly subject: string },
  uid: string | undefined,
  publish: (headers: Readonly<Record<string, string>>) => Promise<PublishResult>,
): Promise<PublishResult> {
  return traceSend({ event: event.name, subject: event.subject, msgId: uid }, publish, publishOutcome);
}

/** The outcome of one publish: emitted, or duplicate. */
export function publishOutcome({ seq, duplicate }: PublishResult): SendOutcome {
  return { outcome: duplicate ? "duplicate" : "emitted", seq };
}

/** `message` with `headers` added; `message` itself when there are none (no SDK: no copy). */
export function withHeaders(message: TickMessage, headers: Readonly<Record<string, string>>): TickMessage {
  for (const _ in headers) return { ...message, headers: { ...message.headers, ...headers } };
  return message;
}

/** How a send ended, for its span. */
export interface SendOutcome {
  readonly outcome: "emitted" | "duplicate" | "missed" | "failed";
  readonly seq?: number | undefined;
  readonly attempts?: number | undefined;
  readonly reason?: string | undefined;
  readonly error?: unknown;
}

/**
 * Runs `send` inside a `send <event>` span (kind producer, a child of the active span): `send` gets the headers
 * that carry the span's context (none without an SDK) and returns its result, which `outcomeOf` describes for the
 * span. A `send` that throws ends the span as `failed`, with the exception, and the error is thrown on.
 */
export async function traceSend<T>(
  target: SendTarget,
  send: (headers: Readonly<Record<string, string>>) => Promise<T>,
  outcomeOf: (result: T) => SendOutcome,
): Promise<T> {
  const span = tracer.startSpan(`send ${target.event}`, { kind: SpanKind.PRODUCER });
  if (span.isRecording()) span.setAttributes(sendAttributes(target));
  try {
    const result = await send(traceHeaders(span));
    if (span.isRecording()) endWith(span, outcomeOf(result));
    return result;
  } catch (error) {
    if (span.isRecording()) endWith(span, { outcome: "failed", error });
    throw error;
  } finally {
    span.end();
  }
}

function sendAttributes({ event, subject, msgId, tickMs, schedule, late }: SendTarget): Attributes {
  return {
    "messaging.system": "nats",
    "messaging.operation.type": "send",
    "messaging.operation.name": "send",
    "messaging.destination.name": subject,
    ...(msgId === undefined ? {} : { "messaging.message.id": msgId }),
    [ATTRIBUTE.event]: event,
    ...(tickMs === undefined ? {} : { [ATTRIBUTE.tick]: new Date(tickMs).toISOString() }),
    ...(schedule === undefined ? {} : { [ATTRIBUTE.schedule]: schedule }),
    ...(late ? { [ATTRIBUTE.late]: true } : {}),
  };
}

function endWith(span: Span, { outcome, seq, attempts, reason, error }: SendOutcome): void {
  span.setAttributes({
    [ATTRIBUTE.outcome]: outcome,
    ...(seq === undefined || seq <= 0 ? {} : { [ATTRIBUTE.seq]: seq }),
    ...(attempts === undefined ? {} : { [ATTRIBUTE.attempts]: attempts }),
    ...(reason === undefined ? {} : { [ATTRIBUTE.reason]: reason }),
  });
  if (outcome === "missed" || outcome === "failed") failed(span, error, reason ?? outcome);
}

/** Marks the span failed: status ERROR, and the exception when there is one. */
function failed(span: Span, error: unknown, message: string): void {
  if (error instanceof Error) span.recordException(error);
  else if (error !== undefined) span.recordException(String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : message });
}

/** One delivery of a message, as its `process` span names it. */
export interface ProcessTarget {
  readonly event: string;
  readonly actor: string;
  readonly subject: string;
  readonly seq: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** A job event, as the span of its attempt reads it. */
export interface ProcessEvent {
  readonly type: string;
  readonly attempt?: number;
  readonly error?: unknown;
}

/** The job events that end an attempt: the span's outcome. The first three mark it failed. */
const ENDINGS = new Set(["failure", "terminated", "cancelled", "success", "skipped"]);

/** The span of one attempt. */
export interface ProcessSpan {
  /**
   * Runs the attempt with the span's context active (`context.with`), so that the handler's own spans are its
   * children; ends the span when it settles (recording what it throws).
   */
  run(attempt: () => Promise<void>): Promise<void>;
  /** Notes a job event of the attempt: one that ends it (`success`, `failure`, ...) is the span's outcome. */
  note(event: ProcessEvent): void;
}

/**
 * Starts the `process <event>` span of one attempt (kind consumer) whose parent is the message's trace context,
 * not the caller's: retries of a message are siblings. An invalid or missing context starts a new trace.
 * `undefined` without an SDK when the message carries no context under the exact header names (or with a provider
 * whose span records nothing and has no context): the attempt runs unwrapped.
 */
export function startProcess({ event, actor, subject, seq, headers }: ProcessTarget): ProcessSpan | undefined {
  // Without a provider, only a context under the exact names is passed on (to the handler's own emits): looking
  // for the names in other cases would cost every message, and a message without a context costs no span at all.
  const registered = providerRegistered();
  const remote = remoteSpanContext(headers, registered);
  if (!registered && remote === undefined) return undefined;
  const parent = remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
  const span = tracer.startSpan(`process ${event}`, { kind: SpanKind.CONSUMER }, parent);
  if (!span.isRecording() && !isSpanContextValid(span.spanContext())) return undefined;
  if (span.isRecording()) {
    const msgId = headers["Nats-Msg-Id"];
    span.setAttributes({
      "messaging.system": "nats",
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.destination.name": subject,
      "messaging.consumer.group.name": actor,
      "messaging.message.id": msgId ?? String(seq),
      [ATTRIBUTE.event]: event,
      [ATTRIBUTE.actor]: actor,
      [ATTRIBUTE.seq]: seq,
    });
  }
  return {
    async run(attempt) {
      try {
        await context.with(trace.setSpan(context.active(), span), attempt);
      } catch (error) {
        if (span.isRecording()) failed(span, error, "error");
        throw error;
      } finally {
        span.end();
      }
    },
    note({ type, attempt, error }) {
      if (!ENDINGS.has(type) || !span.isRecording()) return;
      span.setAttributes({
        [ATTRIBUTE.outcome]: type,
        ...(attempt === undefined ? {} : { [ATTRIBUTE.attempt]: attempt }),
      });
      if (type === "failure" || type === "terminated" || type === "cancelled") failed(span, error, type);
    },
  };
}
