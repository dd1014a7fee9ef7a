/**
 * fanout: 1,000 clocks of distinct events in one process, on one
 * connection, all due at the same instants: the time from the instant to
 * the last ack, and ticks per second. Baseline: 1,000 pipelined
 * `js.publish` with a msgID to the same subjects, on a plain connection.
 *
 * @module
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Clock, Event, Events } from "../mod.ts";
import { atLeast, atMost, type CaseResult } from "./_case.ts";
import { median, pause, preciseNow, round } from "./_stats.ts";

const CLOCKS = 1_000;
const PERIOD_MS = 1_000;
/** Ticks per clock: the first (the connection reads the ledger of each event first) and three steady ones. */
const TICKS = 4;
const ROUNDS = TICKS - 1;

/** Registers 1,000 streams, measures the baseline, then runs the clocks. */
export async function fanout(url: string): Promise<CaseResult> {
  const clocks = Array.from(
    { length: CLOCKS },
    (_, index) =>
      new Clock({ event: new Event(`bench-fanout-${index}`, Date), period: PERIOD_MS / 1000, maxTicks: TICKS }),
  );
  await using conn = await new Events(...clocks.map((clock) => clock.event)).connect({ servers: url });
  await conn.register();
  const baselineMs = median(await baselineRounds(url, clocks.map((clock) => clock.event.subject)));

  // Start every clock early in a period, so that all of them wait for the same first instant.
  await pause(PERIOD_MS + 100 - (Date.now() % PERIOD_MS));
  const lastAck = new Map<number, number>();
  let notEmitted = 0;
  await Promise.all(clocks.map((clock) =>
    clock.run(conn, {
      onTick: (report) => {
        const tick = report.tick.getTime();
        if (report.outcome === "emitted") lastAck.set(tick, Math.max(lastAck.get(tick) ?? 0, preciseNow() - tick));
        else notEmitted++;
      },
    })
  ));
  const [firstMs = NaN, ...steadyMs] = [...lastAck.keys()].sort().map((tick) => lastAck.get(tick) ?? NaN);
  const oursMs = median(steadyMs);
  const ours = {
    emitted: CLOCKS * TICKS - notEmitted,
    notEmitted,
    lastAckMs: oursMs,
    ticksPerSecond: Math.round(CLOCKS / oursMs * 1000),
    firstTickLastAckMs: round(firstMs),
  };
  const baseline = { lastAckMs: baselineMs, messagesPerSecond: Math.round(CLOCKS / baselineMs * 1000) };
  const ratio = round(ours.ticksPerSecond / baseline.messagesPerSecond);
  return {
    ours,
    baseline,
    ratio,
    ratioOf: "rate, clocks' ticks / pipelined publishes",
    summary: {
      ours: `${ours.emitted} of ${CLOCKS * TICKS} emitted, ${notEmitted} not; ` +
        `last ack ${oursMs.toFixed(1)} ms after the instant, ${ours.ticksPerSecond} ticks/s ` +
        `(first tick, ledger read included: ${ours.firstTickLastAckMs.toFixed(1)} ms)`,
      baseline: `pipelined: last ack after ${baselineMs.toFixed(1)} ms, ${baseline.messagesPerSecond} msg/s`,
    },
    targets: [atMost("ticks not emitted = 0", notEmitted, 0), atLeast("rate clocks / pipelined >= 0.8", ratio, 0.8)],
  };
}

/** `ROUNDS` times: 1,000 pipelined publishes, one to each subject, and the time to the last ack. */
async function baselineRounds(url: string, subjects: string[]): Promise<number[]> {
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    const rounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const payload = new Date().toISOString();
      const started = preciseNow();
      await Promise.all(subjects.map((subject) => js.publish(subject, payload, { msgID: `${subject}:${started}` })));
      rounds.push(preciseNow() - started);
    }
    return rounds;
  } finally {
    await nc.close();
  }
}
