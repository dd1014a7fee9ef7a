/**
 * {@link StoredMessage}: a message as `MemoryServer` stores it, in a public module of its own (the in-memory
 * stream and its consumers both read it).
 *
 * @module
 */

/** A message as the in-memory server stores it. */
export interface StoredMessage {
  /** The stream sequence, from 1. */
  readonly seq: number;
  /** The subject: the event's name, or a schedule's subject for its fires. */
  readonly subject: string;
  /** The payload's bytes. */
  readonly data: Uint8Array;
  /** The headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** When it was stored, epoch ms of the server's time. */
  readonly storedMs: number;
}
