/**
 * Where and how the library connects when it opens the connection itself: {@link ConnectOptions} and
 * {@link TlsOptions}. Types only, in a module of their own, so that the command and the options' checks use
 * them without importing the code that dials.
 *
 * @module
 */

/**
 * Where and how to connect, when `connect()` opens the connection itself.
 *
 * Give one way to authenticate at most: `user` with `pass`, `token`,
 * `nkeyFile` or `credsFile`. Without any of them, credentials in the URLs are
 * used (`nats://user:password@host:4222`, `nats://token@host:4222`,
 * percent-encoded); with any of them, those are ignored. Either way they are
 * removed from the URLs before nats.js sees them, and no error message quotes
 * a password, a token, a seed or a JWT. `tls` works with any of them.
 *
 * Files are read when `connect()` is called; the nkey seed and the creds are
 * kept for reconnects, the TLS files are read again at every reconnect (so a
 * rotated certificate is picked up).
 *
 * @example Connect with a creds file over TLS with a private CA
 * ```ts ignore
 * import { Events } from "@walnats/clock";
 *
 * await using conn = await new Events().connect({
 *   servers: "nats://nats.internal:4222",
 *   credsFile: "/run/secrets/clock.creds",
 *   tls: { caFile: "/etc/nats/ca.pem" },
 * });
 * ```
 */
export interface ConnectOptions {
  /**
   * One URL or several of the same cluster, e.g. `nats://127.0.0.1:4222`,
   * `tls://nats.internal:4222`. A URL may carry `user:password@` or
   * `token@` (percent-encoded), used when no credential option is given.
   */
  servers: string | string[];
  /** The connection's name, shown by the server's monitoring. Default: none. */
  name?: string;
  /** User name, with `pass` (a server's `authorization { users }`). */
  user?: string;
  /** Password, with `user`. Never quoted in errors. */
  pass?: string;
  /** Authentication token (a server's `authorization { token }`). Never quoted in errors. */
  token?: string;
  /**
   * Path of a file holding a user nkey seed (a line starting with `SU`, as
   * `nsc` or `nk -gen user` write it); the connection signs the server's
   * challenge with it (a server's `authorization { users: [{ nkey }] }`).
   */
  nkeyFile?: string;
  /**
   * Path of a `.creds` file (a user JWT and its nkey seed, as `nsc` writes
   * it) for a server in operator (decentralized JWT) mode.
   */
  credsFile?: string;
  /**
   * TLS: the connection is encrypted and fails when the server does not offer
   * TLS. A server that requires TLS gets it also when this is not given, with
   * the system's trusted CAs. Default: none.
   */
  tls?: TlsOptions;
  /** Milliseconds to wait for each server on the first connection. Default: 5000. */
  timeoutMs?: number;
}

/** TLS settings of {@link ConnectOptions}: paths of PEM files. */
export interface TlsOptions {
  /**
   * The CA certificate(s) to trust for the server's certificate, instead of
   * the system's. Default: the system's trusted CAs.
   */
  caFile?: string;
  /** The client certificate, for a server that verifies clients (mutual TLS); with `keyFile`. */
  certFile?: string;
  /** The client certificate's private key, with `certFile`. */
  keyFile?: string;
}
