/**
 * Child processes for the multi-process tests: a Deno script that prints
 * `{"ready":true}` once it is set up, then one JSON line per thing it did.
 */
import assert from "node:assert/strict";
import { settled } from "../_wait.ts";

/** A script running in a process of its own, and what it printed. */
export interface ScriptProcess<Line> {
  readonly label: string;
  readonly child: Deno.ChildProcess;
  /** Every JSON line printed after `{"ready":true}`, parsed. */
  readonly lines: Line[];
  /** Resolves on the `ready` line; rejects if the process exits first. */
  readonly ready: Promise<void>;
  /** Resolves when stdout and stderr were read to their end. */
  readonly drained: Promise<void>;
  stderr: string;
  exited: boolean;
}

/** Starts `deno run -A tests/nats/<script> ...args`. */
export function startScript<Line>(
  label: string,
  script: string,
  args: string[],
): ScriptProcess<Line> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(script, import.meta.url).pathname, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let markReady = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const lines: Line[] = [];
  const proc = { label, child, lines, ready, drained: Promise.resolve(), stderr: "", exited: false };
  const stdout = (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        if (line.trim() === "") continue;
        const parsed = JSON.parse(line);
        if (parsed.ready === true) markReady();
        else lines.push(parsed as Line);
      }
    }
  })();
  const stderr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) proc.stderr += chunk;
  })();
  child.status.then(() => {
    proc.exited = true;
    failReady(new Error(`Process ${label} exited before it was ready:\n${proc.stderr}`));
  });
  proc.drained = Promise.all([stdout, stderr]).then(() => {});
  return proc;
}

/** Waits until every process is ready; rejects if one exits first. */
export async function allReady(procs: ScriptProcess<unknown>[]): Promise<void> {
  await settled(Promise.all(procs.map((proc) => proc.ready)), {
    what: `${procs.length} processes to be ready`,
    details: () => procs.map((proc) => `${proc.label}: ${proc.stderr}`).join("\n"),
  });
}

/** SIGTERM, and the exit status; the process must leave on its own, with code 0. */
export async function stopScript(proc: ScriptProcess<unknown>): Promise<void> {
  proc.child.kill("SIGTERM");
  const status = await proc.child.status;
  await proc.drained;
  assert.equal(status.code, 0, `process ${proc.label} exited with ${status.code}:\n${proc.stderr}`);
}

/** For `finally`: SIGKILL whatever still runs (a stopped process too) and wait for it. */
export async function killAll(procs: ScriptProcess<unknown>[]): Promise<void> {
  for (const proc of procs) {
    if (!proc.exited) {
      try {
        proc.child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }
  }
  await Promise.all(procs.map(async (proc) => {
    await proc.child.status;
    await proc.drained;
  }));
}

/** The pids of the processes whose command line holds `text` (Linux: read from /proc). */
export async function processesWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => ""); // gone meanwhile
    if (cmdline.includes(text)) pids.push(Number(entry.name));
  }
  return pids;
}
