/**
 * Actors in real processes (tests/_actor_process.ts) sharing one durable
 * consumer: the messages are split between them, each handled once, and a
 * killed process's message goes to the other after the ack wait.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../cli/_nats_server.ts";
import { delay } from "../src/_async.ts";
import { Event, Events } from "../mod.ts";
import type { ActorLine } from "./_actor_process.ts";

/** The longest wait for a process to connect and register, in milliseconds. */
const READY_TIMEOUT_MS = 20_000;
/** The longest wait for something a test expects to happen, in milliseconds. */
const EXPECT_WITHIN_MS = 15_000;

/** An actor process and what it printed. */
interface ActorProcess {
  readonly label: string;
  readonly child: Deno.ChildProcess;
  readonly lines: ActorLine[];
  readonly ready: Promise<void>;
  /** Resolves when stdout and stderr were read to their end. */
  readonly drained: Promise<void>;
  stderr: string;
  exited: boolean;
}

/** Called after every line any process prints. */
const listeners = new Set<() => void>();

function startActor(
  label: string,
  server: string,
  options: { event: string; actor: string; jobMs?: number; maxJobs?: number; ackWait?: number },
): ActorProcess {
  const args = ["run", "-A", new URL("./_actor_process.ts", import.meta.url).pathname];
  args.push("--server", server, "--event", options.event, "--actor", options.actor);
  if (options.jobMs !== undefined) args.push(`--job-ms=${options.jobMs}`);
  if (options.maxJobs !== undefined) args.push(`--max-jobs=${options.maxJobs}`);
  if (options.ackWait !== undefined) args.push(`--ack-wait=${options.ackWait}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
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
  const proc = { label, child, lines: [] as ActorLine[], ready, drained: Promise.resolve(), stderr: "", exited: false };
  const stdout = (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        const parsed = JSON.parse(line);
        if (parsed.ready === true) markReady();
        else proc.lines.push(parsed as ActorLine);
        for (const listener of [...listeners]) listener();
      }
    }
  })();
  const stderr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) proc.stderr += chunk;
  })();
  child.status.then(() => {
    proc.exited = true;
    failReady(new Error(`Actor process ${label} exited before it was ready:\n${proc.stderr}`));
  });
  proc.drained = Promise.all([stdout, stderr]).then(() => {});
  return proc;
}

/** Resolves once `done()` holds (checked now and after every printed line); rejects after `ms`. */
function until(done: () => boolean, what: string, procs: ActorProcess[], ms = EXPECT_WITHIN_MS): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!done()) return;
      listeners.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      listeners.delete(check);
      const output = procs.map((p) => `${p.label}: ${JSON.stringify(p.lines)}\n${p.stderr}`).join("\n");
      reject(new Error(`Still waiting after ${ms} ms for ${what}:\n${output}`));
    }, ms);
    listeners.add(check);
  });
}

async function allReady(procs: ActorProcess[]): Promise<void> {
  const timer = new AbortController();
  try {
    await Promise.race([
      Promise.all(procs.map((p) => p.ready)),
      delay(READY_TIMEOUT_MS, timer.signal).then(() => {
        throw new Error(
          `Actor processes not ready after ${READY_TIMEOUT_MS} ms:\n${procs.map((p) => p.stderr).join("\n")}`,
        );
      }),
    ]);
  } finally {
    timer.abort();
  }
}

/** SIGTERM, and the exit status; the process must leave on its own, with code 0. */
async function stopActor(proc: ActorProcess): Promise<void> {
  proc.child.kill("SIGTERM");
  const status = await proc.child.status;
  await proc.drained;
  assert.equal(status.code, 0, `actor process ${proc.label} exited with ${status.code}:\n${proc.stderr}`);
}

/** For `finally`: SIGKILL whatever still runs and wait for it. */
async function killAll(procs: ActorProcess[]): Promise<void> {
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

function linesOf(procs: ActorProcess[], type: ActorLine["type"]): ActorLine[] {
  return procs.flatMap((p) => p.lines.filter((line) => line.type === type));
}

Deno.test("two processes running one actor share 20 messages: each handled exactly once, by either", async () => {
  await using server = await startNatsServer();
  const jobs = new Event("jobs", Number);
  await using conn = await new Events(jobs).connect({ servers: server.url });
  await conn.register();
  const options = { event: jobs.name, actor: "worker", jobMs: 50, maxJobs: 1 };
  const procs = [startActor("a", server.url, options), startActor("b", server.url, options)];
  try {
    await allReady(procs);
    for (let n = 1; n <= 20; n++) await conn.emit(jobs, n);
    await until(() => linesOf(procs, "success").length >= 20, "20 successes", procs);
    for (const proc of procs) await stopActor(proc);
  } finally {
    await killAll(procs);
  }

  const handled = linesOf(procs, "handled");
  assert.deepEqual(
    handled.map((line) => line.payload).sort((x, y) => x! - y!),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    linesOf(procs, "success").map((line) => line.seq).sort((x, y) => x - y),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.ok(handled.every((line) => line.attempt === 1), JSON.stringify(handled));
  for (const proc of procs) {
    assert.ok(proc.lines.some((line) => line.type === "handled"), `process ${proc.label} handled no message`);
  }
});

Deno.test("a process killed mid-job: its message goes to the other process after ackWait and is handled there", async () => {
  await using server = await startNatsServer();
  const jobs = new Event("jobs", Number);
  await using conn = await new Events(jobs).connect({ servers: server.url });
  await conn.register();
  // Jobs of 3 s, longer than the ack wait: the survivor keeps its redelivered message with in-progress pulses.
  const options = { event: jobs.name, actor: "worker", jobMs: 3_000, maxJobs: 1, ackWait: 2 };
  const procs = [startActor("a", server.url, options), startActor("b", server.url, options)];
  let victim: ActorProcess | undefined;
  try {
    await allReady(procs);
    const { seq } = await conn.emit(jobs, 7);
    await until(() => linesOf(procs, "start").length > 0, "a start", procs);
    victim = procs.find((p) => p.lines.some((line) => line.type === "start"))!;
    victim.child.kill("SIGKILL");
    const survivor = procs.find((p) => p !== victim)!;
    await until(() => survivor.lines.some((line) => line.type === "handled"), "the survivor's handled line", procs);
    await stopActor(survivor);
    await victim.child.status;
    await victim.drained;

    const killedStart = victim.lines.find((line) => line.type === "start")!;
    assert.deepEqual(victim.lines.map((line) => [line.type, line.seq]), [["start", seq]]);
    assert.deepEqual(survivor.lines.map((line) => [line.type, line.seq, line.attempt]), [
      ["start", seq, 2],
      ["handled", seq, 2],
      ["success", seq, 2],
    ]);
    const redeliveredAfter = survivor.lines[0]!.at - killedStart.at;
    assert.ok(redeliveredAfter >= 1_900, `redelivered ${redeliveredAfter} ms after the first start (ack wait 2 s)`);
    assert.equal(survivor.lines[1]!.payload, 7);
  } finally {
    await killAll(procs);
  }
});
