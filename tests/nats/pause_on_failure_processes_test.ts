/**
 * Pause on failure across real processes (tests/nats/_actor_process.ts): three actors, each in a process of its
 * own on a connection of its own, give up the same fire of a schedule with `pauseOnFailure` at about the same
 * moment; each tries to pause the schedule at the revision that fired, and one write gets through.
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { Event, Schedules } from "../../mod.ts";
import type { ActorLine } from "./_actor_process.ts";
import { allReady, killAll, type ScriptProcess, startScript, stopScript } from "./_processes.ts";
import { waitUntil } from "../_wait.ts";

type ActorProcess = ScriptProcess<ActorLine>;

/** The stream behind the schedules' bucket. */
const SCHEDULES_STREAM = "KV_walnats-schedules";

/** The sequence of the last write to the stream, read with a connection of its own. */
async function lastSeq(servers: string, stream: string): Promise<number> {
  const nc = await connect({ servers });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.last_seq;
  } finally {
    await nc.close();
  }
}

Deno.test("pauseOnFailure: three actor processes give up the same fire, the schedule is paused once", async () => {
  await using server = await startNatsServer();
  const event = new Event("pause-jobs", Number);
  await using schedules = await new Schedules(event).connect({ servers: server.url });
  await schedules.register();
  // Fires only when triggered: nothing but the pause writes the bucket during the test.
  const upserted = await schedules.upsert("p", { event, period: 3600, value: 1, pauseOnFailure: true });

  const args = ["--server", server.url, "--event", event.name, "--fail", "--max-attempts=2", "--retry-delay=0.2"];
  const procs: ActorProcess[] = ["fail-a", "fail-b", "fail-c"].map((actor) =>
    startScript<ActorLine>(actor, "./_actor_process.ts", [...args, "--actor", actor])
  );
  const details = () => procs.map((p) => `${p.label}: ${JSON.stringify(p.lines)}\n${p.stderr}`).join("\n");
  const linesOf = (type: ActorLine["type"]) => procs.flatMap((p) => p.lines.filter((line) => line.type === type));
  try {
    await allReady(procs);
    const writesBefore = await lastSeq(server.url, SCHEDULES_STREAM);
    assert.equal(writesBefore, upserted.revision, "the upsert is the bucket's last write");
    const fire = await schedules.trigger("p");
    await waitUntil(
      () => procs.every((p) => p.lines.some((line) => line.type.startsWith("pause"))),
      { what: "each process's pause outcome", timeoutMs: 20_000, details },
    );
    for (const proc of procs) await stopScript(proc);

    // Each actor gave up the fire, after its two attempts.
    for (const proc of procs) {
      const terminated = proc.lines.filter((line) => line.type === "terminated");
      assert.deepEqual(terminated.map((line) => [line.seq, line.attempt]), [[fire.seq, 2]], details());
    }
    // One pause; the others found the schedule changed at the revision that fired.
    const paused = linesOf("paused");
    assert.equal(paused.length, 1, details());
    assert.equal(linesOf("pause-skipped").length, 2, details());
    assert.deepEqual(linesOf("pause-failure"), [], details());
    for (const line of [...paused, ...linesOf("pause-skipped")]) {
      assert.deepEqual([line.seq, line.schedule, line.revision], [fire.seq, "p", upserted.revision]);
    }
    const pauser = procs.find((p) => p.lines.some((line) => line.type === "paused"))!.label;
    const note = `Paused on failure: actor '${pauser}' gave up the fire of ${fire.tick.toISOString()} ` +
      `(message ${fire.seq}) after 2 attempts: no mail server for ${pauser}`;
    assert.equal(paused[0]!.note, note);
    // One write to the bucket since the fire: the pause, at the revision after the one that fired.
    assert.equal(await lastSeq(server.url, SCHEDULES_STREAM), writesBefore + 1);
    const { state, schedule } = await schedules.describe("p");
    assert.deepEqual([state, schedule.revision, schedule.paused?.note], ["paused", upserted.revision + 1, note]);
    // Counted once across the fleet, by the process that paused.
    const counted = procs.map((p) => [p.label, p.lines.find((line) => line.type === "metrics")?.pausedTotal]);
    assert.deepEqual(counted, procs.map((p) => [p.label, p.label === pauser ? 1 : 0]));
  } finally {
    await killAll(procs);
  }
});
