import { jetstream, type JetStreamClient, type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect as natsConnect } from "@nats-io/transport-node";
import { ErrorCode, messageOf, WalnatsError } from "../errors.ts";
import { isJetStreamNotEnabled } from "./_api_errors.ts";

/** The oldest nats-server this library supports. */
const MIN_SERVER: readonly [number, number] = [2, 9];
/** Each JetStream request waits this long: short, so that a clock retries soon after a server restart. */
const REQUEST_TIMEOUT_MS = 1_000;

/** Where and how to connect, when `connect()` opens the connection itself. */
export interface ConnectOptions {
  /** One URL or several of the same cluster, e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** The connection's name, shown by the server's monitoring. */
  name?: string;
  /** User name, with `pass`. */
  user?: string;
  /** Password, with `user`. */
  pass?: string;
  /** Authentication token. */
  token?: string;
  /** Milliseconds to wait for the first connection, default 5000. */
  timeoutMs?: number;
}

/**
 * A connection you opened yourself with nats.js (`@nats-io/transport-node`,
 * `@nats-io/transport-deno`, ...). Only the shape is named here, so that
 * this library's types do not depend on nats.js's.
 */
export interface NatsClient {
  /** nats.js `NatsConnection.publish`. */
  publish(subject: string, payload?: unknown, options?: unknown): void;
  /** nats.js `NatsConnection.request`. */
  request(subject: string, payload?: unknown, options?: unknown): Promise<unknown>;
  /** nats.js `NatsConnection.isClosed`. */
  isClosed(): boolean;
}

/** Opens (or adopts) a NATS connection and checks the server: version 2.9 at least, JetStream enabled. */
export async function dialOrAdopt(
  target: ConnectOptions | NatsClient,
): Promise<{ nc: NatsConnection; owned: boolean; js: JetStreamClient; jsm: JetStreamManager }> {
  const owned = !isClient(target);
  const nc = owned ? await dial(target) : target as unknown as NatsConnection;
  try {
    checkVersion(nc);
    const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS }).catch((error) => {
      if (!isJetStreamNotEnabled(error)) throw error;
      throw new WalnatsError(
        ErrorCode.JetStreamNotEnabled,
        `JetStream is not enabled on the NATS server at ${describeServer(nc)}: start nats-server with -js`,
        { cause: error },
      );
    });
    return { nc, owned, js: jetstream(nc, { timeout: REQUEST_TIMEOUT_MS }), jsm };
  } catch (error) {
    if (owned) await nc.close();
    throw error;
  }
}

function isClient(target: ConnectOptions | NatsClient): target is NatsClient {
  return typeof (target as NatsClient).request === "function" && typeof (target as NatsClient).publish === "function";
}

async function dial(options: ConnectOptions): Promise<NatsConnection> {
  const { servers, name, user, pass, token, timeoutMs = 5_000 } = options;
  if (!(typeof servers === "string" || Array.isArray(servers)) || servers.length === 0) {
    throw new TypeError(`Cannot connect: 'servers' must be a URL or a list of URLs, got ${JSON.stringify(servers)}`);
  }
  try {
    return await natsConnect({
      servers,
      timeout: timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
      ...(name === undefined ? {} : { name }),
      ...(user === undefined ? {} : { user }),
      ...(pass === undefined ? {} : { pass }),
      ...(token === undefined ? {} : { token }),
    });
  } catch (error) {
    throw new WalnatsError(
      ErrorCode.ConnectionFailed,
      `Cannot connect to NATS at ${[servers].flat().join(", ")}: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

function checkVersion(nc: NatsConnection): void {
  const version = nc.info?.version ?? "0.0.0";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < MIN_SERVER[0] || major === MIN_SERVER[0] && minor < MIN_SERVER[1]) {
    throw new WalnatsError(
      ErrorCode.ServerTooOld,
      `The NATS server at ${describeServer(nc)} runs ${version}; @walnats/clock needs ${MIN_SERVER.join(".")} or newer`,
    );
  }
}

function describeServer(nc: NatsConnection): string {
  return nc.getServer();
}
