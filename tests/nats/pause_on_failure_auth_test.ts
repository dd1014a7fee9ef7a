/**
 * Pause on failure with credentials that may not write the schedules' bucket: the actor that gives up a fire
 * tells `pause-failure` with an error that quotes no secret, the schedule stays active, and the actor goes on.
 */
import assert from "node:assert/strict";
import { Actor, Actors, Event, Events, type JobEvent, Schedules } from "../../mod.ts";
import { assertNoSecret, secret, startSecuredServer, tempDir } from "./_secured_server.ts";
import { waitUntil } from "../_wait.ts";

Deno.test("pauseOnFailure: an actor whose user may not write the schedules' bucket tells pause-failure and goes on", async () => {
  await using dir = await tempDir();
  const adminPassword = secret("admin");
  const actorPassword = secret("actor");
  // The actor's user may do everything but write the schedules' bucket: its records (it may read them), and the
  // JetStream API that changes its stream.
  const denied = [
    "$KV.walnats-schedules.>",
    ..."UPDATE DELETE PURGE MSG.DELETE".split(" ").map((call) => `$JS.API.STREAM.${call}.KV_walnats-schedules`),
  ];
  await using nats = await startSecuredServer(
    dir.path,
    `authorization { users: [
      { user: admin, password: ${JSON.stringify(adminPassword)} }
      { user: actor, password: ${JSON.stringify(actorPassword)},
        permissions: { publish: { allow: [">"], deny: ${JSON.stringify(denied)} }, subscribe: ">" } }
    ] }`,
  );
  const admin = { servers: nats.url, user: "admin", pass: adminPassword };
  const event = new Event("pause-denied", Number);
  await using schedules = await new Schedules(event).connect(admin);
  await schedules.register();
  await using events = await new Events(event).connect(admin);
  // Fires only when triggered.
  await schedules.upsert("p", { event, period: 3600, value: 1, pauseOnFailure: true });

  // The schedule's fires (payload 1) fail every attempt; any other message succeeds.
  const actor = new Actor("denied-worker", event, (value) => {
    if (value === 1) throw new Error("no mail server");
  }, { maxAttempts: 2, retryDelay: 0.2 });
  await using actors = await new Actors(actor).connect({ servers: nats.url, user: "actor", pass: actorPassword });
  await actors.register();
  const seen: JobEvent[] = [];
  const stop = new AbortController();
  const listening = actors.listen({ signal: stop.signal, onEvent: (e) => void seen.push(e) });
  const details = () => JSON.stringify(seen, (key, value) => key === "error" ? String(value) : value);
  try {
    const fire = await schedules.trigger("p");
    await waitUntil(() => seen.some((e) => e.type.startsWith("pause")), { what: "the pause's outcome", details });
    const { seq } = await events.emit(event, 2);
    await waitUntil(() => seen.some((e) => e.type === "success"), { what: "the next message handled", details });

    assert.deepEqual(seen.map((e) => [e.type, "seq" in e ? e.seq : undefined]), [
      ["start", fire.seq],
      ["failure", fire.seq],
      ["start", fire.seq],
      ["terminated", fire.seq],
      ["pause-failure", fire.seq],
      ["start", seq],
      ["success", seq],
    ], details());
    const failure = seen.find((e) => e.type === "pause-failure")!;
    assert.equal(failure.schedule, "p");
    const { error } = failure;
    assert.ok(error instanceof Error, details());
    // The server's refusal, quoting no password.
    assert.equal(error.message, 'Permissions Violation for Publish to "$KV.walnats-schedules.p"');
    assertNoSecret(
      { message: error.message, string: String(error), inspected: Deno.inspect(error) },
      [adminPassword, actorPassword],
    );
  } finally {
    stop.abort();
    await listening;
  }
  const { state, schedule } = await schedules.describe("p");
  assert.deepEqual([state, schedule.paused], ["active", undefined]);
});
