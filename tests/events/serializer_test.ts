import assert from "node:assert/strict";
import { formatInstant, type Serializer, serializerOf } from "../../src/events/serializer.ts";

const T0 = Date.parse("2026-11-26T16:15:00Z");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);
/** Not valid UTF-8: a lone continuation byte. */
const INVALID_UTF8 = new Uint8Array([0x66, 0x80, 0x6f]);

Deno.test("formatInstant() writes ISO 8601 in UTC with an explicit +00:00 offset", () => {
  assert.equal(formatInstant(T0), "2026-11-26T16:15:00.000+00:00");
  assert.equal(formatInstant(0), "1970-01-01T00:00:00.000+00:00");
  assert.equal(formatInstant(T0 + 7), "2026-11-26T16:15:00.007+00:00");
});

Deno.test("formatInstant() output reads back as the same instant", () => {
  for (const ms of [0, 1, T0, T0 + 1_500, Date.parse("1999-12-31T23:59:59.999Z")]) {
    assert.equal(Date.parse(formatInstant(ms)), ms);
  }
});

Deno.test("serializerOf(Date) encodes the instant as ISO text with +00:00 and decodes it back", () => {
  const dates = serializerOf(Date);
  const encoded = dates.encode(new Date(T0));
  assert.equal(text(encoded), "2026-11-26T16:15:00.000+00:00");
  const decoded = dates.decode(encoded);
  assert.ok(decoded instanceof Date);
  assert.equal(decoded.getTime(), T0);
});

Deno.test("serializerOf(Date) decodes other offsets and Z to the same instant", () => {
  const dates = serializerOf(Date);
  assert.equal(dates.decode(bytes("2026-11-26T17:15:00.000+01:00")).getTime(), T0);
  assert.equal(dates.decode(bytes("2026-11-26T16:15:00Z")).getTime(), T0);
});

Deno.test("serializerOf(Date) refuses to encode an invalid date or a non-date", () => {
  const dates = serializerOf(Date);
  assert.throws(() => dates.encode(new Date(NaN)), TypeError);
  assert.throws(() => dates.encode("2026-11-26" as unknown as Date), TypeError);
  assert.throws(() => dates.encode(T0 as unknown as Date), TypeError);
});

Deno.test("serializerOf(String) round-trips text, including empty and non-ASCII text", () => {
  const strings = serializerOf(String);
  for (const value of ["", "hello", "grüße, 日本, 🙂", "line\nbreak"]) {
    const encoded = strings.encode(value);
    assert.deepEqual(encoded, bytes(value));
    assert.equal(strings.decode(encoded), value);
  }
});

Deno.test("serializerOf(Number) round-trips numbers as their decimal text", () => {
  const numbers = serializerOf(Number);
  for (const value of [0, 1, -42, 3.25, 1e21, Number.MAX_SAFE_INTEGER, Infinity, -Infinity]) {
    const encoded = numbers.encode(value);
    assert.equal(text(encoded), String(value));
    assert.equal(numbers.decode(encoded), value);
  }
  assert.ok(Number.isNaN(numbers.decode(numbers.encode(NaN))));
});

Deno.test("serializerOf(Boolean) round-trips true and false", () => {
  const booleans = serializerOf(Boolean);
  for (const value of [true, false]) {
    const encoded = booleans.encode(value);
    assert.equal(text(encoded), String(value));
    assert.equal(booleans.decode(encoded), value);
  }
});

Deno.test("serializerOf(Object) round-trips JSON values", () => {
  const objects = serializerOf(Object);
  for (const value of [{ a: 1, b: [true, null, "x"] }, [1, 2], "text", 5, null, false]) {
    const encoded = objects.encode(value);
    assert.equal(text(encoded), JSON.stringify(value));
    assert.deepEqual(objects.decode(encoded), value);
  }
});

Deno.test("serializerOf(Uint8Array) passes bytes through unchanged", () => {
  const raw = serializerOf(Uint8Array);
  const value = new Uint8Array([0, 255, 128, 7]);
  const encoded = raw.encode(value);
  assert.deepEqual(encoded, value);
  assert.deepEqual(raw.decode(encoded), value);
});

Deno.test("serializerOf() uses a custom serializer as it is", () => {
  const bigints: Serializer<bigint> = {
    encode: (value) => bytes(value.toString()),
    decode: (data) => BigInt(text(data)),
  };
  const serializer = serializerOf(bigints);
  assert.equal(serializer, bigints);
  assert.equal(serializer.decode(serializer.encode(2n ** 70n)), 2n ** 70n);
});

Deno.test("serializerOf() rejects a schema that is neither built in nor a serializer", () => {
  const bad = [
    Map,
    Array,
    BigInt,
    {},
    { encode: () => new Uint8Array() },
    { decode: () => 1 },
    null,
    undefined,
    "Date",
  ];
  for (const schema of bad) {
    assert.throws(
      () => serializerOf(schema as never),
      (error: unknown) =>
        error instanceof TypeError && error.message.startsWith("Cannot create Event: 'schema' must be"),
      String(schema),
    );
  }
});

Deno.test("serializerOf(Date) throws on bytes that are not an instant", () => {
  const dates = serializerOf(Date);
  for (const data of [bytes("not a date"), bytes(""), bytes("2026-13-45T99:00:00Z"), INVALID_UTF8]) {
    assert.throws(() => dates.decode(data), TypeError, text(data));
  }
});

Deno.test("serializerOf(Number) throws on bytes that are not a number", () => {
  const numbers = serializerOf(Number);
  for (const value of ["", " ", "abc", "1,5", "nan"]) {
    assert.throws(() => numbers.decode(bytes(value)), TypeError, JSON.stringify(value));
  }
  assert.throws(() => numbers.decode(INVALID_UTF8), TypeError);
});

Deno.test("serializerOf(Boolean) throws on bytes other than true and false", () => {
  const booleans = serializerOf(Boolean);
  for (const value of ["", "True", "1", "yes", "true "]) {
    assert.throws(() => booleans.decode(bytes(value)), TypeError, JSON.stringify(value));
  }
});

Deno.test("serializerOf(Object) throws on bytes that are not JSON", () => {
  const objects = serializerOf(Object);
  for (const value of ["", "{", "{a:1}", "undefined"]) {
    assert.throws(() => objects.decode(bytes(value)), SyntaxError, JSON.stringify(value));
  }
});

Deno.test("serializerOf(String) throws on bytes that are not UTF-8", () => {
  assert.throws(() => serializerOf(String).decode(INVALID_UTF8), TypeError);
});

Deno.test("serializerOf() refuses to encode a value its own decode could not read back", () => {
  const cases: [unknown, unknown][] = [
    [String, 5],
    [String, undefined],
    [Number, "abc"],
    [Number, "5"],
    [Boolean, "yes"],
    [Boolean, 1],
    [Object, undefined],
    [Object, () => 1],
    [Uint8Array, "abc"],
    [Uint8Array, [1, 2]],
  ];
  for (const [schema, value] of cases) {
    assert.throws(
      () => serializerOf(schema as never).encode(value as never),
      (error: unknown) => error instanceof TypeError && error.message.startsWith("Cannot encode"),
      `${(schema as { name: string }).name}: ${String(value)}`,
    );
  }
});
