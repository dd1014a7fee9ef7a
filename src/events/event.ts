import { describe } from "../_describe.ts";
import { wholeMs } from "../core/_units.ts";
import { type Payload, payloadKindOf, type Schema, type Serializer, serializerOf } from "./serializer.ts";

/**
 * How much of an event the server keeps, and for how long. Every field is
 * optional; unset fields take the server's default (unlimited, one replica,
 * a duplicate window of 2 minutes).
 */
export interface Limits {
  /** Seconds a message is kept at most (the stream's `max_age`). */
  age?: number;
  /** How many consumers (actors) the stream may have at most. */
  consumers?: number;
  /** How many messages the stream keeps at most; the oldest go first. */
  messages?: number;
  /** How many bytes the stream keeps at most; the oldest messages go first. */
  bytes?: number;
  /** The largest message, in bytes, that the stream accepts. */
  messageSize?: number;
  /** On how many servers of a cluster each message is stored (1 to 5). */
  replicas?: number;
  /**
   * Seconds during which a second message with the same id is dropped as a
   * duplicate (the stream's `duplicate_window`, 0.1 s at least, at most
   * `age`). Clocks default it to their period, and to 2 minutes at least.
   */
  duplicateWindow?: number;
}

/** Options of an {@link Event}. */
export interface EventOptions {
  /** A sentence for people, stored as the stream's description. */
  description?: string;
  /** How much of the event the server keeps. */
  limits?: Limits;
}

const MAX_STREAM_NAME = 255;
/** The duplicate window of a stream whose event sets none, in seconds: the server's default. */
export const DEFAULT_DUPLICATE_WINDOW_S = 120;

/**
 * A kind of message: its name (the NATS subject), its payload schema and how
 * the server keeps it. Each event has a stream of its own, named like the
 * event with `.` replaced by `-`.
 *
 * @example Events with a built-in schema and with limits
 * ```ts
 * import assert from "node:assert/strict";
 * import { Event } from "@walnats/clock";
 *
 * const fiveMinutes = new Event("5m-passed", Date, { description: "Every 5 minutes" });
 * const ordered = new Event("order.placed", Object, { limits: { age: 7 * 24 * 3600 } });
 * assert.equal(ordered.stream, "order-placed");
 * assert.equal(ordered.payloadKind, "json");
 * ```
 */
export class Event<S extends Schema = Schema> {
  /** The event's name, which is also its NATS subject. */
  readonly name: string;
  /** The schema the payload follows. */
  readonly schema: S;
  /**
   * What the payload's bytes are: `date`, `string`, `number`, `boolean`,
   * `json`, `bytes`, or a serializer's own kind (default `custom`). An event
   * has one kind everywhere: the first `register()` (or schedule upsert)
   * records it on the stream, and a process that registers the event, or
   * stores a schedule of it, with another kind is refused
   * (`PAYLOAD_KIND_MISMATCH`).
   */
  readonly payloadKind: string;
  /** The description, if one was given. */
  readonly description: string | undefined;
  /** How much of the event the server keeps. */
  readonly limits: Readonly<Limits>;
  readonly #serializer: Serializer<Payload<S>>;

  /**
   * Creates an event; its stream is created by `register()`.
   *
   * @param name a NATS subject: letters, digits, `-`, `_` and `.` between
   *   non-empty tokens; at most 255 characters
   * @param schema `Date`, `String`, `Number`, `Boolean`, `Object` (JSON),
   *   `Uint8Array` or a {@link Serializer}
   * @param options description and limits
   * @throws {TypeError} when the name or schema is not usable
   * @throws {RangeError} when a limit is out of range
   */
  constructor(name: string, schema: S, options: EventOptions = {}) {
    validateName(name);
    this.#serializer = serializerOf(schema);
    this.name = name;
    this.schema = schema;
    this.payloadKind = payloadKindOf(schema);
    this.description = options.description;
    this.limits = Object.freeze(validateLimits(options.limits ?? {}));
  }

  /** The NATS subject messages of this event are published on: its name. */
  get subject(): string {
    return this.name;
  }

  /** The name of the event's stream: its name with `.` replaced by `-`. */
  get stream(): string {
    return streamOf(this.name);
  }

  /**
   * Turns a payload into the message's bytes.
   *
   * @param value the payload
   * @returns the bytes on the wire
   * @throws {TypeError} when the value does not fit the schema
   */
  encode(value: Payload<S>): Uint8Array {
    return this.#serializer.encode(value);
  }

  /**
   * Turns a message's bytes into a payload.
   *
   * @param data the bytes on the wire
   * @returns the payload
   * @throws {Error} when the bytes do not fit the schema
   */
  decode(data: Uint8Array): Payload<S> {
    return this.#serializer.decode(data);
  }
}

function validateName(name: unknown): asserts name is string {
  const problem = typeof name !== "string"
    ? "must be a string"
    : name === ""
    ? "must not be empty"
    : name.length > MAX_STREAM_NAME
    ? `must be at most ${MAX_STREAM_NAME} characters (its stream's name is limited)`
    : name.startsWith("$")
    ? "must not start with '$' (reserved for the server's own subjects)"
    // deno-lint-ignore no-control-regex
    : /[\s*>/\\\x00-\x1f\x7f]/.test(name)
    ? "must not contain white space, '*', '>', '/', '\\' or control characters"
    : name.split(".").includes("")
    ? "must not start or end with '.' nor contain '..'"
    : undefined;
  if (problem) {
    const shown = typeof name === "string" && name.length > 40
      ? `'${name.slice(0, 40)}…' (${name.length} characters)`
      : describe(name);
    throw new TypeError(`Cannot create Event: 'name' ${problem}, got ${shown}`);
  }
}

function requireNumber(
  field: keyof Limits,
  value: unknown,
  rule: string,
  ok: (n: number) => boolean,
): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !ok(value)) {
    throw new RangeError(`Cannot create Event: 'limits.${field}' must be ${rule}, got ${describe(value)}`);
  }
}

function validateLimits(limits: Limits): Limits {
  const positiveInteger = (n: number) => Number.isSafeInteger(n) && n >= 1;
  const seconds = (n: number) => wholeMs(n) !== undefined;
  requireNumber("age", limits.age, "a positive number of seconds (ms resolution)", seconds);
  requireNumber("consumers", limits.consumers, "a positive integer", positiveInteger);
  requireNumber("messages", limits.messages, "a positive integer", positiveInteger);
  requireNumber("bytes", limits.bytes, "a positive integer", positiveInteger);
  requireNumber("messageSize", limits.messageSize, "a positive integer", positiveInteger);
  requireNumber("replicas", limits.replicas, "an integer from 1 to 5", (n) => Number.isInteger(n) && n >= 1 && n <= 5);
  requireNumber(
    "duplicateWindow",
    limits.duplicateWindow,
    "at least 0.1 seconds (ms resolution)",
    (n) => seconds(n) && n >= 0.1,
  );
  if (
    limits.age !== undefined && limits.duplicateWindow !== undefined &&
    limits.duplicateWindow > limits.age
  ) {
    throw new RangeError(
      `Cannot create Event: 'limits.duplicateWindow' must not be longer than 'limits.age' (${limits.age} s), ` +
        `got ${limits.duplicateWindow}`,
    );
  }
  return { ...limits };
}

/** The stream of the event named `name`: the name with `.` replaced by `-`. */
export function streamOf(name: string): string {
  return name.replaceAll(".", "-");
}
