/**
 * The KV buckets an actor writes a record of with compare-and-set: the schedules' bucket, where a fire given up
 * pauses its schedule (src/events/_pause_request.ts). The actors import nothing of the schedules: the bucket is
 * the one the fire names.
 *
 * @module
 */
import { JetStreamApiCodes, type JetStreamClient } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import type { RecordBucket } from "../events/_pause_request.ts";
import { isApiError } from "./_api_errors.ts";

/**
 * {@link RecordBucket} on the KV buckets of `js`, each opened on first use (a bucket that does not exist, or that
 * the credentials may not read, fails the call) and opened again after a failure.
 */
export function natsRecordBucket(js: JetStreamClient): RecordBucket {
  const opened = new Map<string, Promise<KV>>();
  const use = async <T>(name: string, call: (kv: KV) => Promise<T>): Promise<T> => {
    let bucket = opened.get(name);
    if (bucket === undefined) opened.set(name, bucket = new Kvm(js).open(name));
    try {
      return await call(await bucket);
    } catch (error) {
      if (opened.get(name) === bucket) opened.delete(name);
      throw error;
    }
  };
  return {
    get: (name, key) =>
      use(name, async (kv) => {
        const entry = await kv.get(key);
        return entry === null || entry.operation !== "PUT"
          ? undefined
          : { data: entry.value, revision: entry.revision };
      }),
    update: (name, key, data, revision) =>
      use(name, async (kv) => {
        try {
          await kv.update(key, data, revision);
          return true;
        } catch (error) {
          if (isApiError(error, JetStreamApiCodes.StreamWrongLastSequence)) return false;
          throw error;
        }
      }),
  };
}
