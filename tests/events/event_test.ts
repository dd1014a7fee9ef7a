import assert from "node:assert/strict";
import { Event, type Limits } from "../../src/events/event.ts";
import type { Schema, Serializer } from "../../src/events/serializer.ts";

const T0 = Date.parse("2026-11-26T16:15:00Z");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Matches a TypeError about the event's name that quotes the name. */
function badName(name: string) {
  return (error: unknown) =>
    error instanceof TypeError && error.message.startsWith("Cannot create Event: 'name' ") &&
    error.message.includes(`'${name}'`);
}

/** Matches a RangeError about one limit. */
function badLimit(field: keyof Limits, value: unknown) {
  return (error: unknown) =>
    error instanceof RangeError && error.message.startsWith(`Cannot create Event: 'limits.${field}'`) &&
    error.message.endsWith(`got ${String(value)}`);
}

Deno.test("Event keeps its name as the subject and replaces '.' by '-' in the stream name", () => {
  const event = new Event("a.b", Date);
  assert.equal(event.name, "a.b");
  assert.equal(event.subject, "a.b");
  assert.equal(event.stream, "a-b");
  assert.equal(new Event("order.placed.eu", Object).stream, "order-placed-eu");
  assert.equal(new Event("minute-passed", Date).stream, "minute-passed");
});

Deno.test("Event keeps its schema, description and a frozen copy of its limits", () => {
  const limits: Limits = { age: 3_600, replicas: 3 };
  const event = new Event("5m-passed", Date, { description: "Every 5 minutes", limits });
  assert.equal(event.schema, Date);
  assert.equal(event.description, "Every 5 minutes");
  assert.deepEqual(event.limits, { age: 3_600, replicas: 3 });
  assert.ok(Object.isFrozen(event.limits));
  limits.age = 1;
  assert.equal(event.limits.age, 3_600);
  const plain = new Event("plain", String);
  assert.equal(plain.description, undefined);
  assert.deepEqual(plain.limits, {});
});

Deno.test("Event accepts names of letters, digits, '-', '_' and dotted tokens", () => {
  for (const name of ["a", "minute-passed", "5m_passed", "order.placed", "A.b-c_d.9"]) {
    assert.equal(new Event(name, Date).name, name);
  }
});

Deno.test("Event rejects an empty name", () => {
  assert.throws(
    () => new Event("", Date),
    (error: unknown) =>
      error instanceof TypeError && error.message === "Cannot create Event: 'name' must not be empty, got ''",
  );
});

Deno.test("Event rejects names with white space, wildcards, slashes or control characters", () => {
  for (const name of ["a b", " a", "a\tb", "a\nb", "*", "a.*", "a.>", ">", "a/b", "a\\b", "a\x00b", "a\x7fb"]) {
    assert.throws(() => new Event(name, Date), badName(name), JSON.stringify(name));
  }
});

Deno.test("Event rejects names with empty tokens", () => {
  for (const name of ["a..b", ".a", "a.", "."]) {
    assert.throws(() => new Event(name, Date), badName(name), name);
  }
});

Deno.test("Event rejects names in the server's reserved '$' namespace", () => {
  for (const name of ["$JS.x", "$SYS", "$KV.ticks.a"]) {
    assert.throws(() => new Event(name, Date), badName(name), name);
  }
});

Deno.test("Event accepts a 255-character name and rejects a 256-character one", () => {
  const longest = "a".repeat(255);
  assert.equal(new Event(longest, Date).stream, longest);
  const tooLong = "a".repeat(256);
  assert.throws(
    () => new Event(tooLong, Date),
    /^TypeError: Cannot create Event: 'name' must be at most 255 characters .*, got 'a{40}…' \(256 characters\)$/,
  );
});

Deno.test("Event rejects a name that is not a string", () => {
  for (const name of [undefined, null, 5, ["a"]]) {
    assert.throws(
      () => new Event(name as unknown as string, Date),
      (error: unknown) => error instanceof TypeError && error.message.includes("'name' must be a string"),
      String(name),
    );
  }
});

Deno.test("Event rejects a schema that is neither built in nor a serializer", () => {
  for (const schema of [Map, {}, { encode: () => new Uint8Array() }, null, "Date"]) {
    assert.throws(
      () => new Event("x", schema as never),
      (error: unknown) => error instanceof TypeError && error.message.includes("'schema'"),
      String(schema),
    );
  }
});

Deno.test("Event accepts each limit at its smallest value and fractional seconds", () => {
  const smallest: Limits = {
    age: 0.1,
    consumers: 1,
    messages: 1,
    bytes: 1,
    messageSize: 1,
    replicas: 1,
    duplicateWindow: 0.1,
  };
  assert.deepEqual(new Event("x", Date, { limits: smallest }).limits, smallest);
  assert.equal(new Event("x", Date, { limits: { age: 0.001 } }).limits.age, 0.001);
  assert.equal(new Event("x", Date, { limits: { replicas: 5, age: 86_400.5 } }).limits.age, 86_400.5);
});

