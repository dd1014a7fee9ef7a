/**
 * `deno run -A bench/schedule_store.ts`: the NATS schedules' store on a
 * throwaway nats-server. Measures `list()` of 10,000 and 100,000 schedules
 * (seconds, three runs each), and how long a put takes to reach a running
 * `watch()` (200 puts, one at a time). Writes
 * `bench/results/schedule_store.json`.
 *
 * @module
 */
import { startNatsServer } from "../cli/_nats_server.ts";
import { dialOrAdopt } from "../src/nats/connect.ts";
import { connectNatsSchedules } from "../src/nats/schedule_store.ts";
import type { ScheduleStore } from "../src/schedules/stores.ts";
import { round, type Spread, spreadOf } from "./_stats.ts";

const RESULTS = new URL("./results/schedule_store.json", import.meta.url);
/** A schedule's record is a few hundred bytes of JSON; the payload stands in for one. */
const RECORD = new TextEncoder().encode(JSON.stringify({ period: 60, value: { text: "x".repeat(200) } }));
const LIST_SIZES = [10_000, 100_000];
const LIST_RUNS = 3;
const WATCH_PUTS = 200;

/** Writes the schedules `from` to `to` - 1, 1,000 at a time. */
async function fill(store: ScheduleStore, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, to - i) }, (_, j) => store.write(`s-${i + j}`, RECORD, 0));
    for (const revision of await Promise.all(batch)) if (revision === undefined) throw new Error("a write lost");
  }
}

/** Seconds that `list()` takes to give every schedule; checks the count. */
async function timeList(store: ScheduleStore, expected: number): Promise<number> {
  const started = performance.now();
  let count = 0;
  for await (const _ of store.list()) count++;
  const seconds = (performance.now() - started) / 1000;
  if (count !== expected) throw new Error(`list() gave ${count} schedules, expected ${expected}`);
  return round(seconds);
}

/** Milliseconds from each put's start to its arrival at a watch, one put at a time. */
async function watchDelays(store: ScheduleStore): Promise<Spread> {
  const stop = new AbortController();
  const arrivals = new Map<string, () => void>();
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => ready = resolve);
  const watching = (async () => {
    for await (const change of store.watch(stop.signal)) {
      if (change.kind === "ready") ready();
      if (change.kind === "put") arrivals.get(change.schedule.id)?.();
    }
  })();
  await isReady;
  const delays: number[] = [];
  for (let i = 0; i < WATCH_PUTS; i++) {
    const id = `w-${i}`;
    const arrived = new Promise<void>((resolve) => arrivals.set(id, resolve));
    const started = performance.now();
    await store.write(id, RECORD, 0);
    await arrived;
    delays.push(performance.now() - started);
  }
  stop.abort();
  await watching;
  return spreadOf(delays);
}

const server = await startNatsServer();
try {
  const link = await dialOrAdopt({ servers: server.url });
  const { events, store } = connectNatsSchedules(link, []);
  try {
    await store.registerBucket();
    const listSeconds: Record<string, number[]> = {};
    let stored = 0;
    for (const size of LIST_SIZES) {
      await fill(store, stored, size);
      stored = size;
      listSeconds[size] = [];
      for (let run = 0; run < LIST_RUNS; run++) listSeconds[size].push(await timeList(store, size));
      console.error(`list() of ${size}: ${listSeconds[size].join(", ")} s`);
    }
    const watchDelayMs = await watchDelays(store);
    console.error(`watch delay, ms: ${JSON.stringify(watchDelayMs)}`);
    const results = {
      at: new Date().toISOString(),
      loadavg: Deno.loadavg(),
      recordBytes: RECORD.length,
      listSeconds,
      watchDelayMs,
      watchWithStoredSchedules: stored,
    };
    await Deno.writeTextFile(RESULTS, JSON.stringify(results, null, 2) + "\n");
  } finally {
    await events.close();
  }
} finally {
  await server.stop();
}
