/**
 * Turns an event's payload into bytes and back. Pass one as an event's schema
 * when none of the built-in schemas fits.
 *
 * @example A serializer for bigint payloads
 * ```ts
 * import { Event, type Serializer } from "@walnats/clock";
 *
 * const bigints: Serializer<bigint> = {
 *   encode: (value) => new TextEncoder().encode(value.toString()),
 *   decode: (data) => BigInt(new TextDecoder().decode(data)),
 * };
 * const counted = new Event("counted", bigints);
 * ```
 */
export interface Serializer<T> {
  /** Turns a payload into the message's bytes. */
  encode(value: T): Uint8Array;
  /** Turns a message's bytes into a payload; throws on bytes it cannot read. */
  decode(data: Uint8Array): T;
  /**
   * The payload kind recorded on the event's stream (see {@link payloadKindOf}): 1 to 64 letters, digits,
   * `.`, `_` or `-`. Default `custom`. A serializer that writes what a built-in schema writes says so
   * (`json` for JSON with a validation of its own), so that its event may share a stream with `Object`.
   */
  readonly kind?: string;
}

/**
 * What an event's payload is: one of the built-in constructors `Date`,
 * `String`, `Number`, `Boolean`, `Object` (any JSON value) and `Uint8Array`
 * (bytes as they are), or a {@link Serializer} of your own.
 *
 * @example A JSON event
 * ```ts
 * import { Event } from "@walnats/clock";
 *
 * const ordered = new Event("order-placed", Object);
 * ```
 */
export type Schema =
  | DateConstructor
  | StringConstructor
  | NumberConstructor
  | BooleanConstructor
  | ObjectConstructor
  | Uint8ArrayConstructor
  // deno-lint-ignore no-explicit-any
  | Serializer<any>;

/**
 * The TypeScript type of the payload of an event whose schema is `S`.
 *
 * @example
 * ```ts
 * import type { Payload } from "@walnats/clock";
 *
 * const when: Payload<DateConstructor> = new Date();
 * ```
 */
export type Payload<S extends Schema> = S extends DateConstructor ? Date
  : S extends StringConstructor ? string
  : S extends NumberConstructor ? number
  : S extends BooleanConstructor ? boolean
  : S extends Uint8ArrayConstructor ? Uint8Array
  : S extends Serializer<infer T> ? T
  : S extends ObjectConstructor ? unknown
  : never;

import { describe } from "../_describe.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Formats an instant the way the wire carries it: ISO 8601, UTC, with an
 * explicit `+00:00` offset (`2026-11-26T16:15:00.000+00:00`), which Python's
 * `datetime.fromisoformat` reads.
 */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, "+00:00");
}

function text<T>(toText: (value: T) => string, fromText: (text: string) => T): Serializer<T> {
  return {
    encode: (value) => encoder.encode(toText(value)),
    decode: (data) => fromText(decoder.decode(data)),
  };
}

function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new TypeError(`Cannot decode a date from '${value}'`);
  return date;
}

function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || Number.isNaN(number) && value !== "NaN") {
    throw new TypeError(`Cannot decode a number from '${value}'`);
  }
  return number;
}

function parseBoolean(value: string): boolean {
  if (value !== "true" && value !== "false") {
    throw new TypeError(`Cannot decode a boolean from '${value}'`);
  }
  return value === "true";
}

function encodeDate(value: Date): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`Cannot encode ${describe(value)} as a date`);
  }
  return formatInstant(value.getTime());
}

function encodeString(value: string): string {
  if (typeof value !== "string") throw new TypeError(`Cannot encode ${describe(value)} as a string`);
  return value;
}

function encodeNumber(value: number): string {
  if (typeof value !== "number") throw new TypeError(`Cannot encode ${describe(value)} as a number`);
  return String(value);
}

function encodeBoolean(value: boolean): string {
  if (typeof value !== "boolean") throw new TypeError(`Cannot encode ${describe(value)} as a boolean`);
  return String(value);
}

function encodeJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`Cannot encode ${describe(value)} as JSON`);
  return json;
}

function encodeBytes(value: Uint8Array): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`Cannot encode ${describe(value)} as bytes`);
  return value;
}

// deno-lint-ignore no-explicit-any
const builtins = new Map<Schema, Serializer<any>>([
  [Date, text(encodeDate, parseDate)],
  [String, text(encodeString, String)],
  [Number, text(encodeNumber, parseNumber)],
  [Boolean, text(encodeBoolean, parseBoolean)],
  [Object, text(encodeJson, JSON.parse)],
  [Uint8Array, { encode: encodeBytes, decode: (data: Uint8Array) => data }],
]);

/** The payload kinds of the built-in schemas. */
const builtinKinds = new Map<Schema, string>([
  [Date, "date"],
  [String, "string"],
  [Number, "number"],
  [Boolean, "boolean"],
  [Object, "json"],
  [Uint8Array, "bytes"],
]);
/** What a serializer's own `kind` must look like: a token of the stream's description. */
const KIND_RULE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The payload kind of a schema: what its messages' bytes are, recorded on the
 * event's stream so that every process that registers the event, or stores
 * a schedule of it, uses the same kind. `date` (a `Date` event: the payload
 * is the tick's instant), `string`, `number`, `boolean`, `json` (`Object`),
 * `bytes` (`Uint8Array`); a {@link Serializer}'s own `kind`, else `custom`.
 *
 * @param schema a schema an `Event` accepts
 * @returns its kind
 * @throws {TypeError} when it is not a schema, or a serializer's `kind` is not a token
 */
export function payloadKindOf(schema: Schema): string {
  const kind = builtinKinds.get(schema) ?? (serializerOf(schema) as Serializer<unknown>).kind ?? "custom";
  if (!KIND_RULE.test(kind)) {
    throw new TypeError(
      `Cannot create Event: 'schema.kind' must be 1 to 64 letters, digits, '.', '_' or '-', got ${describe(kind)}`,
    );
  }
  return kind;
}

/** The serializer that a schema stands for. */
export function serializerOf<S extends Schema>(schema: S): Serializer<Payload<S>> {
  const builtin = builtins.get(schema);
  if (builtin) return builtin as Serializer<Payload<S>>;
  if (
    typeof schema === "object" && schema !== null &&
    typeof (schema as Serializer<unknown>).encode === "function" &&
    typeof (schema as Serializer<unknown>).decode === "function"
  ) {
    return schema as Serializer<Payload<S>>;
  }
  throw new TypeError(
    "Cannot create Event: 'schema' must be Date, String, Number, Boolean, Object, Uint8Array " +
      `or an object with encode and decode, got ${describe(schema)}`,
  );
}
