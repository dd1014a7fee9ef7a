/**
 * What Linux tells about a running process in /proc: CPU time, context
 * switches and resident memory.
 *
 * @module
 */

/** One reading of a process's counters. */
export interface ProcSample {
  /** CPU time of each live thread so far, in nanoseconds (`/proc/PID/task/TID/schedstat`). */
  cpuNs: Map<string, number>;
  /** CPU time of the whole process, dead threads included, in clock ticks (`/proc/PID/stat`, 10 ms each). */
  cpuTicks: number;
  /** Voluntary context switches of the main thread, the one that runs JavaScript: how often it went to sleep. */
  mainWakeups: number;
  /** Resident set size, in KiB (`VmRSS`). */
  rssKiB: number;
}

/** Reads the counters of process `pid`. */
export async function sampleProc(pid: number): Promise<ProcSample> {
  const cpuNs = new Map<string, number>();
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const schedstat = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/schedstat`);
      cpuNs.set(task.name, Number(schedstat.split(" ")[0]));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // the thread ended meanwhile
    }
  }
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  // Fields after the command name, which is in parentheses: utime and stime are the 12th and 13th.
  const stat = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1]?.split(" ") ?? [];
  return {
    cpuNs,
    cpuTicks: Number(stat[11]) + Number(stat[12]),
    mainWakeups: field(status, "voluntary_ctxt_switches"),
    rssKiB: field(status, "VmRSS"),
  };
}

/**
 * CPU time between two readings, in milliseconds: the growth of every
 * thread alive at the second (a thread that ended between them is missed).
 */
export function cpuMsBetween(before: ProcSample, after: ProcSample): number {
  let ns = 0;
  for (const [thread, total] of after.cpuNs) ns += total - (before.cpuNs.get(thread) ?? 0);
  return ns / 1e6;
}

function field(status: string, name: string): number {
  const line = status.split("\n").find((line) => line.startsWith(`${name}:`));
  return Number(line?.slice(name.length + 1).trim().split(/\s+/)[0] ?? NaN);
}
