/** The clock command's health (cli/_health.ts), as /healthz and /readyz tell it. */
import assert from "node:assert/strict";
import { Health } from "../../cli/_health.ts";

Deno.test("Health: alive until stopped; ready once registered, while connected and the check passes", async () => {
  const health = new Health();
  let failure: Error | undefined;
  assert.equal(health.alive, true);
  assert.deepEqual(await health.ready(), { ready: false, reason: "connecting and registering the streams" });
  health.registered(() => failure === undefined ? Promise.resolve() : Promise.reject(failure));
  assert.deepEqual(await health.ready(), { ready: true });
  health.onStatus({ type: "disconnected", server: "127.0.0.1:4222" });
  assert.deepEqual(await health.ready(), { ready: false, reason: "the connection to NATS is lost, reconnecting" });
  health.onStatus({ type: "reconnected", server: "127.0.0.1:4222" });
  failure = new Error("stream 'x' not found");
  assert.deepEqual(await health.ready(), {
    ready: false,
    reason: "JetStream does not answer for the streams: stream 'x' not found",
  });
  failure = undefined;
  assert.deepEqual(await health.ready(), { ready: true });
  health.stopped();
  assert.equal(health.alive, false);
  assert.deepEqual(await health.ready(), { ready: false, reason: "stopped" });
});

Deno.test("Health of a schedules worker names its bucket in the reasons", async () => {
  const health = new Health("the schedules' bucket", "connecting");
  assert.deepEqual(await health.ready(), { ready: false, reason: "connecting" });
  health.registered(() => Promise.reject(new Error("stream 'KV_walnats-schedules' not found")));
  assert.deepEqual(await health.ready(), {
    ready: false,
    reason: "JetStream does not answer for the schedules' bucket: stream 'KV_walnats-schedules' not found",
  });
});
