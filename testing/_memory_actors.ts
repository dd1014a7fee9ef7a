import { CANCELLED, isAbort, promiseTry } from "../src/_async.ts";
import { type AttemptNotes, handleDelivery } from "../src/actors/_delivery.ts";
import { Jobs } from "../src/actors/_jobs.ts";
import type { RecordBucket } from "../src/events/_pause_request.ts";
import { type LeaseStore, OverlapGate } from "../src/actors/_overlap.ts";
import { checkListenOptions } from "../src/actors/_listen_options.ts";
import type { Actor } from "../src/actors/actor.ts";
import type { ActorsConnection, ListenOptions } from "../src/actors/actors_connection.ts";
import { actorStreamNotFound, consumerNotFound } from "../src/errors.ts";
import type { TimeSource } from "../src/core/time_source.ts";
import { MemoryConsumer } from "./_memory_consumer.ts";
import type { MemoryStream } from "./_memory_stream.ts";

/** An {@link ActorsConnection} to the consumers of a `MemoryServer`. */
export class MemoryActorsConnection implements ActorsConnection {
  readonly #streams: Map<string, MemoryStream>;
  readonly #actors: readonly Actor[];
  readonly #time: TimeSource;
  readonly #notes: AttemptNotes;
  readonly #leases: LeaseStore;
  /** Where a fire given up pauses its schedule: the server's schedules' bucket. */
  readonly #records: RecordBucket;

  constructor(
    streams: Map<string, MemoryStream>,
    actors: readonly Actor[],
    time: TimeSource,
    notes: AttemptNotes,
    leases: LeaseStore,
    records: RecordBucket,
  ) {
    this.#records = records;
    this.#streams = streams;
    this.#actors = actors;
    this.#time = time;
    this.#notes = notes;
    this.#leases = leases;
  }

  register(): Promise<void> {
    return promiseTry(() => {
      const streams = this.#actors.map((actor) => {
        const stream = this.#streams.get(actor.event.stream);
        if (stream === undefined) throw actorStreamNotFound(actor);
        return stream;
      });
      for (const [index, actor] of this.#actors.entries()) {
        const consumers = streams[index]?.consumers;
        if (consumers && !consumers.has(actor.name)) consumers.set(actor.name, new MemoryConsumer(this.#time));
      }
    });
  }

  async listen(options: ListenOptions = {}): Promise<void> {
    checkListenOptions(options);
    const consumers = this.#actors.map((actor) => {
      const consumer = this.#streams.get(actor.event.stream)?.consumers.get(actor.name);
      if (consumer === undefined) throw consumerNotFound(actor);
      return consumer;
    });
    await Promise.all(this.#actors.map((actor, index) => this.#listen(actor, consumers[index]!, options)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Takes due messages while job slots are free; waits for the next message or due instant in between. */
  async #listen(
    actor: Actor,
    consumer: MemoryConsumer,
    { signal, burst = false, onEvent = () => {} }: ListenOptions,
  ): Promise<void> {
    const jobs = new Jobs(actor.maxJobs);
    const context = {
      time: this.#time,
      notes: this.#notes,
      onEvent,
      records: this.#records,
      overlap: actor.overlap === "allow" ? undefined : new OverlapGate(actor, actor.overlap, {
        store: this.#leases,
        time: this.#time,
        park: (wait) => jobs.park(wait),
        onWaiting: (seq, key) => onEvent({ type: "waiting", actor: actor.name, seq, key }),
        onWaited: (seq, key, waitedMs) => onEvent({ type: "waited", actor: actor.name, seq, key, waitedMs }),
      }),
    };
    try {
      while (!signal?.aborted) {
        await jobs.slot();
        if (jobs.free === 0) continue; // a parked job took the slot back meanwhile
        const deliveries = consumer.take(jobs.free);
        for (const delivery of deliveries) jobs.start(() => handleDelivery(actor, delivery, context));
        if (deliveries.length > 0) continue;
        if (burst) {
          if (jobs.free === actor.maxJobs) return;
          await jobs.idle();
        } else {
          await this.#waitForWork(consumer, signal);
        }
      }
    } finally {
      await jobs.idle();
    }
  }

  /** Waits until the consumer changes, its next message falls due, or `signal` aborts. */
  async #waitForWork(consumer: MemoryConsumer, signal: AbortSignal | undefined): Promise<void> {
    const waiting = new AbortController();
    const stop = () => waiting.abort(CANCELLED);
    signal?.addEventListener("abort", stop, { once: true });
    try {
      const dueMs = consumer.nextDueMs();
      const due = dueMs === undefined ? [] : [
        this.#time.sleep(dueMs - this.#time.now(), waiting.signal).catch((error) => {
          if (!isAbort(error, waiting.signal)) throw error;
        }),
      ];
      await Promise.race([consumer.changed(waiting.signal), ...due]);
    } finally {
      waiting.abort(CANCELLED);
      signal?.removeEventListener("abort", stop);
    }
  }
}
