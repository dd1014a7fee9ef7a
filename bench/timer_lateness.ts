/**
 * timer_lateness: how late a schedule fires, without publishing: the
 * clock's loop (on a publisher that only takes the time) next to croner and
 * node-cron, each firing at every whole second, one after the other.
 *
 * @module
 */
import { Cron } from "croner";
// deno-lint-ignore no-import-prefix -- development-only: kept out of deno.json and deno.lock (see deno.dev.lock)
import nodeCron from "npm:node-cron@^4.6.0";
import { Clock, Event, type Publisher } from "../mod.ts";
import { atMost, type CaseResult } from "./_case.ts";
import { preciseNow, round, spreadOf } from "./_stats.ts";
import { describe } from "./tick_lag.ts";

const FIRINGS = 25;
const EVERY_SECOND = "* * * * * *";

/** Runs the three schedulers in turn, `FIRINGS` whole seconds each. */
export async function timerLateness(): Promise<CaseResult> {
  const clock = await clockLateness();
  const ours = { ...spreadOf(clock.lateness), early: clock.early };
  const croner = spreadOf(await firingLateness((fire) => new Cron(EVERY_SECOND, fire)));
  const nodeCronSpread = spreadOf(await firingLateness((fire) => nodeCron.schedule(EVERY_SECOND, fire)));
  const best = Math.min(croner.p99, nodeCronSpread.p99);
  return {
    ours,
    baseline: { croner, "node-cron": nodeCronSpread },
    ratio: round(ours.p99 / best),
    ratioOf: "p99 lateness, clock / the better of croner and node-cron",
    summary: {
      ours: describe(ours),
      baseline: `croner ${describe(croner)}; node-cron ${describe(nodeCronSpread)}`,
    },
    targets: [atMost("ticks handed over before their instant (by Date.now()) = 0", ours.early, 0)],
  };
}

/** How late the clock's loop hands each tick to its publisher, in ms, and how often it was early. */
async function clockLateness(): Promise<{ lateness: number[]; early: number }> {
  const lateness: number[] = [];
  let early = 0;
  const timing: Publisher = {
    publishTick: (message) => {
      if (Date.now() < message.tickMs) early++;
      lateness.push(preciseNow() - message.tickMs);
      return Promise.resolve({ seq: lateness.length, duplicate: false });
    },
    lastTick: () => Promise.resolve(undefined),
  };
  await new Clock({ event: new Event("bench-timer", Date), period: 1, maxTicks: FIRINGS }).run(timing);
  return { lateness, early };
}

/** How late a scheduler started by `schedule` fires at whole seconds, in ms; stops it after `FIRINGS`. */
function firingLateness(schedule: (fire: () => void) => { stop(): unknown }): Promise<number[]> {
  return new Promise((resolve) => {
    const lateness: number[] = [];
    const job = schedule(() => {
      const now = preciseNow();
      lateness.push(now - Math.round(now / 1000) * 1000);
      if (lateness.length === FIRINGS) {
        job.stop();
        resolve(lateness);
      }
    });
  });
}
