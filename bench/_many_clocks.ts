/**
 * The many_clocks_memory case's child process: starts 10,000 clocks (or,
 * as the baseline, 10,000 bare sleep loops), all waiting for their next
 * tick, and prints the heap and RSS it grew by, as JSON. Needs
 * `--v8-flags=--expose-gc`.
 *
 *     deno run --v8-flags=--expose-gc bench/_many_clocks.ts clocks|loops
 *
 * @module
 */
import { delay } from "../src/_async.ts";
import { Clock, Event } from "../mod.ts";
import { MemoryPublisher } from "../testing/mod.ts";

const COUNT = 10_000;
/** An hour: no clock ticks while the memory is read. */
const PERIOD_S = 3600;
const collect = (globalThis as unknown as { gc: () => void }).gc;

const mode = Deno.args[0];
const stop = new AbortController();
const publisher = new MemoryPublisher();
const before = measure();
const running: Promise<void>[] = [];
for (let index = 0; index < COUNT; index++) {
  running.push(mode === "clocks" ? clock(index) : loop());
}
await delay(200); // every clock is asleep by now
const after = measure();
stop.abort();
await Promise.allSettled(running);
console.log(JSON.stringify({
  heapBytesPerClock: Math.round((after.heap - before.heap) / COUNT),
  rssBytesPerClock: Math.round((after.rss - before.rss) / COUNT),
}));

function clock(index: number): Promise<void> {
  const clock = new Clock({ event: new Event(`clock-${index}`, Date), period: PERIOD_S });
  return clock.run(publisher, { signal: stop.signal });
}

/** What any periodic job needs at least: an async loop around a timer. */
async function loop(): Promise<void> {
  while (!stop.signal.aborted) await delay(PERIOD_S * 1000, stop.signal).catch(() => {});
}

function measure() {
  collect();
  collect();
  const { heapUsed, rss } = Deno.memoryUsage();
  return { heap: heapUsed, rss };
}
