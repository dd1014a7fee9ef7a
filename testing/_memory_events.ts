import { promiseTry } from "../src/_async.ts";
import { emitHeaders, emitPayload } from "../src/events/_emit_options.ts";
import { traceEmit } from "../src/events/_tracing.ts";
import {
  eventNotRegistered,
  noStreamStores,
  payloadKindMismatch,
  StreamConflictError,
  streamNotFound,
} from "../src/errors.ts";
import { DEFAULT_DUPLICATE_WINDOW_S, type Event } from "../src/events/event.ts";
import type { EmitOptions, EventsConnection } from "../src/events/events_connection.ts";
import type { PublishResult, TickMessage } from "../src/events/publisher.ts";
import type { Payload, Schema } from "../src/events/serializer.ts";
import type { TimeSource } from "../src/core/time_source.ts";
import { MemoryStream } from "./_memory_stream.ts";

/** An {@link EventsConnection} to the streams of a `MemoryServer`. */
export class MemoryEventsConnection implements EventsConnection {
  /** The server's time, which clocks run on. */
  readonly time: TimeSource;
  readonly #streams: Map<string, MemoryStream>;
  readonly #events: readonly Event[];

  constructor(streams: Map<string, MemoryStream>, events: readonly Event[], time: TimeSource) {
    this.#streams = streams;
    this.#events = events;
    this.time = time;
  }

  register(): Promise<void> {
    return promiseTry(() => {
      for (const event of this.#events) {
        const existing = this.#streams.get(event.stream);
        if (existing && existing.subject !== event.subject) {
          throw new StreamConflictError(event.stream, "subjects", [event.subject], [existing.subject]);
        }
        if (existing) checkKind(existing, event, `Cannot register stream '${event.stream}'`);
      }
      for (const event of this.#events) {
        const windowMs = Math.round((event.limits.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW_S) * 1000);
        const existing = this.#streams.get(event.stream);
        if (existing) existing.duplicateWindowMs = windowMs;
        else this.#streams.set(event.stream, new MemoryStream(event.subject, event.payloadKind, windowMs, this.time));
      }
    });
  }

  recordPayloadKind(event: Event, what: string): Promise<void> {
    return promiseTry(() => {
      const stream = this.#streams.get(event.stream);
      if (stream === undefined) throw eventNotRegistered(what, event);
      checkKind(stream, event, what);
    });
  }

  emit<S extends Schema>(event: Event<S>, value: Payload<S>, options: EmitOptions = {}): Promise<PublishResult> {
    return promiseTry(() => {
      const payload = emitPayload(event, value);
      const { uid, headers } = emitHeaders(options, this.time.now());
      const stream = this.#streams.get(event.stream);
      return traceEmit(event, uid, (trace) => {
        // Inside the send span, as on NATS, where the publish finds no stream.
        if (stream === undefined) throw noStreamStores(`Cannot emit '${event.name}'`);
        return Promise.resolve(stream.publish(payload, { ...headers, ...trace }, uid));
      });
    });
  }

  publishTick(message: TickMessage): Promise<PublishResult> {
    return promiseTry(() => this.#stream(message.stream).publishTick(message));
  }

  lastTick(target: { subject: string; stream: string }): Promise<number | undefined> {
    return promiseTry(() => this.#stream(target.stream).lastTick(target.subject));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #stream(name: string): MemoryStream {
    const stream = this.#streams.get(name);
    if (stream === undefined) throw streamNotFound(name);
    return stream;
  }
}

/** Refuses an event whose payload kind is not the one its stream was made with. */
function checkKind(stream: MemoryStream, event: Event, what: string): void {
  if (stream.payloadKind !== event.payloadKind) {
    throw payloadKindMismatch(what, event.name, stream.payloadKind, event.payloadKind);
  }
}
