/** `confirmAck()`: an ack sent until the server confirms it, again after a reconnect, never past the ack wait. */
import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import { ErrorCode, isWalnatsError } from "../../src/errors.ts";
import { ConnectionWatch } from "../../src/nats/_connection_watch.ts";
import { confirmAck, nakPayload } from "../../src/nats/_confirmed_ack.ts";

/** A send whose answers the test gives one by one, and the watch's state at each send. */
function server() {
  const answers: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  return {
    sends: answers,
    send: () => new Promise<unknown>((resolve, reject) => answers.push({ resolve: () => resolve(undefined), reject })),
  };
}

/** Resolves once the pending callbacks ran. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

const farAway = () => Date.now() + 60_000;

Deno.test("confirmAck() sends once and resolves when the server answers", async () => {
  const watch = new ConnectionWatch();
  const { sends, send } = server();
  const confirmed = confirmAck({ watch, send, redeliveryMs: farAway, what: "Cannot ack" });
  sends[0]!.resolve();
  await confirmed;
  assert.equal(sends.length, 1);
});

Deno.test("confirmAck() cut off by a drop sends again only once the connection is back, and resolves on that answer", async () => {
  const watch = new ConnectionWatch();
  const { sends, send } = server();
  const confirmed = confirmAck({ watch, send, redeliveryMs: farAway, what: "Cannot ack" });
  watch.update("disconnect");
  watch.update("reconnecting");
  await turn();
  assert.equal(sends.length, 1, "nothing sent while the connection is down");
  watch.update("reconnect");
  await turn();
  assert.equal(sends.length, 2, "sent again once back");
  sends[1]!.resolve();
  await confirmed;
});

Deno.test("confirmAck() not answered in time sends again; rejects with the timeout once the ack wait ran out", async () => {
  const watch = new ConnectionWatch();
  let sent = 0;
  const send = () => {
    sent++;
    return Promise.reject(new errors.TimeoutError());
  };
  const redeliveryMs = Date.now() + 300;
  await assert.rejects(
    confirmAck({ watch, send, redeliveryMs: () => redeliveryMs, what: "Cannot ack" }),
    errors.TimeoutError,
  );
  assert.ok(Date.now() >= redeliveryMs, "not given up before the ack wait ran out");
  assert.ok(sent >= 2, `sent ${sent} times`);
});

Deno.test("confirmAck() while the connection stays down past the ack wait rejects with CONNECTION_FAILED, nothing sent", async () => {
  const watch = new ConnectionWatch();
  watch.update("disconnect");
  const { sends, send } = server();
  const redeliveryMs = Date.now() + 50;
  await assert.rejects(
    confirmAck({ watch, send, redeliveryMs: () => redeliveryMs, what: "Cannot ack" }),
    (error) => isWalnatsError(error, ErrorCode.ConnectionFailed),
  );
  assert.equal(sends.length, 0);
  watch.close();
});

Deno.test("confirmAck() rejects at once on any other failure (a closed connection)", async () => {
  const watch = new ConnectionWatch();
  const { sends, send } = server();
  const confirmed = confirmAck({ watch, send, redeliveryMs: farAway, what: "Cannot ack" });
  sends[0]!.reject(new errors.ClosedConnectionError());
  await assert.rejects(confirmed, errors.ClosedConnectionError);
  assert.equal(sends.length, 1);
});

Deno.test("confirmAck() past the ack wait sends nothing", async () => {
  const watch = new ConnectionWatch();
  const { sends, send } = server();
  await assert.rejects(confirmAck({ watch, send, redeliveryMs: () => Date.now() - 1, what: "Cannot ack" }));
  assert.equal(sends.length, 0);
});

Deno.test("nakPayload() asks for the delay in nanoseconds, a plain nak without one", () => {
  assert.equal(nakPayload(1_500), '-NAK {"delay":1500000000}');
  assert.equal(nakPayload(0), "-NAK");
});
