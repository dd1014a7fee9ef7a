import type { StreamConfig } from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { DEFAULT_DUPLICATE_WINDOW_S, type Event } from "../events/event.ts";
import { fireSubjects } from "../schedules/_fire.ts";

/** The settings of an event's stream that this library manages. */
type ManagedConfig =
  & Pick<
    StreamConfig,
    | "name"
    | "subjects"
    | "retention"
    | "storage"
    | "discard"
    | "max_age"
    | "max_consumers"
    | "max_msgs"
    | "max_bytes"
    | "max_msg_size"
    | "num_replicas"
    | "duplicate_window"
  >
  & { description: string };

/**
 * The payload kind at the end of a stream's description. nats-server 2.9 has no stream metadata, and the
 * description is what every process that registers the event reads anyway (clocks and schedules alike).
 */
const KIND_MARK = /\[walnats-payload=([A-Za-z0-9._-]+)\]$/;

/**
 * The stream an event needs: two subjects (the event's name, and the fires of
 * its schedules, `walnats-schedule.<stream>.>`), limits retention (the last tick stays stored: it is the clock's ledger), file
 * storage, oldest messages discarded first; the description ends with the
 * event's payload kind (`[walnats-payload=json]`).
 */
export function streamConfig(event: Event): ManagedConfig {
  const { age, consumers, messages, bytes, messageSize, replicas, duplicateWindow } = event.limits;
  return {
    name: event.stream,
    subjects: [event.subject, fireSubjects(event.stream)],
    description: withKind(event.description, event.payloadKind),
    retention: "limits" as StreamConfig["retention"],
    storage: "file" as StreamConfig["storage"],
    discard: "old" as StreamConfig["discard"],
    max_age: age === undefined ? 0 : nanos(age * 1000),
    max_consumers: consumers ?? -1,
    max_msgs: messages ?? -1,
    max_bytes: bytes ?? -1,
    max_msg_size: messageSize ?? -1,
    num_replicas: replicas ?? 1,
    duplicate_window: nanos((duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW_S) * 1000),
  };
}

/** A stream's description for people (if any), followed by the payload kind it records. */
export function withKind(description: string | undefined, kind: string): string {
  return [description, `[walnats-payload=${kind}]`].filter(Boolean).join(" ");
}

/**
 * The payload kind a stream's description records; `undefined` for a stream made by a version that did
 * not record it (the next register records it), or by something else.
 */
export function recordedKind(description: string | undefined): string | undefined {
  return description?.match(KIND_MARK)?.[1];
}

/** Settings an update cannot change, or must not: the stream would stop being the event's. */
const FIXED: readonly (keyof ManagedConfig)[] = ["subjects", "retention", "storage", "max_consumers"];

/**
 * The first setting of an existing stream that conflicts with the event's,
 * or `undefined` when the stream can be updated to the event's settings.
 * A stream of the previous version, with the event's subject only, can: the
 * update adds the fire subjects.
 */
export function findConflict(
  wanted: ManagedConfig,
  existing: Partial<StreamConfig>,
): { field: string; expected: unknown; actual: unknown } | undefined {
  for (const field of FIXED) {
    const expected = wanted[field];
    const actual = existing[field];
    if (field === "subjects" && subjectsUpdatable(wanted.subjects, existing.subjects)) continue;
    if (JSON.stringify(expected) !== JSON.stringify(actual)) return { field, expected, actual };
  }
  return undefined;
}

/**
 * The subjects the event wants that the existing stream lacks: what an update
 * adds, and what no other stream may store.
 */
export function missingSubjects(wanted: ManagedConfig, existing: Partial<StreamConfig> | undefined): string[] {
  return (wanted.subjects ?? []).filter((subject) => !existing?.subjects?.includes(subject));
}

/**
 * Whether an update can give the stream the event's subjects: it stores the
 * event's own subject (the first), and no subject the event does not want.
 */
function subjectsUpdatable(wanted: readonly string[] | undefined, existing: readonly string[] | undefined): boolean {
  if (wanted === undefined || existing === undefined) return false;
  return existing.includes(wanted[0] ?? "") && existing.every((subject) => wanted.includes(subject));
}

/** Whether the existing stream already has every managed setting the event wants. */
export function isUpToDate(wanted: ManagedConfig, existing: Partial<StreamConfig>): boolean {
  return (Object.keys(wanted) as (keyof ManagedConfig)[]).every((field) =>
    JSON.stringify(wanted[field]) === JSON.stringify(existing[field])
  );
}
