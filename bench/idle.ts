/**
 * idle: a clock worker process (the CLI, `--period 3600`) for 60 s, next to
 * a Deno process that only holds a NATS connection: CPU time, wake-ups and
 * resident memory, read from /proc.
 *
 * @module
 */
import { atMost, type CaseResult } from "./_case.ts";
import { cpuMsBetween, type ProcSample, sampleProc } from "./_proc.ts";
import { pause, round } from "./_stats.ts";

const WINDOW_MS = 60_000;
/**
 * Time for the processes to settle after they say they are ready: V8 does
 * 25–35 ms of work (memory reduction) about 40 s after a Deno process starts,
 * in any process, and the window starts after it.
 */
const SETTLE_MS = 45_000;
const PERMISSIONS = ["--allow-net", "--allow-env", "--allow-run", "--allow-read", "--allow-write", "--allow-sys"];

/**
 * Starts both processes and resolves once they run; `finished` then
 * settles them, watches them for 60 s, stops them and resolves with the
 * numbers. Other cases may run meanwhile: the counters are the processes' own.
 */
export async function startIdle(url: string): Promise<{ finished: Promise<CaseResult> }> {
  const clock = await spawnReady(
    ["cli/main.ts", "--server", url, "--event", "bench-idle", "--period", "3600"],
    "Clock 'bench-idle'",
  );
  let bare: Deno.ChildProcess;
  try {
    bare = await spawnReady(["bench/_bare_connection.ts", url], "Connected.");
  } catch (error) {
    await stop(clock);
    throw error;
  }
  const finished = watch(clock.pid, bare.pid).finally(() => Promise.all([stop(clock), stop(bare)]));
  return { finished };
}

async function watch(clockPid: number, barePid: number): Promise<CaseResult> {
  await pause(SETTLE_MS);
  const before = await Promise.all([sampleProc(clockPid), sampleProc(barePid)]);
  await pause(WINDOW_MS);
  const after = await Promise.all([sampleProc(clockPid), sampleProc(barePid)]);
  const ours = perMinute(before[0], after[0]);
  const baseline = perMinute(before[1], after[1]);
  const ratio = round(ours.rssMiB / baseline.rssMiB);
  return {
    ours,
    baseline,
    ratio,
    ratioOf: "RSS, clock worker / bare connection",
    summary: { ours: describe(ours), baseline: `bare connection: ${describe(baseline)}` },
    targets: [
      atMost("wake-ups/min (voluntary context switches) <= 3", ours.wakeupsPerMin, 3),
      atMost("CPU ms/min <= 5", ours.cpuMsPerMin, 5),
      atMost("RSS clock / bare <= 1.2", ratio, 1.2),
    ],
  };
}

function describe(numbers: ReturnType<typeof perMinute>): string {
  return `${numbers.cpuMsPerMin.toFixed(2)} ms CPU/min, ${numbers.wakeupsPerMin} wake-ups/min, ` +
    `RSS ${numbers.rssMiB.toFixed(1)} MiB`;
}

/** The counters' growth over the window, per minute; RSS at its end. */
function perMinute(before: ProcSample, after: ProcSample) {
  const minutes = WINDOW_MS / 60_000;
  return {
    cpuMsPerMin: round(cpuMsBetween(before, after) / minutes),
    cpuTicksPerMin: round((after.cpuTicks - before.cpuTicks) / minutes),
    wakeupsPerMin: round((after.mainWakeups - before.mainWakeups) / minutes),
    rssMiB: round(after.rssKiB / 1024),
  };
}

/** Spawns `deno run` with `args` and waits for a line of its output that starts with `ready`. */
async function spawnReady(args: string[], ready: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.split("\n").some((line) => line.startsWith(ready))) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`'deno run ${args.join(" ")}' ended before it printed '${ready}': ${output}`);
    output += value;
  }
  // Keep reading, so that the process never blocks on a full pipe.
  (async () => {
    while (!(await lines.read()).done);
  })();
  return child;
}

/** Sends SIGTERM to the process by its id and waits for it to exit. */
async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Exited already.
  }
  await child.status;
}
