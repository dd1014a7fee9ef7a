/**
 * A change of a connection's state, as `status()` of a NATS connection
 * yields it: the connection was lost (it reconnects by itself), or it is
 * back.
 *
 * @example Log every change until the connection closes
 * ```ts
 * import { type ConnectionStatus, Events, type EventsConnection } from "@walnats/clock";
 * import { MemoryServer } from "@walnats/clock/testing";
 *
 * function describeStatus(status: ConnectionStatus): string {
 *   return `${status.type === "disconnected" ? "lost" : "back on"} ${status.server}`;
 * }
 * async function logStatus(conn: EventsConnection): Promise<void> {
 *   for await (const status of conn.status?.() ?? []) console.warn(describeStatus(status));
 * }
 *
 * await using conn = await new Events().connect(new MemoryServer());
 * await logStatus(conn); // an in-memory connection has no status(): this returns at once
 * ```
 */
export interface ConnectionStatus {
  /** `disconnected`: the connection to `server` was lost, and it is reconnecting. `reconnected`: it is back. */
  readonly type: "disconnected" | "reconnected";
  /** The server lost or reached, `host:port`, never with credentials. */
  readonly server: string;
}
