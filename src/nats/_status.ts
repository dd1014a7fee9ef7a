import type { NatsConnection, QueuedIterator, Status } from "@nats-io/nats-core";
import type { ConnectionStatus } from "../connection_status.ts";

/**
 * The disconnects and reconnects of `nc`, as {@link ConnectionStatus}, until
 * `nc` closes or `closed` aborts (the walnats connection on top was closed,
 * which leaves a connection it adopted open).
 */
export async function* connectionStatus(nc: NatsConnection, closed: AbortSignal): AsyncGenerator<ConnectionStatus> {
  if (nc.isClosed() || closed.aborted) return;
  const statuses = nc.status() as QueuedIterator<Status>;
  const stop = () => statuses.stop();
  closed.addEventListener("abort", stop, { once: true });
  try {
    for await (const status of statuses) {
      if (status.type === "disconnect") yield { type: "disconnected", server: status.server };
      if (status.type === "reconnect") yield { type: "reconnected", server: status.server };
    }
  } finally {
    closed.removeEventListener("abort", stop);
    stop();
  }
}
