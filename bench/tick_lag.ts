/**
 * tick_lag: from each scheduled instant to the JetStream ack, for a clock
 * ticking every 50 ms, next to the floor: a bare loop that sleeps with
 * `setTimeout` to the same instants and awaits one `js.publish`.
 *
 * @module
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Clock, Event, Events, type Publisher } from "../mod.ts";
import { atMost, type CaseResult } from "./_case.ts";
import { preciseNow, round, spreadOf } from "./_stats.ts";

const TICKS = 300;
const PERIOD_MS = 50;

/** Runs the floor, then the clock, on the server at `url`. */
export async function tickLag(url: string): Promise<CaseResult> {
  const floor = await floorLags(url);
  const ours = await clockLags(url);
  const oursSpread = spreadOf(ours.lags);
  const floorSpread = spreadOf(floor);
  const ratio = round(oursSpread.p99 / floorSpread.p99);
  return {
    ours: {
      ...oursSpread,
      emitted: ours.lags.length,
      notEmitted: ours.notEmitted,
      early: ours.early,
      instantToPublishCall: ours.wake,
      publishCallToAck: ours.publish,
    },
    baseline: floorSpread,
    ratio,
    ratioOf: "p99 lag, clock / floor",
    summary: {
      // Emitted / not emitted first: the lags count emitted ticks only, and good percentiles must not hide a loss.
      ours: `${ours.lags.length} of ${TICKS} emitted, ${ours.notEmitted} not; ${describe(oursSpread)} ` +
        `(to the publish call: ${describe(ours.wake)}; publish: ${describe(ours.publish)})`,
      baseline: `floor ${describe(floorSpread)}`,
    },
    targets: [
      atMost("ticks not emitted = 0", ours.notEmitted, 0),
      atMost("p50 lag <= 1 ms", oursSpread.p50, 1),
      atMost("p99 lag <= 3 ms", oursSpread.p99, 3),
      atMost("p99 clock / floor <= 1.0", ratio, 1),
      atMost("ticks emitted early = 0", ours.early, 0),
    ],
  };
}

/** `p50 / p99 / max` of a spread of lags. */
export function describe(spread: { p50: number; p99: number; max: number }): string {
  return `p50 ${spread.p50.toFixed(2)} / p99 ${spread.p99.toFixed(2)} / max ${spread.max.toFixed(2)} ms`;
}

/** The clock's lags, ticks published before their instant, and ticks not emitted. */
async function clockLags(url: string) {
  const clock = new Clock({ event: new Event("bench-tick-lag", Date), period: PERIOD_MS / 1000, maxTicks: TICKS });
  await using conn = await new Events(clock.event).connect({ servers: url });
  await conn.register();
  let early = 0;
  const wakes: number[] = [];
  const publishes: number[] = [];
  const watched: Publisher = {
    publishTick: async (message, options) => {
      if (Date.now() < message.tickMs) early++;
      const called = preciseNow();
      wakes.push(called - message.tickMs);
      const result = await conn.publishTick(message, options);
      publishes.push(preciseNow() - called);
      return result;
    },
    lastTick: (target) => conn.lastTick(target),
  };
  const lags: number[] = [];
  let notEmitted = 0;
  await clock.run(watched, {
    onTick: (report) => {
      if (report.outcome === "emitted") lags.push(preciseNow() - report.tick.getTime());
      else notEmitted++;
    },
  });
  return { lags, early, notEmitted, wake: spreadOf(wakes), publish: spreadOf(publishes) };
}

/** The floor's lags: `setTimeout` to each instant, then one awaited publish with a msgID. */
async function floorLags(url: string): Promise<number[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "bench-floor", subjects: ["bench-floor"] });
    const js = jetstream(nc);
    const lags: number[] = [];
    let instant = nextInstant(Date.now());
    while (lags.length < TICKS) {
      while (Date.now() < instant) await new Promise((resolve) => setTimeout(resolve, instant - Date.now()));
      const payload = new Date(instant).toISOString();
      await js.publish("bench-floor", payload, { msgID: `bench-floor:${instant}` });
      lags.push(preciseNow() - instant);
      instant = nextInstant(Date.now());
    }
    return lags;
  } finally {
    await nc.close();
  }
}

function nextInstant(afterMs: number): number {
  return (Math.floor(afterMs / PERIOD_MS) + 1) * PERIOD_MS;
}
