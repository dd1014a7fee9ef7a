/**
 * Ctrl-C in a terminal: SIGINT to the command's whole process group, as a terminal sends it. With no server given
 * (the embedded nats-server), the clock and the schedules worker stop as cleanly as on a server of yours and leave
 * no nats-server behind; nor does a command killed outright.
 */
import assert from "node:assert/strict";
import { readUntil, rest, spawnCli } from "../_cli.ts";
import { waitUntil } from "../_wait.ts";
import { processesWith } from "./_processes.ts";

const TICK_LINE = /^\S+\+00:00 {2}emitted +lag \d+ ms {2}seq \d+$/;
const WORKER_LINE = /^Schedules worker for every event on .*; SIGINT or SIGTERM stops it\.$/;
/** {@link processesWith} reads /proc. */
const ignore = Deno.build.os !== "linux";

/**
 * Runs the command with `args` and no server in a process group of its own until a line matches `ready`, then does
 * `end` to it; returns the lines after that, the exit code and the embedded server's store dir. Whatever happens,
 * nothing it started is left running.
 */
async function embeddedRun(args: string[], ready: RegExp, end: (pid: number) => void) {
  const { child, lines, stderr } = spawnCli(args, { NATS_URL: "" }, undefined, true);
  let exited = false;
  const status = child.status.finally(() => exited = true);
  try {
    const before = (await readUntil(lines, ready, 1)).join("\n");
    const storeDir = /\(JetStream store (\S+),/.exec(before)?.[1];
    assert.ok(storeDir !== undefined, before);
    assert.equal((await processesWith(storeDir)).length, 1, "the embedded nats-server runs");
    end(child.pid);
    const after = await rest(lines);
    return { after, code: (await status).code, err: await stderr, storeDir };
  } finally {
    try {
      if (!exited) Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // It ended meanwhile.
    }
    await Promise.all([status, stderr, lines.cancel()]);
  }
}

/** Stops every process left holding `storeDir` and removes it. */
async function cleanUp(storeDir: string | undefined) {
  if (storeDir === undefined) return;
  for (const pid of await processesWith(storeDir)) Deno.kill(pid, "SIGKILL");
  await Deno.remove(storeDir, { recursive: true }).catch(() => {});
}

/** SIGINT to the whole process group of `pid`, as a terminal's Ctrl-C. */
const ctrlC = (pid: number) => Deno.kill(-pid, "SIGINT");

for (
  const [mode, args, ready] of [
    ["clock", ["--period", "0.5", "--event", "sigint-clock"], TICK_LINE],
    ["schedules worker", ["--schedules"], WORKER_LINE],
  ] as const
) {
  Deno.test({
    name: `deno task run's ${mode} on the embedded server stops cleanly on Ctrl-C to its process group`,
    ignore,
    async fn() {
      const run = await embeddedRun([...args], ready, ctrlC);
      try {
        assert.equal(run.code, 0, run.err);
        assert.deepEqual(run.after.filter((line) => !TICK_LINE.test(line)), ["Stopped."], run.after.join("\n"));
        assert.deepEqual(await processesWith(run.storeDir), [], "no nats-server left");
        await assert.rejects(Deno.stat(run.storeDir), Deno.errors.NotFound);
      } finally {
        await cleanUp(run.storeDir);
      }
    },
  });
}

Deno.test({
  name: "deno task run killed outright leaves no embedded nats-server behind",
  ignore,
  async fn() {
    // SIGKILL to the command alone: no code of it runs after that.
    const run = await embeddedRun(
      ["--period", "0.5", "--event", "sigkill"],
      TICK_LINE,
      (pid) => Deno.kill(pid, "SIGKILL"),
    );
    try {
      assert.equal(run.code, 137);
      await waitUntil(async () => (await processesWith(run.storeDir)).length === 0, {
        what: "the embedded nats-server to exit",
      });
    } finally {
      await cleanUp(run.storeDir);
    }
  },
});
