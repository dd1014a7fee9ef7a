/**
 * How a failed request on an event's stream is told apart: missing (STREAM_NOT_FOUND), unavailable
 * (STREAM_UNAVAILABLE), or "no responders", which the stream's info decides. Built from the error
 * objects nats.js 3.4 rejects with: a single nats-server cannot make an existing stream leaderless.
 */
import assert from "node:assert/strict";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { jserrors } from "@nats-io/jetstream/internal";
import { errors } from "@nats-io/nats-core";
import { infoVerdict, streamFailure } from "../../src/nats/_api_errors.ts";

/** What nats.js's `js.publish()` and JetStream API requests reject with when nobody answers. */
function noResponders(): Error {
  const request = new errors.RequestError("no responders: '$JS.API.STREAM.INFO.x'", {
    cause: new errors.NoRespondersError("$JS.API.STREAM.INFO.x"),
  });
  return new jserrors.JetStreamNotEnabled("jetstream is not enabled", { cause: request });
}

const notFound = () =>
  new jserrors.StreamNotFoundError({
    code: 404,
    err_code: JetStreamApiCodes.StreamNotFound,
    description: "stream not found",
  });
const clusterNotAvailable = () =>
  new JetStreamApiError({ code: 503, err_code: 10008, description: "JetStream system temporarily unavailable" });

Deno.test("streamFailure() reads the API's 'stream not found' (10059) as missing", () => {
  assert.equal(streamFailure(notFound()), "missing");
});

Deno.test("streamFailure() reads a 503 API error (10008, no leader or quorum) as unavailable", () => {
  assert.equal(streamFailure(clusterNotAvailable()), "unavailable");
});

Deno.test("streamFailure() reads 'no responders' (JetStreamNotEnabled around it, or the bare RequestError) as noResponders", () => {
  assert.equal(streamFailure(noResponders()), "noResponders");
  assert.equal(streamFailure(noResponders().cause), "noResponders");
});

Deno.test("streamFailure() reads a timeout (no answer on a connection that stayed up) as a timeout, not as no leader", () => {
  assert.equal(streamFailure(new errors.TimeoutError()), "timeout");
  assert.equal(streamFailure(new errors.RequestError("timeout", { cause: new errors.TimeoutError() })), "timeout");
});

Deno.test("streamFailure() leaves a wrong last sequence, JetStream disabled for the account and others alone", () => {
  const wrongLast = new JetStreamApiError({
    code: 400,
    err_code: JetStreamApiCodes.StreamWrongLastSequence,
    description: "wrong last sequence: 3",
  });
  assert.equal(streamFailure(wrongLast), undefined);
  const disabled = new jserrors.JetStreamNotEnabled("jetstream not enabled for account", {
    cause: new JetStreamApiError({ code: 503, err_code: 10039, description: "jetstream not enabled for account" }),
  });
  assert.equal(streamFailure(disabled), undefined);
  assert.equal(streamFailure(new Error("other")), undefined);
  assert.equal(streamFailure("text"), undefined);
});

Deno.test("infoVerdict() after 'no responders': missing only when the stream's info says 'stream not found'", () => {
  assert.equal(infoVerdict({ error: notFound() }), "missing");
  assert.equal(infoVerdict(undefined), "unavailable", "the info answered: the stream exists");
  assert.equal(infoVerdict({ error: clusterNotAvailable() }), "unavailable");
  assert.equal(infoVerdict({ error: noResponders() }), "unavailable", "JetStream itself does not answer");
  assert.equal(infoVerdict({ error: new Error("No answer within 500 ms") }), "unavailable");
});
