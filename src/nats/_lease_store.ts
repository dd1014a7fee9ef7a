import { JetStreamApiCodes } from "@nats-io/jetstream";
import type { LeaseEntry, LeaseRecord, LeaseStore } from "../actors/_overlap.ts";
import { isApiError } from "./_api_errors.ts";
import type { OwnBucket } from "./_own_bucket.ts";

/** The bucket of the overlap leases. */
export const LEASES_BUCKET = "walnats-leases";
/**
 * How long a lease's entry is kept at most, in milliseconds: far longer than a lease lasts unrenewed (each
 * renewal writes it again), so that the leases of keys that no longer fire leave the bucket on their own.
 */
export const LEASES_TTL_MS = 3600_000;
/** What the leases bucket is, in the error of a stream of its name that is no bucket. */
export const LEASES_PURPOSE = {
  what: "the actors' overlap leases bucket",
  blocked: "messages of actors with `overlap`",
};

/**
 * The leases of `overlap` in a KV bucket: a compare-and-set on each key's
 * revision (nats-server checks the subject's last sequence atomically with
 * the write) makes each take-over and renewal single.
 *
 * @param onRecreated told, with the message's sequence, when the bucket was found deleted and made again
 */
export function natsLeaseStore(bucket: OwnBucket, onRecreated: (seq: number) => void): LeaseStore {
  return {
    get: (key, seq) =>
      bucket.use(() => onRecreated(seq), async (kv): Promise<LeaseEntry | undefined> => {
        const entry = await kv.get(key);
        if (entry === null || entry.operation !== "PUT") return undefined;
        return { record: entry.json<LeaseRecord>(), revision: entry.revision };
      }),
    create: (key, record, seq) =>
      bucket.use(() => onRecreated(seq), (kv) => staleAsUndefined(kv.create(key, JSON.stringify(record)))),
    update: (key, record, revision, seq) =>
      bucket.use(() => onRecreated(seq), (kv) => staleAsUndefined(kv.update(key, JSON.stringify(record), revision))),
    remove: (key, revision, seq) =>
      bucket.use(
        () => onRecreated(seq),
        async (kv) => await staleAsUndefined(kv.delete(key, { previousSeq: revision }).then(() => 0)) !== undefined,
      ),
  };
}

/** The write's revision; `undefined` when the key was not at the revision the write expected. */
async function staleAsUndefined(write: Promise<number>): Promise<number | undefined> {
  try {
    return await write;
  } catch (error) {
    if (
      isApiError(error, JetStreamApiCodes.StreamWrongLastSequence) ||
      isApiError(error, JetStreamApiCodes.StreamWrongLastSequenceUnknown)
    ) {
      return undefined;
    }
    throw error;
  }
}
