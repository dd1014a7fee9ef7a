/**
 * Actors in real processes (tests/nats/_actor_process.ts) sharing one durable
 * consumer: the messages are split between them, each handled once, and a
 * killed process's message goes to the other after the ack wait.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { Event, Events } from "../../mod.ts";
import type { ActorLine } from "./_actor_process.ts";
import { allReady, killAll, type ScriptProcess, startScript, stopScript } from "./_processes.ts";
import { waitUntil } from "../_wait.ts";

/** An actor process, and the job events it printed. */
type ActorProcess = ScriptProcess<ActorLine>;

function startActor(
  label: string,
  server: string,
  options: { event: string; actor: string; jobMs?: number; maxJobs?: number; ackWait?: number },
): ActorProcess {
  const args = ["--server", server, "--event", options.event, "--actor", options.actor];
  if (options.jobMs !== undefined) args.push(`--job-ms=${options.jobMs}`);
  if (options.maxJobs !== undefined) args.push(`--max-jobs=${options.maxJobs}`);
  if (options.ackWait !== undefined) args.push(`--ack-wait=${options.ackWait}`);
  return startScript<ActorLine>(label, "./_actor_process.ts", args);
}

/** Waits until `done()` holds; the error names `what` and shows what each process printed. */
function until(done: () => boolean, what: string, procs: ActorProcess[]): Promise<void> {
  return waitUntil(done, {
    what,
    details: () => procs.map((p) => `${p.label}: ${JSON.stringify(p.lines)}\n${p.stderr}`).join("\n"),
  });
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
    for (const proc of procs) await stopScript(proc);
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
    await stopScript(survivor);
    await victim.child.status;
    await victim.drained;

    const killedStart = victim.lines.find((line) => line.type === "start")!;
    assert.deepEqual(victim.lines.map((line) => [line.type, line.seq]), [["start", seq]]);
    // The survivor's job lines; the metrics line it prints on leaving is the overlap test's.
    const jobLines = survivor.lines.filter((line) => line.type !== "metrics");
    assert.deepEqual(jobLines.map((line) => [line.type, line.seq, line.attempt]), [
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
