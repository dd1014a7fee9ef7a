/**
 * The shape of a bad-input case and how one is checked, for
 * tests/bad_input_test.ts (no server) and tests/nats/bad_input_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ErrorCode, WalnatsError } from "../src/errors.ts";

/** An error class a bad input may throw: `TypeError`, `RangeError`, `WalnatsError` or one of its subclasses. */
export type ErrorClass = typeof TypeError | typeof RangeError | (new (...args: never[]) => WalnatsError);

/** One bad input: the call, what it must throw, and what the message must say. */
export interface BadInput {
  /** The public API the call belongs to, for the count by API. */
  api: string;
  /** The call as a reader would write it: the step's name. */
  call: string;
  /** Makes the call; sync or async. */
  run: () => unknown;
  /** The class of the error, checked with `instanceof` and by name. */
  error: ErrorClass;
  /** The code of a `WalnatsError`. */
  code?: ErrorCode;
  /** What the message must match: the argument and the value. */
  message: RegExp;
  /** A secret the message must not hold. */
  hides?: string;
}

/**
 * Makes the call and checks what it throws: the class (exactly, not a
 * subclass of it), the code, the message and the secret.
 */
export async function assertBadInput(input: BadInput): Promise<void> {
  let thrown: unknown;
  try {
    await input.run();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown !== undefined, `${input.call} did not throw`);
  assert.ok(thrown instanceof input.error, `${input.call} threw ${String(thrown)}, not a ${input.error.name}`);
  assert.equal(Object.getPrototypeOf(thrown), input.error.prototype, `${input.call} threw a ${thrown.name}`);
  if (input.code !== undefined) {
    assert.ok(thrown instanceof WalnatsError);
    assert.equal(thrown.code, input.code, thrown.message);
  }
  assert.match(thrown.message, input.message);
  if (input.hides !== undefined) assert.ok(!thrown.message.includes(input.hides), `${thrown.message} shows a secret`);
}

/** How many cases each API has, for the report of a table. */
export function countByApi(inputs: readonly BadInput[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { api } of inputs) counts[api] = (counts[api] ?? 0) + 1;
  return counts;
}
