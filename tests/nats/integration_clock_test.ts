/**
 * `Clock.run()` on the system's time against a real nats-server: ticks,
 * a server outage across a tick, stopping, and burst.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { delay } from "../../src/_async.ts";
import { Clock, Event, Events, systemTime, type TickReport, type TimeSource } from "../../mod.ts";
import { settled, waitUntil } from "../_wait.ts";
import { isoTick, readStream } from "./_stream.ts";

/** The system's time, remembering the instant a clock first read from it: the clock's start. */
function startRecorded(): TimeSource & { started(): Promise<number> } {
  let startedMs: number | undefined;
  return {
    now: () => {
      const now = systemTime.now();
      startedMs ??= now;
      return now;
    },
    sleep: systemTime.sleep,
    started: async () => {
      await waitUntil(() => startedMs !== undefined, { what: "the clock to read the time" });
      return startedMs!;
    },
  };
}

/** The first instant after `ms` that is a multiple of `periodMs`: a clock's first tick when it starts at `ms`. */
function tickAfter(ms: number, periodMs: number): number {
  return Math.floor(ms / periodMs) * periodMs + periodMs;
}

Deno.test("two clocks on a real server store each 1-second tick once, its payload the scheduled instant", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("second-passed", Date), period: 1 });
  await using a = await new Events(clock.event).connect({ servers: server.url });
  await using b = await new Events(clock.event).connect({ servers: server.url });
  await a.register();

  const stop = new AbortController();
  const reports: TickReport[] = [];
  const onTick = (report: TickReport) => {
    reports.push(report);
    if (reports.length === 6) stop.abort();
  };
  const times = [startRecorded(), startRecorded()] as const;
  await settled(
    Promise.all([
      clock.run(a, { signal: stop.signal, onTick, time: times[0] }),
      clock.run(b, { signal: stop.signal, onTick, time: times[1] }),
    ]),
    { what: "both clocks through 3 ticks" },
  );

  const ticks = [...new Set(reports.map((r) => r.tick.getTime()))].sort((x, y) => x - y);
  assert.equal(ticks.length, 3, JSON.stringify(reports));
  assert.equal(ticks[0], tickAfter(await times[0].started(), 1_000), "the first tick is the first instant after start");
  assert.deepEqual(ticks, [ticks[0]!, ticks[0]! + 1_000, ticks[0]! + 2_000]);
  for (const tick of ticks) {
    const outcomes = reports.filter((r) => r.tick.getTime() === tick).map((r) => r.outcome).sort();
    assert.deepEqual(outcomes, ["duplicate", "emitted"], `tick ${isoTick(tick)}`);
  }
  for (const report of reports) {
    assert.equal(report.event, "second-passed");
    assert.ok(report.lagMs >= 0);
  }

  const stored = await readStream(server.url, "second-passed");
  assert.deepEqual(stored.map((m) => m.payload), ticks.map(isoTick));
  assert.deepEqual(stored.map((m) => m.headers["Walnats-Tick"]), ticks.map(String));
  const emitted = reports.filter((r) => r.outcome === "emitted").sort((x, y) => x.tick.getTime() - y.tick.getTime());
  assert.deepEqual(emitted.map((r) => r.seq), stored.map((m) => m.seq));
});

Deno.test("a tick during a server outage is stored once, after the server is back", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("5s-passed", Date), period: 5 });
  await using a = await new Events(clock.event).connect({ servers: server.url });
  await using b = await new Events(clock.event).connect({ servers: server.url });
  await a.register();

  // The clocks' first tick at least 1.5 s away: the server goes down now, well before it, and is back 1 s after it.
  if (tickAfter(Date.now(), 5_000) - Date.now() < 1_500) await delay(tickAfter(Date.now(), 5_000) + 10 - Date.now());
  const reports: TickReport[] = [];
  const onTick = (report: TickReport) => reports.push(report);
  const times = [startRecorded(), startRecorded()] as const;
  const runs = Promise.all([
    clock.run(a, { burst: true, onTick, time: times[0] }),
    clock.run(b, { burst: true, onTick, time: times[1] }),
  ]);
  const tick = tickAfter(await times[0].started(), 5_000);
  await server.restart({ downMs: tick + 1_000 - Date.now() });
  await settled(runs, { what: "both clocks' tick" });

  assert.equal(reports.length, 2, JSON.stringify(reports));
  assert.deepEqual(reports.map((r) => r.tick.getTime()), [tick, tick]);
  const emitted = reports.find((r) => r.outcome === "emitted");
  const other = reports.find((r) => r !== emitted);
  assert.ok(emitted !== undefined, JSON.stringify(reports));
  assert.equal(other?.outcome, "duplicate");
  assert.ok(
    emitted.lagMs >= 1_000,
    `stored ${emitted.lagMs} ms after the tick, the server was down until 1 s after it`,
  );
  assert.ok(emitted.attempts >= 2, `the first attempt, during the outage, was answered: ${JSON.stringify(emitted)}`);

  const stored = await readStream(server.url, "5s-passed");
  assert.deepEqual(stored.map((m) => [m.seq, m.payload]), [[emitted.seq, isoTick(tick)]]);
});

Deno.test("aborting the signal stops a sleeping clock at once", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("hour-passed", Date), period: 3_600 });
  await using conn = await new Events(clock.event).connect({ servers: server.url });
  await conn.register();
  const stop = new AbortController();
  const reports: TickReport[] = [];
  const run = clock.run(conn, { signal: stop.signal, onTick: (report) => reports.push(report) });
  await delay(200);
  stop.abort();
  // The next tick may be an hour away: run() must not wait for it.
  await settled(run, { what: "run() after the abort" });
  assert.deepEqual(reports, []);
});

Deno.test("aborting the signal while the server is gone ends the tick's attempts as missed, stopped", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("2s-passed", Date), period: 2 });
  await using conn = await new Events(clock.event).connect({ servers: server.url });
  await conn.register();
  await server.stop();

  const time = startRecorded();
  const stop = new AbortController();
  const reports: TickReport[] = [];
  const run = clock.run(conn, { signal: stop.signal, onTick: (report) => reports.push(report), time });
  const tick = tickAfter(await time.started(), 2_000);
  // 300 ms into the tick's first attempt, which nobody answers.
  await delay(tick + 300 - Date.now());
  stop.abort();
  // One attempt lasts at most 1 s; then the clock sees the signal instead of trying again.
  await settled(run, { what: "run() after the abort" });

  assert.equal(reports.length, 1, JSON.stringify(reports));
  const [report] = reports as [TickReport];
  assert.equal(report.tick.getTime(), tick);
  assert.equal(report.outcome, "missed");
  assert.equal(report.reason, "stopped");
  assert.ok(report.attempts >= 1);
  assert.ok(report.error instanceof Error);
});

Deno.test("burst: true emits the next tick and returns", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("second-passed", Date), period: 1, meta: { team: "ops" } });
  await using conn = await new Events(clock.event).connect({ servers: server.url });
  await conn.register();
  const reports: TickReport[] = [];
  const time = startRecorded();
  await settled(clock.run(conn, { burst: true, onTick: (report) => reports.push(report), time }), { what: "run()" });

  assert.equal(reports.length, 1);
  const [report] = reports as [TickReport];
  assert.equal(report.outcome, "emitted");
  assert.equal(report.tick.getTime(), tickAfter(await time.started(), 1_000));
  const stored = await readStream(server.url, "second-passed");
  assert.deepEqual(stored.map((m) => [m.seq, m.payload, m.headers["team"]]), [
    [report.seq, isoTick(report.tick.getTime()), "ops"],
  ]);
});
