/**
 * Pause on failure, the part the schedules and the actors share without importing each other: the request a
 * fire carries (`Walnats-Pause-On-Failure: <bucket>/<key>/<revision>`) and the pause itself, a compare-and-set
 * of the record at the revision that fired. A schedule's record is JSON with a `paused: { note, since }` field
 * while it is paused (src/schedules/_schedule_record.ts); the pause adds that field and keeps every other one as
 * it is, so that it never drops a field of a record written by a newer version.
 *
 * @module
 */
import { PAUSE_ON_FAILURE_HEADER } from "./_headers.ts";

/** What a fire of a schedule with `pauseOnFailure` asks of the actor that gives it up. */
export interface PauseRequest {
  /** The key-value bucket of the schedule's record. */
  readonly bucket: string;
  /** The record's key: the schedule's id. */
  readonly key: string;
  /** The record's revision that fired: a record changed since is left alone. */
  readonly revision: number;
}

/** A bucket or key: a KV token (letters, digits, `-`, `_`). */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** The header of a pause request. */
export function pauseRequestHeaders(request: PauseRequest): Record<string, string> {
  return { [PAUSE_ON_FAILURE_HEADER]: `${request.bucket}/${request.key}/${request.revision}` };
}

/**
 * The pause request of a message's headers.
 *
 * @returns `undefined` when it has none; `{ bad }` (the value) when the header cannot be read
 */
export function pauseRequestOf(headers: Readonly<Record<string, string>>): PauseRequest | { bad: string } | undefined {
  const value = headers[PAUSE_ON_FAILURE_HEADER];
  if (value === undefined) return undefined;
  const [bucket = "", key = "", revision = "", ...rest] = value.split("/");
  const number = Number(revision);
  if (rest.length > 0 || !TOKEN.test(bucket) || !TOKEN.test(key) || !(Number.isSafeInteger(number) && number > 0)) {
    return { bad: value };
  }
  return { bucket, key, revision: number };
}

/** The compare-and-set records of a key-value bucket, as the backend of an actor offers them. */
export interface RecordBucket {
  /** The record under `key` in `bucket`, with its revision; `undefined` when there is none. */
  get(bucket: string, key: string): Promise<{ data: Uint8Array; revision: number } | undefined>;
  /** Writes `data` under `key` when the key is at `revision`; false when it is not (nothing written). */
  update(bucket: string, key: string, data: Uint8Array, revision: number): Promise<boolean>;
}

/**
 * Pauses the record of `request` with `note`, since `sinceMs`, when it is still at the revision that fired and
 * not paused: one compare-and-set, so that of several actors that give up the same fire one pauses it.
 *
 * @returns `paused`; `changed` when the record was changed, paused or deleted since (left alone)
 * @throws what the bucket throws (it does not exist, the credentials cannot read or write it)
 */
export async function pauseRecord(
  records: RecordBucket,
  request: PauseRequest,
  note: string,
  sinceMs: number,
): Promise<"paused" | "changed"> {
  const { bucket, key, revision } = request;
  const stored = await records.get(bucket, key);
  if (stored?.revision !== revision) return "changed";
  const record = JSON.parse(new TextDecoder().decode(stored.data));
  if (record?.paused !== undefined) return "changed";
  const paused = { ...record, paused: { note, since: new Date(sinceMs).toISOString() } };
  const written = await records.update(bucket, key, new TextEncoder().encode(JSON.stringify(paused)), revision);
  return written ? "paused" : "changed";
}
