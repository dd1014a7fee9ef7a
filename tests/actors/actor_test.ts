import assert from "node:assert/strict";
import { Actor, Actors, Event } from "../../mod.ts";

const minute = new Event("minute-passed", Date);
const noop = () => {};

Deno.test("new Actor() takes the documented defaults", () => {
  const actor = new Actor("backup", minute, noop);
  assert.equal(actor.maxAttempts, 5);
  assert.deepEqual(actor.retryDelayMs, [500, 1_000, 2_000, 4_000]);
  assert.equal(actor.ackWaitMs, 30_000);
  assert.equal(actor.maxJobs, 16);
  assert.equal(actor.jobTimeoutMs, Infinity);
});

Deno.test("Actor.retryDelayAfterMs() follows retryDelay and repeats its last value", () => {
  const actor = new Actor("backup", minute, noop, { retryDelay: [1, 5, 30] });
  assert.deepEqual([1, 2, 3, 4, 10].map((n) => actor.retryDelayAfterMs(n)), [1_000, 5_000, 30_000, 30_000, 30_000]);
  const single = new Actor("backup", minute, noop, { retryDelay: 0 });
  assert.deepEqual([1, 2].map((n) => single.retryDelayAfterMs(n)), [0, 0]);
});

Deno.test("new Actor() refuses a name that is not a consumer name, naming the value", () => {
  for (const name of ["", "has space", "has.dot", "star*", "gt>", "slash/"]) {
    assert.throws(
      () => new Actor(name, minute, noop),
      (error: unknown) =>
        error instanceof TypeError && error.message.startsWith("Cannot create Actor: 'name' must be") &&
        error.message.includes(`'${name}'`),
    );
  }
});

Deno.test("new Actor() refuses a non-event and a non-function handler", () => {
  assert.throws(() => new Actor("a", "minute-passed" as never, noop), /^TypeError: Cannot create Actor: 'event'/);
  assert.throws(() => new Actor("a", minute, 5 as never), /^TypeError: Cannot create Actor: 'handler'/);
});

Deno.test("new Actor() refuses options out of range, naming the option and the value", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ maxAttempts: 0 }, /'maxAttempts' must be a whole number >= 1, got 0$/],
    [{ maxAttempts: 1.5 }, /'maxAttempts' must be a whole number >= 1, got 1\.5$/],
    [{ retryDelay: -1 }, /'retryDelay' must be seconds >= 0 .*, got -1$/],
    [{ retryDelay: [] }, /'retryDelay' must be seconds >= 0 .*, got \[\]$/],
    [{ ackWait: 0 }, /'ackWait' must be a positive number of seconds, got 0$/],
    [{ maxJobs: 0 }, /'maxJobs' must be a whole number >= 1, got 0$/],
    [{ jobTimeout: -5 }, /'jobTimeout' must be a positive number of seconds, got -5$/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => new Actor("a", minute, noop, options),
      (error: unknown) => error instanceof RangeError && message.test(error.message),
    );
  }
});

Deno.test("new Actors() refuses two actors of one name on one event", () => {
  const other = new Event("5m-passed", Date);
  new Actors(new Actor("a", minute, noop), new Actor("a", other, noop));
  assert.throws(
    () => new Actors(new Actor("a", minute, noop), new Actor("a", minute, noop)),
    /^TypeError: Cannot create Actors: two actors named 'a' on event 'minute-passed'$/,
  );
  assert.throws(() => new Actors({} as Actor), /^TypeError: Cannot create Actors: argument 1 must be an Actor/);
});

Deno.test("Actor.retryDelayAfter() stays as a deprecated alias of retryDelayAfterMs()", () => {
  const actor = new Actor("a", new Event("e", String), () => {}, { retryDelay: [1, 5] });
  assert.deepEqual([1, 2, 3].map((n) => actor.retryDelayAfter(n)), [1_000, 5_000, 5_000]);
});
