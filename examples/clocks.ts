/**
 * Two clocks in one process: `minute-passed` every minute and `5m-passed`
 * every 5 minutes (with a `team: ops` header), until Ctrl-C.
 *
 *     NATS_URL=nats://127.0.0.1:4222 deno run -A examples/clocks.ts
 */
import { Clock, Event, Events, systemTime, type TickReport, type TimeSource } from "../mod.ts";

export const clock = new Clock(); // "minute-passed", every 60 s
export const clock5m = new Clock({ event: new Event("5m-passed", Date), period: 5 * 60, meta: { team: "ops" } });

/** Registers both events and runs both clocks until `signal` aborts. */
export async function runClocks(
  servers: string,
  signal: AbortSignal,
  onTick: (report: TickReport) => void,
  time: TimeSource = systemTime,
): Promise<void> {
  const events = new Events(clock.event, clock5m.event);
  await using conn = await events.connect({ servers });
  await conn.register(); // creates or updates one stream per event
  await Promise.all([
    clock.run(conn, { signal, onTick, time }),
    clock5m.run(conn, { signal, onTick, time }),
  ]);
}

if (import.meta.main) {
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  const servers = Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
  await runClocks(servers, stop.signal, (report) => console.log(report.event, report.tick, report.outcome));
}
