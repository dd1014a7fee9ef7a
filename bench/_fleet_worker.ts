/**
 * The schedules_fleet case's worker process: runs a schedules worker of
 * the fleet event until `untilMs`, then prints as JSON what its reports
 * tell of the fires whose tick is in [`fromMs`, `toMs`): emitted,
 * duplicates, missed, and publish attempts.
 *
 *     deno run -A bench/_fleet_worker.ts <server url> <fromMs> <toMs> <untilMs>
 *
 * @module
 */
import { Schedules } from "../mod.ts";
import { fleetEvent } from "./_scale_setup.ts";
import { pause } from "./_stats.ts";

const [url = "", from = "0", to = "0", until = "0"] = Deno.args;
const [fromMs, toMs, untilMs] = [Number(from), Number(to), Number(until)];
const counts = { emitted: 0, duplicate: 0, missed: 0, attempts: 0 };
await using schedules = await new Schedules(fleetEvent).connect({ servers: url });
const stop = new AbortController();
const running = schedules.run({
  signal: stop.signal,
  onTick: (report) => {
    const tick = report.tick.getTime();
    if (tick < fromMs || tick >= toMs) return;
    counts[report.outcome]++;
    counts.attempts += report.attempts;
  },
});
await pause(untilMs - Date.now());
stop.abort();
await running;
console.log(JSON.stringify(counts));
