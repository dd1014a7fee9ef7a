import { jetstream, JetStreamApiError, jetstreamManager } from "@nats-io/jetstream";
import {
  type ConnectionOptions,
  credsAuthenticator,
  errors,
  type NatsConnection,
  nkeyAuthenticator,
  nkeys,
} from "@nats-io/nats-core";
import { readFile } from "node:fs/promises";
import { ErrorCode, messageOf, WalnatsError } from "../errors.ts";
import { type Credentials, describeCredentials, redact, resolveConnectOptions } from "./_connect_options.ts";
import type { ConnectOptions, TlsOptions } from "./connect_options.ts";
import { connectNode } from "./_node_transport.ts";
import { isJetStreamNotEnabled, isTimeout } from "./_api_errors.ts";
import { NatsLink } from "./_link.ts";

/** The oldest nats-server this library supports. */
const MIN_SERVER: readonly [number, number] = [2, 9];
/** Each JetStream request waits this long: short, so that a clock retries soon after a server restart. */
const REQUEST_TIMEOUT_MS = 1_000;

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
): Promise<NatsLink> {
  const owned = !isClient(target);
  const nc = owned ? await dial(target) : target as unknown as NatsConnection;
  try {
    checkVersion(nc);
    const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS }).catch((error) => {
      if (isTimeout(error) || error instanceof JetStreamApiError && error.status === 503) {
        throw new WalnatsError(
          ErrorCode.JetStreamUnavailable,
          `JetStream on the NATS server at ${describeServer(nc)} gave no answer within ${REQUEST_TIMEOUT_MS} ms: ` +
            "in a cluster, it has no meta leader (more than half of the servers down or cut off); try again later",
          { cause: error },
        );
      }
      if (!isJetStreamNotEnabled(error)) throw error;
      throw new WalnatsError(
        ErrorCode.JetStreamNotEnabled,
        `JetStream is not enabled on the NATS server at ${describeServer(nc)}: start nats-server with -js`,
        { cause: error },
      );
    });
    return new NatsLink(nc, owned, jetstream(nc, { timeout: REQUEST_TIMEOUT_MS }), jsm);
  } catch (error) {
    if (owned) await nc.close();
    throw error;
  }
}

function isClient(target: ConnectOptions | NatsClient): target is NatsClient {
  return typeof (target as NatsClient | null)?.request === "function" &&
    typeof (target as NatsClient).publish === "function";
}

async function dial(options: ConnectOptions): Promise<NatsConnection> {
  const resolved = resolveConnectOptions(options);
  const { servers, name, timeoutMs, credentials, tls } = resolved;
  const prefix = `Cannot connect to NATS at ${servers.join(", ")}`;
  const secrets = [...resolved.secrets];
  const auth = await authOptions(credentials, prefix, secrets);
  if (tls !== undefined) await checkTlsFiles(tls, prefix);
  try {
    return await connectNode({
      servers,
      timeout: timeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
      ...(name === undefined ? {} : { name }),
      ...auth,
      ...(tls === undefined ? {} : { tls: { ...tls } }),
    });
  } catch (error) {
    if (isAuthError(error)) {
      const refused = credentials.kind === "none"
        ? "the server requires credentials; give a user and password, a token, an nkey or a creds file"
        : `the server refused ${describeCredentials(credentials)}`;
      throw new WalnatsError(
        ErrorCode.AuthenticationFailed,
        redact(`${prefix}: ${refused} (${messageOf(error)})`, secrets),
        { cause: error },
      );
    }
    throw new WalnatsError(
      ErrorCode.ConnectionFailed,
      redact(`${prefix}: ${messageOf(error)}${tlsHint(error, tls)}`, secrets),
      { cause: error },
    );
  }
}

/** The nats.js options that present `credentials`; adds what the files hold to `secrets`. */
async function authOptions(
  credentials: Credentials,
  prefix: string,
  secrets: string[],
): Promise<Pick<ConnectionOptions, "user" | "pass" | "token" | "authenticator">> {
  switch (credentials.kind) {
    case "none":
      return {};
    case "user":
      return { user: credentials.user, pass: credentials.pass };
    case "token":
      return { token: credentials.token };
    case "nkey": {
      const text = await readText("nkeyFile", credentials.file, prefix);
      const seed = text.split(/\s+/).find((word) => word.startsWith("SU"));
      if (seed !== undefined) secrets.push(seed);
      if (seed === undefined || !isUserSeed(seed)) {
        throw new WalnatsError(
          ErrorCode.ConnectionFailed,
          `${prefix}: 'nkeyFile' ${credentials.file} holds no user nkey seed (a line starting with SU)`,
        );
      }
      return { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) };
    }
    case "creds": {
      const text = await readText("credsFile", credentials.file, prefix);
      secrets.push(...(text.match(/[\w-]{20,}(?:\.[\w-]+){2}|\bS[A-Z][A-Z2-7]{50,}\b/g) ?? []));
      const creds = new TextEncoder().encode(text);
      const authenticator = credsAuthenticator(creds);
      try {
        authenticator("check");
      } catch {
        throw new WalnatsError(
          ErrorCode.ConnectionFailed,
          `${prefix}: 'credsFile' ${credentials.file} holds no user JWT and nkey seed (write it with nsc)`,
        );
      }
      return { authenticator };
    }
  }
}

function isUserSeed(seed: string): boolean {
  try {
    nkeys.fromSeed(new TextEncoder().encode(seed));
    return true;
  } catch {
    return false;
  }
}

/** Reads each TLS file once, so that a missing or wrong one fails here and names its path. */
async function checkTlsFiles(tls: TlsOptions, prefix: string): Promise<void> {
  const expected = {
    caFile: [/-----BEGIN CERTIFICATE-----/, "PEM certificate"],
    certFile: [/-----BEGIN CERTIFICATE-----/, "PEM certificate"],
    keyFile: [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "PEM private key"],
  } as const;
  for (const key of ["caFile", "certFile", "keyFile"] as const) {
    const file = tls[key];
    if (file === undefined) continue;
    const [pattern, what] = expected[key];
    if (!pattern.test(await readText(`tls.${key}`, file, prefix))) {
      throw new WalnatsError(ErrorCode.ConnectionFailed, `${prefix}: 'tls.${key}' ${file} holds no ${what}`);
    }
  }
}

async function readText(option: string, file: string, prefix: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new WalnatsError(
      ErrorCode.ConnectionFailed,
      `${prefix}: cannot read '${option}' ${file} (${typeof code === "string" ? code : messageOf(error)})`,
      { cause: error },
    );
  }
}

/** The server refused the credentials (or they expired). */
function isAuthError(error: unknown): boolean {
  return error instanceof errors.AuthorizationError || error instanceof errors.UserAuthenticationExpiredError;
}

/** A hint for the TLS failures whose messages do not say what to do. */
function tlsHint(error: unknown, tls: TlsOptions | undefined): string {
  if (error instanceof errors.TimeoutError && tls !== undefined) {
    return tls.certFile === undefined
      ? "; a server that requires a client certificate (give tls.certFile and tls.keyFile) also ends in a timeout"
      : "; a server that refuses the client certificate also ends in a timeout";
  }
  if (/certificate|self.signed/i.test(messageOf(error)) && tls?.caFile === undefined) {
    return "; if a private CA signed the server's certificate, give its certificate as tls.caFile";
  }
  return "";
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
