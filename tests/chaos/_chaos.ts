/**
 * Helpers of the chaos tests: a seeded random source that a failed run can
 * be replayed with, the JetStream calls a test makes on a cluster (who leads
 * a stream, a leader step-down), and the audit of a stream of ticks.
 *
 * @module
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { waitUntil } from "../_wait.ts";
import type { FireLine } from "../nats/_schedule_worker_process.ts";
import type { StoredMessage } from "../nats/_stream.ts";

/** The environment variable that replays a run: `CHAOS_SEED=1234 deno task test:chaos`. */
export const SEED_VARIABLE = "CHAOS_SEED";

/** The seed of this run: `CHAOS_SEED` when set, else a new random one. */
export function chaosSeed(): number {
  const given = Deno.env.get(SEED_VARIABLE);
  if (given === undefined || given === "") return crypto.getRandomValues(new Uint32Array(1))[0]!;
  const seed = Number(given);
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new RangeError(`${SEED_VARIABLE} must be an integer from 0 to 2^32 - 1, got '${given}'`);
  }
  return seed;
}

/** A random source whose whole sequence follows from its seed (mulberry32). */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** A whole number from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One of `items`, which must not be empty. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError("Cannot pick from an empty list");
    return item;
  }
}

/** The name of the server leading `stream`, asked at `servers` (one request of at most 500 ms); none without an answer. */
export async function streamLeader(servers: string[], stream: string): Promise<string | undefined> {
  const nc = await connect({ servers, timeout: 1_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 500, checkAPI: false });
    const leader = (await jsm.streams.info(stream).catch(() => undefined))?.cluster?.leader;
    return leader === "" ? undefined : leader;
  } finally {
    await nc.close();
  }
}

/**
 * Waits for `stream` to have a leader other than `not` — or `not` itself
 * once `back` resolved (a killed leader started again may win the election
 * it missed the start of) — and returns its name; asked at `servers` every
 * 10 ms of waiting, each request at most 500 ms; gives up after 60 s.
 */
export async function awaitNewLeader(
  servers: string[],
  stream: string,
  not?: string,
  back?: Promise<unknown>,
): Promise<string> {
  let isBack = false;
  void back?.then(() => isBack = true, () => {});
  let leader: string | undefined;
  await waitUntil(async () => {
    leader = await streamLeader(servers, stream).catch(() => undefined);
    return leader !== undefined && (leader !== not || isBack);
  }, { what: `a leader of '${stream}' other than ${not ?? "none"}`, timeoutMs: 60_000 });
  return leader!;
}

/**
 * Asks the leader of `stream` to step down (`$JS.API.STREAM.LEADER.STEPDOWN.<stream>`: nats.js 3 has no
 * call for it); throws unless the server answers with success.
 */
export async function stepDown(servers: string[], stream: string): Promise<void> {
  const nc = await connect({ servers, timeout: 1_000 });
  try {
    const answer = await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, "", { timeout: 5_000 });
    const body = answer.json<{ success?: boolean; error?: unknown }>();
    if (body.success !== true) throw new Error(`Step-down of '${stream}' refused: ${answer.string()}`);
  } finally {
    await nc.close();
  }
}

/** What a stream of ticks holds, as the chaos tests count it. */
export interface TickAudit {
  /** How many messages the stream stores. */
  stored: number;
  /** The first and the last stored tick, epoch ms. */
  first: number;
  last: number;
  /** Ticks stored more than once, as `tick x count`. */
  duplicates: string[];
  /** Ticks from the first stored to the last that are not stored, epoch ms. */
  missing: number[];
  /** Messages whose tick is not after the tick of the message before them, as `seq tick`. */
  outOfOrder: string[];
  /** Ticks stored with `Walnats-Late: true`. */
  late: number[];
}

/** Counts the ticks of `messages` (read by sequence) on a grid of `periodMs`. */
export function auditTicks(messages: StoredMessage[], periodMs: number): TickAudit {
  const counts = new Map<number, number>();
  const outOfOrder: string[] = [];
  const late: number[] = [];
  let previous = -Infinity;
  for (const message of messages) {
    const tick = Number(message.headers["Walnats-Tick"]);
    if (!(Number.isSafeInteger(tick) && tick % periodMs === 0)) {
      throw new Error(`Message ${message.seq} has no tick on the ${periodMs} ms grid: ${JSON.stringify(message)}`);
    }
    counts.set(tick, (counts.get(tick) ?? 0) + 1);
    if (tick <= previous) outOfOrder.push(`${message.seq} ${tick}`);
    if (message.headers["Walnats-Late"] === "true") late.push(tick);
    previous = tick;
  }
  const ticks = [...counts.keys()].sort((a, b) => a - b);
  const first = ticks[0] ?? NaN;
  const last = ticks.at(-1) ?? NaN;
  const missing: number[] = [];
  for (let tick = first; tick <= last; tick += periodMs) if (!counts.has(tick)) missing.push(tick);
  const duplicates = [...counts].filter(([, count]) => count > 1).map(([tick, count]) => `${tick} x${count}`);
  return { stored: messages.length, first, last, duplicates, missing, outOfOrder, late };
}

/** A fire report of a worker process, and which worker (1, 2, …) printed it. */
export type WorkerFireLine = FireLine & { worker: number };

/**
 * The stored fires (`schedule@tick` keys) that no worker reported `emitted`
 * nor as one that may have been stored: `duplicate` (found stored by a later
 * attempt), or missed `unacknowledged` (its answer was lost: a restart, a
 * deadline passed while paused) or `stopped` (in flight when the worker
 * stopped). A fire reported only `late` (never tried), or not at all, is one
 * the reports lie about. With the first few, and their reports.
 */
export function unexplainedFires(
  storedKeys: readonly string[],
  reportsByWorker: readonly (readonly FireLine[])[],
): { count: number; first: { key: string; reports: WorkerFireLine[] }[] } {
  const reportsOf = new Map<string, WorkerFireLine[]>();
  reportsByWorker.forEach((lines, n) => {
    for (const r of lines) {
      const key = `${r.schedule}@${r.tick}`;
      reportsOf.set(key, [...reportsOf.get(key) ?? [], { worker: n + 1, ...r }]);
    }
  });
  const explains = (r: FireLine) =>
    r.outcome === "emitted" || r.outcome === "duplicate" || r.reason === "unacknowledged" || r.reason === "stopped";
  const unexplained = storedKeys.filter((key) => !(reportsOf.get(key) ?? []).some(explains));
  return {
    count: unexplained.length,
    first: unexplained.slice(0, 3).map((key) => ({ key, reports: reportsOf.get(key) ?? [] })),
  };
}
