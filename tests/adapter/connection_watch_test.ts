/** `ConnectionWatch`: requests held back while the connection is down, and cut off when it drops. */
import assert from "node:assert/strict";
import { ErrorCode, isWalnatsError } from "../../src/errors.ts";
import { ConnectionWatch } from "../../src/nats/_connection_watch.ts";
import { settled } from "../_wait.ts";

/** A request that answers only when told to, and counts how often it was sent. */
function pending<T>() {
  let answer: (value: T) => void = () => {};
  let sent = 0;
  return {
    send: () => {
      sent++;
      return new Promise<T>((resolve) => answer = resolve);
    },
    answer: (value: T) => answer(value),
    sent: () => sent,
  };
}

/** Whether `promise` has settled after the pending callbacks ran. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

Deno.test("ConnectionWatch.request() sends at once and returns the answer while the connection is up", async () => {
  const watch = new ConnectionWatch();
  const request = pending<string>();
  const answer = watch.request("Cannot test", request.send, 1_000);
  assert.equal(request.sent(), 1);
  request.answer("ok");
  assert.equal(await answer, "ok");
});

for (const type of ["disconnect", "staleConnection", "forceReconnect", "reconnect"]) {
  Deno.test(`ConnectionWatch.request() rejects the request in flight with CONNECTION_INTERRUPTED on '${type}'`, async () => {
    const watch = new ConnectionWatch();
    const request = pending<string>();
    const answer = watch.request("Cannot test", request.send, 1_000);
    watch.update(type);
    const error = await answer.then(() => assert.fail("resolved"), (error: unknown) => error);
    assert.ok(isWalnatsError(error, ErrorCode.ConnectionInterrupted), String(error));
    assert.match((error as Error).message, /^Cannot test: the connection to NATS was interrupted/);
    request.answer("late"); // a late answer changes nothing
  });
}

Deno.test("ConnectionWatch.request() holds a request back while the connection is down and sends it once it is back", async () => {
  const watch = new ConnectionWatch();
  watch.update("disconnect");
  watch.update("reconnecting");
  const request = pending<string>();
  const answer = watch.request("Cannot test", request.send, 30_000);
  assert.equal(await isSettled(answer), false);
  assert.equal(request.sent(), 0, "sent into the reconnect gap");
  watch.update("reconnect");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(request.sent(), 1);
  request.answer("ok");
  assert.equal(await settled(answer, { what: "the answer" }), "ok");
});

Deno.test("ConnectionWatch.request() statuses other than drops and returns leave requests alone", async () => {
  const watch = new ConnectionWatch();
  const request = pending<string>();
  const answer = watch.request("Cannot test", request.send, 1_000);
  for (const type of ["update", "ldm", "error", "ping", "slowConsumer"]) watch.update(type);
  assert.equal(await isSettled(answer), false);
  request.answer("ok");
  assert.equal(await answer, "ok");
});

Deno.test("ConnectionWatch.request() rejects with CONNECTION_FAILED, nothing sent, when the connection is not back in time", async () => {
  const watch = new ConnectionWatch();
  watch.update("disconnect");
  const request = pending<string>();
  const error = await settled(
    watch.request("Cannot test", request.send, 20).then(() => assert.fail("resolved"), (error: unknown) => error),
    { what: "the rejection" },
  );
  assert.ok(isWalnatsError(error, ErrorCode.ConnectionFailed), String(error));
  assert.match((error as Error).message, /not back within 20 ms; nothing was sent/);
  assert.equal(request.sent(), 0);
});

Deno.test("ConnectionWatch.close() lets a held-back request go, to fail on the closed connection", async () => {
  const watch = new ConnectionWatch();
  watch.update("disconnect");
  const answer = watch.request("Cannot test", () => Promise.reject(new Error("closed")), 30_000);
  watch.close();
  await assert.rejects(settled(answer, { what: "the rejection" }), /closed/);
});
