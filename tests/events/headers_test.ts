import assert from "node:assert/strict";
import { validateMeta } from "../../src/events/_headers.ts";

const WHERE = "Cannot create Thing";

Deno.test("validateMeta() returns an empty frozen object when there is no meta", () => {
  const meta = validateMeta(undefined, WHERE);
  assert.deepEqual(meta, {});
  assert.ok(Object.isFrozen(meta));
});

Deno.test("validateMeta() returns a frozen copy of valid headers, names and values verbatim", () => {
  const input = { "X-Team": "ops", "region": "eu west", "a.b_c~d": " spaced: value ", "empty": "" };
  const meta = validateMeta(input, WHERE);
  assert.deepEqual(meta, input);
  assert.ok(Object.isFrozen(meta));
  input["X-Team"] = "changed";
  assert.equal(meta["X-Team"], "ops");
});

Deno.test("validateMeta() rejects header names that are not tokens", () => {
  for (const name of ["bad name", "a:b", "", "tab\tname", "é", "a\nb", "(paren)"]) {
    assert.throws(
      () => validateMeta({ [name]: "x" }, WHERE),
      (error: unknown) =>
        error instanceof TypeError && error.message.startsWith(`${WHERE}: 'meta'`) &&
        error.message.includes(`'${name}'`),
      JSON.stringify(name),
    );
  }
});

Deno.test("validateMeta() rejects the reserved Nats- and Walnats- prefixes in any case", () => {
  for (const name of ["Nats-X", "nats-msg-id", "Walnats-X", "WALNATS-TICK", "Walnats-Clock"]) {
    assert.throws(
      () => validateMeta({ [name]: "x" }, WHERE),
      (error: unknown) =>
        error instanceof TypeError && error.message.includes("'meta'") && error.message.includes(name),
      name,
    );
  }
});

Deno.test("validateMeta() accepts names that only contain the reserved words", () => {
  assert.deepEqual(validateMeta({ "X-Nats-Walnats": "ok", "Natsy": "ok" }, WHERE), {
    "X-Nats-Walnats": "ok",
    "Natsy": "ok",
  });
});

Deno.test("validateMeta() rejects values with line breaks or that are not strings", () => {
  for (const value of ["a\nb", "a\rb", "\r\n", 5, null, undefined, ["x"]]) {
    assert.throws(
      () => validateMeta({ team: value as string }, WHERE),
      (error: unknown) => error instanceof TypeError && error.message.includes("'meta' value of 'team'"),
      JSON.stringify(value),
    );
  }
});

Deno.test("validateMeta() rejects meta that is not an object", () => {
  for (const meta of [null, ["a"], "team=ops", 5]) {
    assert.throws(
      () => validateMeta(meta as unknown as Record<string, string>, WHERE),
      (error: unknown) => error instanceof TypeError && error.message.startsWith(`${WHERE}: 'meta' must be an object`),
      JSON.stringify(meta),
    );
  }
});
