import assert from "node:assert/strict";
import { wholeMs } from "../../src/core/_units.ts";

Deno.test("wholeMs() converts seconds to whole milliseconds", () => {
  assert.equal(wholeMs(60), 60_000);
  assert.equal(wholeMs(1.5), 1_500);
  assert.equal(wholeMs(0.001), 1);
});

Deno.test("wholeMs() tolerates the float error of decimal seconds", () => {
  assert.equal(wholeMs(0.007), 7);
  assert.notEqual(1.001 * 1000, 1001);
  assert.equal(wholeMs(1.001), 1_001);
  assert.notEqual((0.1 + 0.2) * 1000, 300);
  assert.equal(wholeMs(0.1 + 0.2), 300);
});

Deno.test("wholeMs() rejects durations below one millisecond or between whole milliseconds", () => {
  for (const seconds of [0, 0.0005, 0.0009, 0.0015, 1.0005, -0.001, -5]) {
    assert.equal(wholeMs(seconds), undefined, `wholeMs(${seconds})`);
  }
});

Deno.test("wholeMs() rejects what is not a finite number", () => {
  for (const seconds of [NaN, Infinity, -Infinity, "60", null, undefined, 60n, {}]) {
    assert.equal(wholeMs(seconds), undefined, `wholeMs(${String(seconds)})`);
  }
});
