/**
 * A clock in a Worker: it has a thread and an event loop of its own, so
 * CPU-bound work on the main thread does not delay its ticks. Ticks every
 * second until Ctrl-C, while the main thread is busy most of the time.
 *
 *     NATS_URL=nats://127.0.0.1:4222 deno run -A examples/clock_in_worker.ts
 */
import type { TickReport } from "../mod.ts";

/** What the clock in the Worker emits, and where. */
export interface ClockInWorkerOptions {
  /** The NATS server's URL. */
  servers: string;
  /** The event's name. */
  event: string;
  /** Seconds between ticks. */
  period: number;
}

/** A clock running in a Worker. */
export interface ClockInWorker {
  /** Resolves once the Worker stopped its clock and closed its connection; rejects with the Worker's error. */
  readonly stopped: Promise<void>;
  /** Stops the clock (after the publish in flight) and ends the Worker; resolves like `stopped`. */
  stop(): Promise<void>;
}

/**
 * Starts a Worker that connects, registers the event and runs the clock;
 * `onTick` gets every report on this thread, with the lag the Worker read
 * with sub-millisecond precision when the report came.
 */
export function startClockInWorker(
  options: ClockInWorkerOptions,
  onTick: (report: TickReport, preciseLagMs: number) => void,
): ClockInWorker {
  const worker = new Worker(new URL("./clock_worker.ts", import.meta.url), { type: "module" });
  const stopped = new Promise<void>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent) => {
      if (data.type === "tick") return onTick(data.report, data.lagMs);
      worker.terminate();
      if (data.type === "stopped") resolve();
      else reject(data.error);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(event.error ?? new Error(event.message));
    };
  });
  worker.postMessage({ type: "start", ...options });
  return {
    stopped,
    stop: () => {
      worker.postMessage({ type: "stop" });
      return stopped;
    },
  };
}

/** Keeps the thread busy for `ms` milliseconds: the kind of work that would delay a clock on this thread. */
export function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Spinning, as CPU-bound work does.
  }
}

if (import.meta.main) {
  const servers = Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
  const clock = startClockInWorker({ servers, event: "second-passed", period: 1 }, (report, lagMs) => {
    console.log(report.event, report.tick.toISOString(), report.outcome, `${lagMs.toFixed(2)} ms`);
  });
  Deno.addSignalListener("SIGINT", () => void clock.stop());
  let stopping = false;
  clock.stopped.finally(() => stopping = true);
  while (!stopping) {
    busyFor(100); // the main thread's work, in 100 ms blocks
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
