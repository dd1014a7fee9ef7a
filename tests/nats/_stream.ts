/**
 * Test helpers that look at a stream the way any nats.js reader would: with
 * a connection of their own, message by message.
 *
 * @module
 */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

/** One stored message as a plain reader sees it. */
export interface StoredMessage {
  seq: number;
  subject: string;
  /** The payload as UTF-8 text. */
  payload: string;
  /** Every header, first value of each. */
  headers: Record<string, string>;
}

/** Every message the stream stores, by sequence, read with a connection of its own. */
export async function readStream(servers: string, stream: string): Promise<StoredMessage[]> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(stream);
    const messages: StoredMessage[] = [];
    if (state.messages === 0) return messages;
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage(stream, { seq });
      if (stored === null) continue; // an interior delete
      const headers: Record<string, string> = {};
      for (const name of stored.header?.keys() ?? []) headers[name] = stored.header.get(name);
      messages.push({ seq: stored.seq, subject: stored.subject, payload: stored.string(), headers });
    }
    if (messages.length !== state.messages) {
      throw new Error(`Read ${messages.length} messages from '${stream}', its state says ${state.messages}`);
    }
    return messages;
  } finally {
    await nc.close();
  }
}

/** The ISO text a tick's payload carries: UTC with an explicit `+00:00`. */
export function isoTick(tickMs: number): string {
  return new Date(tickMs).toISOString().replace(/Z$/, "+00:00");
}

/**
 * Deletes the stream's one consumer (a watch's) behind its reader's back, as when the server holding it dies while
 * the reader's connection stays up: nothing tells the reader. Asserts there was exactly one.
 */
export async function deleteTheConsumer(servers: string, stream: string): Promise<void> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    const consumers = await jsm.consumers.list(stream).next();
    assert.equal(consumers.length, 1, "the watch's consumer");
    await jsm.consumers.delete(stream, consumers[0]!.name);
  } finally {
    await nc.close();
  }
}

/** A consumer's info, read with a connection of its own. */
export async function consumerInfo(servers: string, stream: string, name: string) {
  const nc = await connect({ servers });
  try {
    return await (await jetstreamManager(nc)).consumers.info(stream, name);
  } finally {
    await nc.close();
  }
}

/** The consumer's pending and unacknowledged counts, read with a connection of its own. */
export async function consumerCounts(servers: string, stream: string, name: string) {
  const info = await consumerInfo(servers, stream, name);
  return { pending: info.num_pending, ackPending: info.num_ack_pending };
}
