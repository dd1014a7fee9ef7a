/**
 * Opens nats.js connections over `@nats-io/transport-node`, with sockets that
 * cannot crash the process after nats.js let go of them.
 *
 * Why: nats.js's Node transport calls `socket.removeAllListeners()` at several
 * points (when a dial or a TLS handshake completes, when a connection ends)
 * and counts on no error coming after. Under Deno 2.9 errors do come after:
 *
 * - `read ECONNRESET` right after the server refused the credentials and
 *   nats.js closed the socket: Node emits that error before nats.js removes
 *   its listener, Deno's `node:net` after. The process died after `connect()`
 *   had already rejected, in 13 of 30 processes that tried a wrong password.
 * - `received fatal alert: BadCertificate` when a server that verifies client
 *   certificates refuses ours (or gets none): in TLS 1.3 the client's
 *   handshake is done before the server has checked the certificate, and the
 *   alert arrives in the same read, after nats.js removed the TLS socket's
 *   listeners and before it took the socket (15 of 30 processes died).
 *
 * An `error` event with no listener is an uncaught exception in Node's
 * streams. So every socket here keeps a listener that ignores errors nobody
 * else listens to, from the moment it exists, whatever nats.js removes
 * (0 of 30 processes died in each case). nats.js still sees every error while
 * it listens, so its behaviour is unchanged; the TLS upgrade is done here,
 * with nats.js's settings (its CA and client certificate files read by its
 * own `loadClientCerts()`, the server's name, unauthorized servers refused;
 * the library sets no other TLS option), only so that the TLS socket is
 * guarded from its creation.
 *
 * How: the same steps as the package's own `connect()` (install the Node
 * transport factory, then open a connection), with a factory that makes such
 * transports. The factory is process-wide in nats.js: the package's own
 * `connect()`, called elsewhere in the process, puts the unguarded one back
 * for the reconnects that follow.
 *
 * Internal module (leading underscore): not part of the published API.
 *
 * @module
 */
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { NatsConnectionImpl, setTransportFactory } from "@nats-io/nats-core/internal";
import { nodeResolveHost, NodeTransport } from "@nats-io/transport-node/lib/node_transport.js";
import type { Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions, type TLSSocket } from "node:tls";

/** Opens a connection like `@nats-io/transport-node`'s `connect()`, with guarded sockets. */
export async function connectNode(options: ConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: guardedTransport, dnsResolveFn: nodeResolveHost });
  return await NatsConnectionImpl.connect(options);
}

/** A Node transport whose every socket ignores errors nobody else listens to. */
function guardedTransport(): NodeTransport {
  const transport = new NodeTransport();
  transport.startTLS = () => startTls(transport);
  let socket: Socket | undefined = transport.socket;
  Object.defineProperty(transport, "socket", {
    configurable: true,
    enumerable: true,
    get: () => socket,
    set: (next: Socket | undefined) => {
      if (next !== undefined && next !== socket) guard(next);
      socket = next;
    },
  });
  return transport;
}

/**
 * Upgrades the transport's socket to TLS as nats.js's `startTLS()` does (its
 * client certificate files, the server's name, unauthorized servers refused),
 * with the TLS socket guarded as soon as it exists.
 */
async function startTls(transport: NodeTransport): Promise<TLSSocket> {
  const { tls } = transport.options;
  const certificates = typeof tls === "object" && tls !== null ? await transport.loadClientCerts() : undefined;
  const { ca, cert, key } = certificates ?? {};
  const options: TlsConnectionOptions = {
    socket: transport.socket,
    servername: transport.tlsName,
    rejectUnauthorized: true,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
  return await new Promise<TLSSocket>((resolve, reject) => {
    let failure: Error | undefined;
    const onError = (error: Error) => void (failure = error);
    const onClose = () => reject(failure ?? new Error("TLS connection closed during the handshake"));
    const socket = tlsConnect(options, () => {
      socket.off("error", onError);
      socket.off("close", onClose);
      resolve(socket);
    });
    guard(socket);
    socket.on("error", onError);
    socket.on("close", onClose);
  });
}

const guarded = new WeakSet<Socket>();

function ignore(): void {}

/** Keeps one do-nothing `error` listener on `socket`, also after `removeAllListeners()`. */
function guard(socket: Socket): void {
  if (guarded.has(socket)) return;
  guarded.add(socket);
  socket.on("error", ignore);
  const removeAllListeners = socket.removeAllListeners;
  socket.removeAllListeners = function (this: Socket, event?: string | symbol) {
    removeAllListeners.call(this, ...(event === undefined ? [] : [event]));
    if (event === undefined || event === "error") this.on("error", ignore);
    return this;
  };
}