Deno.test("Event rejects each limit out of range with a RangeError naming it", () => {
  const bad: [keyof Limits, unknown[]][] = [
    ["age", [0, -1, 0.0005, 1.0005, NaN, Infinity, "60"]],
    ["consumers", [0, -1, 1.5, NaN, Infinity, 2 ** 53, "1"]],
    ["messages", [0, -1, 1.5, NaN, Infinity, "1"]],
    ["bytes", [0, -1, 1.5, NaN, "1"]],
    ["messageSize", [0, -1, 1.5, NaN, "1"]],
    ["replicas", [0, 6, 1.5, -1, NaN, "3"]],
    ["duplicateWindow", [0, 0.05, 0.0999, -1, 1.0005, NaN, Infinity, "120"]],
  ];
  for (const [field, values] of bad) {
    for (const value of values) {
      assert.throws(
        () => new Event("x", Date, { limits: { [field]: value } }),
        badLimit(field, typeof value === "string" ? `'${value}'` : value),
        `${field}: ${String(value)}`,
      );
    }
  }
});

Deno.test("Event rejects a duplicate window longer than the age", () => {
  assert.throws(
    () => new Event("x", Date, { limits: { age: 60, duplicateWindow: 120 } }),
    (error: unknown) =>
      error instanceof RangeError && error.message.includes("'limits.duplicateWindow'") &&
      error.message.includes("'limits.age' (60 s)") && error.message.endsWith("got 120"),
  );
  assert.equal(new Event("x", Date, { limits: { age: 60, duplicateWindow: 60 } }).limits.duplicateWindow, 60);
});

Deno.test("Event.encode() and decode() round-trip every built-in schema", () => {
  const dates = new Event("d", Date);
  assert.equal(text(dates.encode(new Date(T0))), "2026-11-26T16:15:00.000+00:00");
  assert.equal(dates.decode(dates.encode(new Date(T0))).getTime(), T0);

  const strings = new Event("s", String);
  assert.equal(strings.decode(strings.encode("grüße")), "grüße");

  const numbers = new Event("n", Number);
  assert.equal(numbers.decode(numbers.encode(-3.25)), -3.25);

  const booleans = new Event("b", Boolean);
  assert.equal(booleans.decode(booleans.encode(false)), false);
  assert.equal(booleans.decode(booleans.encode(true)), true);

  const objects = new Event("o", Object);
  assert.deepEqual(objects.decode(objects.encode({ id: 7, tags: ["a"], nested: { ok: null } })), {
    id: 7,
    tags: ["a"],
    nested: { ok: null },
  });

  const raw = new Event("r", Uint8Array);
  assert.deepEqual(raw.decode(raw.encode(new Uint8Array([1, 0, 255]))), new Uint8Array([1, 0, 255]));
});

Deno.test("Event.encode() and decode() use a custom serializer", () => {
  const calls: string[] = [];
  const points: Serializer<{ x: number; y: number }> = {
    encode: (value) => {
      calls.push("encode");
      return new TextEncoder().encode(`${value.x},${value.y}`);
    },
    decode: (data) => {
      calls.push("decode");
      const [x, y] = text(data).split(",").map(Number);
      return { x: x!, y: y! };
    },
  };
  const event = new Event("point", points);
  const encoded = event.encode({ x: 3, y: -4 });
  assert.equal(text(encoded), "3,-4");
  assert.deepEqual(event.decode(encoded), { x: 3, y: -4 });
  assert.deepEqual(calls, ["encode", "decode"]);
});

Deno.test("Event.decode() throws on bytes that do not fit the schema", () => {
  const bytes = (value: string) => new TextEncoder().encode(value);
  assert.throws(() => new Event("d", Date).decode(bytes("yesterday")), TypeError);
  assert.throws(() => new Event("n", Number).decode(bytes("seven")), TypeError);
  assert.throws(() => new Event("b", Boolean).decode(bytes("maybe")), TypeError);
  assert.throws(() => new Event("o", Object).decode(bytes("{")), SyntaxError);
  assert.throws(() => new Event("s", String).decode(new Uint8Array([0xff])), TypeError);
});

Deno.test("Event.payloadKind names what the payload's bytes are: a built-in schema's kind, a serializer's own, or custom", () => {
  const kinds = [Date, String, Number, Boolean, Object, Uint8Array].map((schema) =>
    new Event("e", schema as Schema).payloadKind
  );
  assert.deepEqual(kinds, ["date", "string", "number", "boolean", "json", "bytes"]);
  const codec: Serializer<unknown> = {
    encode: (value) => new TextEncoder().encode(JSON.stringify(value)),
    decode: (data) => JSON.parse(new TextDecoder().decode(data)),
  };
  assert.equal(new Event("e", codec).payloadKind, "custom");
  assert.equal(new Event("e", { ...codec, kind: "json" }).payloadKind, "json");
  assert.throws(
    () => new Event("e", { ...codec, kind: "my kind]" }),
    new TypeError(
      "Cannot create Event: 'schema.kind' must be 1 to 64 letters, digits, '.', '_' or '-', got 'my kind]'",
    ),
  );
});
