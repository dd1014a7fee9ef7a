import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";

/** Whether nats.js rejected with the JetStream API error `code` (one of `JetStreamApiCodes`). */
export function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** nats.js's `JetStreamNotEnabled`, which its main entry point does not export. */
export function isJetStreamNotEnabled(error: unknown): boolean {
  return error instanceof Error && error.name === "JetStreamNotEnabled";
}

/** Whether no stream answered: nats.js reports a publish that no stream takes as "JetStream not enabled". */
export function isStreamMissing(error: unknown): boolean {
  return isJetStreamNotEnabled(error) || isApiError(error, JetStreamApiCodes.StreamNotFound);
}
