/**
 * Exactly one message per tick with three clocks in three real processes whose system clocks are 500 ms apart; and
 * proof that the counting finds duplicates when there are some.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { delay } from "../../src/_async.ts";
import { Event, Events, type EventsConnection } from "../../mod.ts";
import { assertEachTickOnce, type ClockProcess, countTicks, PERIOD_MS } from "./_clocks.ts";
import { readStream } from "./_stream.ts";
import { runThreeClocks } from "./_three_clocks.ts";

Deno.test("three clock processes with system clocks 500 ms apart store each tick once", async () => {
  // A duplicate window shorter than the skew: the server forgets an id before the last clock
  // publishes it, so only the tick ledger keeps the tick out.
  const { clocks, messages } = await runThreeClocks(
    "once-skewed",
    { skews: [-500, 0, 500], duplicateWindow: 0.1 },
    () => Promise.resolve(),
  );
  // runThreeClocks checked the stream: each tick stored once, one `emitted` report per stored tick.
  // The clock 500 ms ahead stores most ticks (all, unless it wakes 500 ms late); the clock behind, 1 s after
  // it and far past the duplicate window, finds most ticks stored.
  const [behind, , ahead] = clocks as [ClockProcess, ClockProcess, ClockProcess];
  const emittedByAhead = ahead.lines.filter((r) => r.outcome === "emitted").length;
  assert.ok(emittedByAhead > messages.length / 2, `the clock ahead emitted ${emittedByAhead} of ${messages.length}`);
  const foundStored = behind.lines.filter((r) => r.outcome === "duplicate").length;
  assert.ok(foundStored > messages.length / 2, `the clock behind found ${foundStored} of ${messages.length} stored`);
});

Deno.test("the count finds duplicates: walnats-style ids from the time's remainder store a tick per clock", async () => {
  await using server = await startNatsServer();
  const event = new Event("walnats-style", Date);
  const conns: EventsConnection[] = [];
  const stop = new AbortController();
  try {
    for (let i = 0; i < 3; i++) conns.push(await new Events(event).connect({ servers: server.url }));
    await conns[0]?.register();
    // As walnats does: wake at each tick of this clock's time, and emit with the id
    // `now % period` (sub-millisecond, as Python's float seconds), without any ledger.
    const runs = [-500, 0, 500].map(async (skewMs, index) => {
      const conn = conns[index];
      assert.ok(conn !== undefined);
      const now = () => performance.timeOrigin + performance.now() + skewMs;
      for (let sent = 0; sent < 4; sent++) {
        await delay(PERIOD_MS - (now() % PERIOD_MS), stop.signal);
        const at = now();
        await conn.emit(event, new Date(at), { uid: String(at % PERIOD_MS) });
      }
    });
    for (const run of await Promise.allSettled(runs)) {
      if (run.status === "rejected") throw run.reason;
    }
  } finally {
    stop.abort();
    await Promise.all(conns.map((conn) => conn.close()));
  }
  const messages = await readStream(server.url, event.stream);
  const counts = countTicks(messages);
  assert.equal(messages.length, 12, "every emit was stored: the ids never match");
  assert.ok([...counts.values()].some((count) => count > 1));
  assert.throws(() => assertEachTickOnce(counts), /ticks stored more than once/);
});
