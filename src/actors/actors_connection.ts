import type { JobEvent } from "./actor.ts";
import type { ConnectionStatus } from "../events/connection_status.ts";

/** Options of {@link ActorsConnection.listen}. */
export interface ListenOptions {
  /** Stops listening: no new messages are taken, running handlers finish, taken ones are given back. */
  signal?: AbortSignal;
  /** Handle the messages there are now, then return. */
  burst?: boolean;
  /** Called for every start, success, failure, termination and early delayed message. */
  onEvent?: (event: JobEvent) => void;
}

/**
 * A connection that runs actors, from `Actors.connect()`: to a NATS server, or
 * to the in-memory server of `@walnats/clock/testing`.
 */
export interface ActorsConnection extends AsyncDisposable {
  /**
   * Creates each actor's durable consumer, or updates its ack wait. Checks
   * every actor before it changes anything.
   *
   * @throws {WalnatsError} `STREAM_NOT_FOUND` when an actor's event was never registered;
   *   `CONSUMER_CONFLICT` when a consumer of the actor's name exists with another subject, deliver or ack policy
   */
  register(): Promise<void>;
  /**
   * Runs every actor until `signal` aborts (or, with `burst`, until no message is left).
   *
   * @param options signal, burst, onEvent
   * @throws {TypeError} when an option is not usable
   */
  listen(options?: ListenOptions): Promise<void>;
  /**
   * The connection's disconnects and reconnects, as they happen, until it is
   * closed: for health checks, logs and metrics. Each call starts a new
   * iteration. The NATS connection has it; the in-memory one has not.
   */
  status?(): AsyncIterable<ConnectionStatus>;
  /** Closes the connection if `connect()` opened it. */
  close(): Promise<void>;
}
