import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Status } from "@nats-io/nats-core";
import type { ConnectionStatus } from "../events/connection_status.ts";
import { connectionStatus, natsStatus } from "./_status.ts";

/**
 * One NATS connection as the events and actors connections use it: its
 * JetStream clients, its status, and closing it when `connect()` opened it
 * (one you passed in stays open).
 */
export class NatsLink {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly #owned: boolean;
  /** Aborts when `close()` is called: ends the iterations of the statuses. */
  readonly #closed = new AbortController();

  constructor(nc: NatsConnection, owned: boolean, js: JetStreamClient, jsm: JetStreamManager) {
    this.nc = nc;
    this.#owned = owned;
    this.js = js;
    this.jsm = jsm;
  }

  /** The disconnects and reconnects, as the library's {@link ConnectionStatus}, until closed. */
  status(): AsyncIterable<ConnectionStatus> {
    return connectionStatus(this.nc, this.#closed.signal);
  }

  /** Every nats.js status, until closed. */
  natsStatus(): AsyncIterable<Status> {
    return natsStatus(this.nc, this.#closed.signal);
  }

  /** Ends the statuses' iterations, and closes the connection if `connect()` opened it. */
  async close(): Promise<void> {
    this.#closed.abort();
    if (this.#owned && !this.nc.isClosed()) await this.nc.close();
  }
}
