/**
 * `Clock.run()` on the system's time against a real nats-server: ticks,
 * a server outage across a tick, stopping, and burst.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { delay } from "../../src/_async.ts";
import { Clock, Event, Events, type TickReport } from "../../mod.ts";
import { isoTick, readStream } from "./_stream.ts";

/** Rejects if `promise` is still pending after `ms`: a clock that does not stop would hang the test. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      delay(ms, timer.signal).then(() => Promise.reject(new Error(`${what} still pending after ${ms} ms`))),
    ]);
  } finally {
    timer.abort();
  }
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
  const started = Date.now();
  await within(
    10_000,
    Promise.all([
      clock.run(a, { signal: stop.signal, onTick }),
      clock.run(b, { signal: stop.signal, onTick }),
    ]),
    "run()",
  );

  const ticks = [...new Set(reports.map((r) => r.tick.getTime()))].sort((x, y) => x - y);
  assert.equal(ticks.length, 3, JSON.stringify(reports));
  assert.ok(ticks[0]! > started && ticks[0]! <= started + 1_000, "the first tick is the first instant after start");
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

Deno.test("a tick during a 1.5 s server outage is stored once, after the server is back", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("5s-passed", Date), period: 5 });
  await using a = await new Events(clock.event).connect({ servers: server.url });
  await using b = await new Events(clock.event).connect({ servers: server.url });
  await a.register();

  // The clocks' first tick at least 1.5 s away, and the server down from 500 ms before it to 1 s after it.
  const soon = Math.floor(Date.now() / 5_000) * 5_000 + 5_000;
  if (soon - Date.now() < 1_500) await delay(soon + 10 - Date.now());
  const tick = Math.floor(Date.now() / 5_000) * 5_000 + 5_000;
  const reports: TickReport[] = [];
  const onTick = (report: TickReport) => reports.push(report);
  const runs = Promise.all([clock.run(a, { burst: true, onTick }), clock.run(b, { burst: true, onTick })]);
  await delay(tick - 500 - Date.now());
  await server.restart({ downMs: 1_500 });
  await within(10_000, runs, "run()");

  assert.equal(reports.length, 2, JSON.stringify(reports));
  assert.deepEqual(reports.map((r) => r.tick.getTime()), [tick, tick]);
  const emitted = reports.find((r) => r.outcome === "emitted");
  const other = reports.find((r) => r !== emitted);
  assert.ok(emitted !== undefined, JSON.stringify(reports));
  assert.equal(other?.outcome, "duplicate");
  assert.ok(emitted.lagMs > 0);
  assert.ok(emitted.attempts >= 2, `the first attempt, during the outage, was answered: ${JSON.stringify(emitted)}`);

  const stored = await readStream(server.url, "5s-passed");
  assert.deepEqual(stored.map((m) => [m.seq, m.payload]), [[emitted.seq, isoTick(tick)]]);
});

Deno.test("aborting the signal stops a sleeping clock at once", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("minute-passed", Date), period: 60 });
  await using conn = await new Events(clock.event).connect({ servers: server.url });
  await conn.register();
  const stop = new AbortController();
  const reports: TickReport[] = [];
  const run = clock.run(conn, { signal: stop.signal, onTick: (report) => reports.push(report) });
  await delay(200);
  stop.abort();
  // The next tick may be a minute away: run() must not wait for it.
  await within(5_000, run, "run() after abort");
  assert.deepEqual(reports, []);
});

Deno.test("aborting the signal while the server is gone ends the tick's attempts as missed, stopped", async () => {
  await using server = await startNatsServer();
  const clock = new Clock({ event: new Event("2s-passed", Date), period: 2 });
  await using conn = await new Events(clock.event).connect({ servers: server.url });
  await conn.register();
  await server.stop();

  // Not right before a tick, so that the clock's first tick is the one computed here.
  if (2_000 - Date.now() % 2_000 < 100) await delay(200);
  const tick = Math.floor(Date.now() / 2_000) * 2_000 + 2_000;
  const stop = new AbortController();
  const reports: TickReport[] = [];
  const run = clock.run(conn, { signal: stop.signal, onTick: (report) => reports.push(report) });
  // 300 ms into the tick's first attempt, which nobody answers.
  await delay(tick + 300 - Date.now());
  stop.abort();
  // One attempt lasts at most 1 s; then the clock sees the signal instead of trying again.
  await within(5_000, run, "run() after abort");

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
  const started = Date.now();
  await within(5_000, clock.run(conn, { burst: true, onTick: (report) => reports.push(report) }), "run()");

  assert.equal(reports.length, 1);
  const [report] = reports as [TickReport];
  assert.equal(report.outcome, "emitted");
  assert.equal(report.tick.getTime(), Math.floor(started / 1_000) * 1_000 + 1_000);
  const stored = await readStream(server.url, "second-passed");
  assert.deepEqual(stored.map((m) => [m.seq, m.payload, m.headers["team"]]), [
    [report.seq, isoTick(report.tick.getTime()), "ops"],
  ]);
});
