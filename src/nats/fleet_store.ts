/**
 * The fleet's heartbeats on NATS: a KV bucket, `walnats-workers`, one key
 * per worker run, written at every beat; the time of a beat is the server's
 * (the entry's timestamp), so that workers whose clocks differ agree on it.
 * Entries of workers that stopped beating expire after a minute.
 *
 * @module
 */
import { type KV, Kvm } from "@nats-io/kv";
import { ErrorCode, messageOf, WalnatsError } from "../errors.ts";
import type { FleetMember, FleetStore } from "../schedule_store.ts";
import type { NatsLink } from "./_link.ts";

/** The bucket of the fleet's heartbeats. */
export const WORKERS_BUCKET = "walnats-workers";
/** How long an entry outlives its last beat: the bucket's `max_age`. */
const MEMBER_EXPIRY_MS = 60_000;

/** {@link FleetStore} on the `walnats-workers` KV bucket, created on the first beat. */
export class NatsFleetStore implements FleetStore {
  readonly #link: NatsLink;
  readonly #replicas: number;
  #kv: Promise<KV> | undefined;

  /**
   * @param link the NATS connection
   * @param replicas the bucket's replicas when the first beat creates it
   */
  constructor(link: NatsLink, replicas: number) {
    this.#link = link;
    this.#replicas = replicas;
  }

  async beat(id: string): Promise<void> {
    const kv = await this.#bucket();
    await request(`Cannot record the heartbeat of worker '${id}'`, () => kv.put(id, ""));
  }

  async members(): Promise<FleetMember[]> {
    const kv = await this.#bucket();
    return await request("Cannot read the fleet's heartbeats", async () => {
      const members: FleetMember[] = [];
      for await (const id of await kv.keys()) {
        const entry = await kv.get(id);
        if (entry?.operation === "PUT") members.push({ id, beatMs: entry.created.getTime() });
      }
      return members;
    });
  }

  async leave(id: string): Promise<void> {
    const kv = await this.#bucket();
    await request(`Cannot remove worker '${id}' from the fleet`, () => kv.purge(id));
  }

  /** The bucket, created (or found) once; a failed creation is forgotten, so that the next call tries again. */
  async #bucket(): Promise<KV> {
    if (this.#kv === undefined) {
      const creating = new Kvm(this.#link.js)
        .create(WORKERS_BUCKET, { history: 1, ttl: MEMBER_EXPIRY_MS, replicas: this.#replicas })
        .catch((error: unknown) => {
          if (this.#kv === creating) this.#kv = undefined;
          throw error;
        });
      this.#kv = creating;
    }
    return await request(`Cannot open the fleet's bucket '${WORKERS_BUCKET}'`, () => this.#kv!);
  }
}

/** Runs a request, turning a failure into a `REQUEST_FAILED` that says what was tried. */
async function request<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new WalnatsError(ErrorCode.RequestFailed, `${what}: ${messageOf(error)}`, { cause: error });
  }
}
