import { JetStreamApiCodes, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { ownBucketTaken } from "../errors.ts";
import { isApiError } from "./_api_errors.ts";

/**
 * A KV bucket of the library's own (the actors' attempts, the overlap
 * leases): opened, or made, on first use, and made again when it was found
 * deleted in use, which {@link OwnBucket.use} reports.
 */
export class OwnBucket {
  /** The stream behind the bucket, as the server names it. */
  readonly stream: string;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #name: string;
  /** How long an entry is kept at most, in milliseconds. */
  readonly #ttlMs: number;
  /** What the bucket is, and what waits for it, in the error of a stream of its name that is no bucket. */
  readonly #purpose: { readonly what: string; readonly blocked: string };
  #opened: Promise<KV> | undefined;
  /** Whether the bucket was in use and then failed: finding it missing then means it was deleted. */
  #failed = false;

  constructor(
    js: JetStreamClient,
    jsm: JetStreamManager,
    name: string,
    ttlMs: number,
    purpose: { readonly what: string; readonly blocked: string },
  ) {
    this.#js = js;
    this.#jsm = jsm;
    this.#name = name;
    this.#ttlMs = ttlMs;
    this.#purpose = purpose;
    this.stream = `KV_${name}`;
  }

  /**
   * Runs `use` on the bucket. A failure forgets the bucket, so that the next use opens it again: nats.js's
   * handle of a bucket whose stream was deleted times out for ever (the stream is made again then).
   *
   * @param onRecreated told when the bucket was found deleted and was made again
   * @throws {WalnatsError} `STREAM_CONFLICT` when a stream of the bucket's name is not a KV bucket
   */
  async use<T>(onRecreated: () => void, use: (kv: KV) => Promise<T>): Promise<T> {
    const bucket = this.#bucket(onRecreated);
    try {
      return await use(await bucket);
    } catch (error) {
      if (this.#opened === bucket) {
        this.#opened = undefined;
        this.#failed = true;
      }
      throw error;
    }
  }

  /**
   * The bucket, opened (or created) on first use, and again after a failure. Callers at the same time share
   * one opening; one that failed (the server restarting, say) is forgotten, so that the next call tries again.
   */
  #bucket(onRecreated: () => void): Promise<KV> {
    if (this.#opened === undefined) {
      const opening = this.#open(onRecreated).catch((error: unknown) => {
        if (this.#opened === opening) this.#opened = undefined;
        throw error;
      });
      this.#opened = opening;
    }
    return this.#opened;
  }

  async #open(onRecreated: () => void): Promise<KV> {
    const existing = await this.#jsm.streams.info(this.stream).then((info) => info.config, (error) => {
      if (isApiError(error, JetStreamApiCodes.StreamNotFound)) return undefined;
      throw error;
    });
    // nats.js binds to any stream of the name, and every use then times out.
    const subject = `$KV.${this.#name}.>`;
    if (existing !== undefined && !existing.subjects.includes(subject)) {
      throw ownBucketTaken(this.stream, subject, existing.subjects, this.#purpose);
    }
    const kv = await new Kvm(this.#js).create(this.#name, { history: 1, ttl: this.#ttlMs });
    if (existing === undefined && this.#failed) onRecreated();
    this.#failed = false;
    return kv;
  }
}
