/**
 * A healthy server that answers slowly (a proxy holds its bytes 25 ms):
 * a tick's publish is given its window, not a window less a fixed margin,
 * and an answer that comes too late is reported as a timeout, never as a
 * stream without a leader.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { tickMessage } from "../../src/events/tick.ts";
import { ErrorCode, Event, Events, isWalnatsError } from "../../mod.ts";
import { startSlowProxy } from "./_slow_proxy.ts";

/** How long the proxy holds each answer: a round trip takes at least this long. */
const ANSWER_DELAY_MS = 25;
const PERIOD_MS = 70;

async function slowConnection() {
  const server = await startNatsServer();
  const proxy = startSlowProxy({ hostname: "127.0.0.1", port: server.port }, ANSWER_DELAY_MS);
  const event = new Event("slow-tick", Date);
  const conn = await new Events(event).connect({ servers: proxy.url });
  await conn.register();
  // The first tick reads the ledger (a round trip more): given all the time it needs, so that the next
  // one is a single publish, as in a running clock.
  const first = Math.ceil(Date.now() / PERIOD_MS) * PERIOD_MS;
  await conn.publishTick(tickMessage(event, first, "test-clock", {}), { timeoutMs: 5_000 });
  return {
    event,
    conn,
    next: first + PERIOD_MS,
    async [Symbol.asyncDispose]() {
      await conn.close();
      await proxy[Symbol.asyncDispose]();
      await server.stop();
    },
  };
}

Deno.test("publishTick() waits for a slow answer for the whole attempt's window (70 ms, answer after 25 ms)", async () => {
  await using slow = await slowConnection();
  const result = await slow.conn.publishTick(tickMessage(slow.event, slow.next, "test-clock", {}), {
    timeoutMs: PERIOD_MS,
  });
  assert.equal(result.duplicate, false);
  assert.equal(result.seq, 2);
});

Deno.test("publishTick() whose answer comes after its window reports a timeout, not a stream without a leader", async () => {
  await using slow = await slowConnection();
  const error = await slow.conn.publishTick(tickMessage(slow.event, slow.next, "test-clock", {}), { timeoutMs: 10 })
    .then(() => assert.fail("answered within 10 ms through a proxy that holds answers 25 ms"), (error) => error);
  assert.ok(isWalnatsError(error, ErrorCode.StreamUnavailable), String(error));
  assert.match(error.message, /stream 'slow-tick' did not answer in time/);
  assert.doesNotMatch(error.message, /leader|quorum/);
});
