/// <reference lib="deno.worker" />
/**
 * The Worker side of `clock_in_worker.ts`: runs one clock on its own
 * connection until told to stop, and posts every tick's report.
 *
 * Messages in: `{ type: "start", servers, event, period }`, `{ type: "stop" }`.
 * Messages out: `{ type: "tick", report, lagMs }` (the lag read with sub-millisecond precision when the
 * report came, where `report.lagMs` has whole milliseconds), `{ type: "stopped" }`, `{ type: "error", error }`.
 *
 * @module
 */
import { Clock, Event, Events } from "../mod.ts";

const stop = new AbortController();

self.onmessage = async (message: MessageEvent) => {
  const { type, servers, event, period } = message.data;
  if (type === "stop") return stop.abort();
  try {
    await runClock(servers, event, period);
    self.postMessage({ type: "stopped" });
  } catch (error) {
    self.postMessage({ type: "error", error });
  }
};

/** Runs the clock until `stop` aborts; returns once its connection is closed. */
async function runClock(servers: string, event: string, period: number): Promise<void> {
  const clock = new Clock({ event: new Event(event, Date), period });
  await using conn = await new Events(clock.event).connect({ servers });
  await conn.register();
  await clock.run(conn, {
    signal: stop.signal,
    onTick: (report) => {
      const lagMs = performance.timeOrigin + performance.now() - report.tick.getTime();
      self.postMessage({ type: "tick", report, lagMs });
    },
  });
}
