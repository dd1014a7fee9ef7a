import type { NatsConnection, QueuedIterator, Status } from "@nats-io/nats-core";
import type { ConnectionStatus } from "../events/connection_status.ts";

/**
 * The disconnects and reconnects of `nc`, as {@link ConnectionStatus}, until
 * `nc` closes or `closed` aborts (the walnats connection on top was closed,
 * which leaves a connection it adopted open).
 */
export async function* connectionStatus(nc: NatsConnection, closed: AbortSignal): AsyncGenerator<ConnectionStatus> {
  for await (const status of natsStatus(nc, closed)) {
    if (status.type === "disconnect") yield { type: "disconnected", server: status.server };
    if (status.type === "reconnect") yield { type: "reconnected", server: status.server };
  }
}

/** Every nats.js status of `nc`, until `nc` closes or `closed` aborts. */
export async function* natsStatus(nc: NatsConnection, closed: AbortSignal): AsyncGenerator<Status> {
  if (nc.isClosed() || closed.aborted) return;
  const statuses = nc.status() as QueuedIterator<Status>;
  const stop = () => statuses.stop();
  closed.addEventListener("abort", stop, { once: true });
  try {
    yield* statuses;
  } finally {
    closed.removeEventListener("abort", stop);
    stop();
  }
}
