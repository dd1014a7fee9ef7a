/** The clock examples against a real nats-server. */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../../cli/_nats_server.ts";
import type { TickReport } from "../../mod.ts";
import { clock, clock5m, runClocks } from "../../examples/clocks.ts";
import { runWithMetrics } from "../../examples/metrics.ts";
import { type Handled, ON_HOLIDAY, reminder, runReminders, USERS } from "../../examples/reminders.ts";
import { readStream } from "./_stream.ts";
import { startingAt } from "../_examples.ts";
import { waitUntil } from "../_wait.ts";

Deno.test("examples/clocks.ts emits minute-passed and 5m-passed with its header", async () => {
  await using server = await startNatsServer();
  // The example's time starts 300 ms before a 5-minute boundary, where both clocks tick.
  const boundary = Math.ceil((Date.now() + 1_000) / 300_000) * 300_000;
  const stop = new AbortController();
  const reports: TickReport[] = [];
  const running = runClocks(server.url, stop.signal, (report) => void reports.push(report), startingAt(boundary - 300));
  try {
    await waitUntil(() => reports.length >= 2, { what: "a tick of each clock" });
  } finally {
    stop.abort();
    await running;
  }

  assert.deepEqual(reports.map((r) => [r.event, r.tick.getTime(), r.outcome]).sort(), [
    ["5m-passed", boundary, "emitted"],
    ["minute-passed", boundary, "emitted"],
  ]);
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const tick = await jsm.streams.getMessage(clock5m.event.stream, { seq: 1 });
    assert.equal(tick?.header.get("team"), "ops");
    assert.equal(new TextDecoder().decode(tick?.data), new Date(boundary).toISOString().replace("Z", "+00:00"));
    assert.equal((await jsm.streams.info(clock.event.stream)).state.messages, 1);
  } finally {
    await nc.close();
  }
});

Deno.test("examples/emit.ts stores the event once and drops the second emit as a duplicate", async () => {
  await using server = await startNatsServer();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../examples/emit.ts", import.meta.url).pathname],
    env: { NATS_URL: server.url, NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout).trim(), "stored as 1, second emit duplicate: true");
});

Deno.test("examples/metrics.ts serves the clock's and the actor's metrics at /metrics", async () => {
  await using server = await startNatsServer();
  using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  // The example's time starts 300 ms before a 10-second boundary, where the clock ticks.
  const boundary = Math.ceil((Date.now() + 1_000) / 10_000) * 10_000;
  const stop = new AbortController();
  const refreshed: number[] = [];
  const running = runWithMetrics(
    server.url,
    port,
    stop.signal,
    (tick) => void refreshed.push(tick.getTime()),
    startingAt(boundary - 300),
  );
  let text = "";
  try {
    await waitUntil(async () => {
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /^walnats_jobs_total\{actor="refresh-report",outcome="success"\} 1$/m.test(text);
    }, { what: "the actor's success in the metrics", details: () => text });
  } finally {
    stop.abort();
    await running;
  }

  assert.deepEqual(refreshed, [boundary]);
  assert.match(text, /^walnats_ticks_total\{event="10s-passed",outcome="emitted"\} 1$/m);
  assert.match(
    text,
    new RegExp(`^walnats_last_tick_timestamp_seconds\\{event="10s-passed"\\} ${boundary / 1000}$`, "m"),
  );
  assert.match(text, /^walnats_job_duration_seconds_count\{actor="refresh-report"\} 1$/m);
  assert.match(text, /^walnats_connected\{connection="clocks"\} 1$/m);
  assert.match(text, /^walnats_connected\{connection="actors"\} 1$/m);
});

Deno.test("examples/reminders.ts on a real server: every user's fires handled once, the paused user's stop", async () => {
  await using server = await startNatsServer();
  const handled: Handled[] = [];
  const { pausedAt } = await runReminders({ servers: server.url }, (one) => void handled.push(one));

  const keys = handled.map(({ schedule, tick }) => `${schedule} ${tick}`);
  assert.equal(new Set(keys).size, keys.length, "no fire handled twice");
  const stored = await readStream(server.url, reminder.stream);
  assert.equal(stored.length, handled.length, "every stored fire handled");
  for (const { user, text } of USERS) {
    const mine = handled.filter((one) => one.schedule === `remind-${user}`);
    assert.ok(mine.length >= 2, `${user}: ${mine.length} reminders`);
    assert.ok(mine.every((one) => one.user === user && one.text === text));
  }
  // A change reaches the worker within a second (the bound); the paused user's later ticks never fire.
  const late = handled.filter((one) =>
    one.schedule === `remind-${ON_HOLIDAY}` && Date.parse(one.tick) > pausedAt.getTime() + 1_000
  );
  assert.deepEqual(late, []);
  const others = handled.filter((one) =>
    one.schedule !== `remind-${ON_HOLIDAY}` && Date.parse(one.tick) > pausedAt.getTime() + 1_000
  );
  assert.ok(others.length >= 2, "the others go on after the pause");
});
