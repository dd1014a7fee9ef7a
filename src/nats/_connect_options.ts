/**
 * Checks {@link ConnectOptions} and works out the credentials: from the
 * options, or else from the userinfo of the server URLs, which is taken out
 * of the URLs either way. Pure: reads no file and opens no socket.
 *
 * Internal module (leading underscore): not part of the published API.
 *
 * @module
 */
import { describe } from "../_describe.ts";
import type { ConnectOptions, TlsOptions } from "./connect_options.ts";

/** Milliseconds to wait for the first connection when `timeoutMs` is not given. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** How a connection proves who it is: one way at most. */
export type Credentials =
  | { kind: "none" }
  | { kind: "user"; user: string; pass: string; fromUrl: boolean }
  | { kind: "token"; token: string; fromUrl: boolean }
  | { kind: "nkey"; file: string }
  | { kind: "creds"; file: string };

/** Connect options after the checks: URLs without userinfo, one kind of credentials. */
export interface ResolvedConnectOptions {
  /** The server URLs, userinfo removed: safe to print. */
  servers: string[];
  name: string | undefined;
  timeoutMs: number;
  credentials: Credentials;
  tls: TlsOptions | undefined;
  /** Every secret value given (passwords, tokens, userinfo): never to be printed. */
  secrets: string[];
}

const CREDENTIAL_OPTIONS = ["user", "pass", "token", "nkeyFile", "credsFile"] as const;
/** Options whose values are never quoted in an error. */
const SECRET_OPTIONS: ReadonlySet<string> = new Set(["pass", "token"]);

/**
 * Checks `options` and resolves the credentials. Explicit credential options
 * win: when any of `user`, `pass`, `token`, `nkeyFile` or `credsFile` is
 * given, userinfo in the URLs is ignored (and still removed).
 *
 * @throws {TypeError} naming the option, never quoting a secret
 * @throws {RangeError} for a `timeoutMs` that is not a positive number
 */
export function resolveConnectOptions(options: ConnectOptions): ResolvedConnectOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      "Cannot connect: 'target' must be connect options, a NATS connection or a Backend, " +
        `got ${describeServers(options)}`,
    );
  }
  const servers = splitServers(options.servers);
  for (const key of ["name", ...CREDENTIAL_OPTIONS] as const) checkString(key, options[key]);
  const { timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS } = options;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(
      `Cannot connect: 'timeoutMs' must be a positive number of milliseconds, got ${describe(timeoutMs)}`,
    );
  }
  const tls = checkTls(options.tls);
  const userinfos = [...new Set(servers.flatMap((server) => server.userinfo === undefined ? [] : [server.userinfo]))];
  const secrets = [options.pass, options.token, ...userinfos].filter((value) => value !== undefined && value !== "");
  const credentials = explicitCredentials(options) ?? urlCredentials(userinfos);
  if (credentials.kind === "user") secrets.push(credentials.pass);
  if (credentials.kind === "token") secrets.push(credentials.token);
  return {
    servers: servers.map((server) => server.url),
    name: options.name,
    timeoutMs,
    credentials,
    tls,
    secrets: [...new Set(secrets as string[])],
  };
}

/**
 * `url` without its userinfo: `nats://user:pass@host:4222` is
 * `nats://host:4222`. Anything else is returned as it is.
 */
export function withoutUserinfo(url: string): string {
  return splitUrl(url).url;
}

/** Who the credentials say the connection is, for messages: names, never secrets. */
export function describeCredentials(credentials: Credentials): string {
  switch (credentials.kind) {
    case "none":
      return "no credentials";
    case "user":
      return `user '${credentials.user}' and its password${credentials.fromUrl ? " (from the URL)" : ""}`;
    case "token":
      return `the token${credentials.fromUrl ? " (from the URL)" : ""}`;
    case "nkey":
      return `the nkey in ${credentials.file}`;
    case "creds":
      return `the credentials in ${credentials.file}`;
  }
}

/** `text` with every occurrence of each secret replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  const longestFirst = [...secrets].filter((secret) => secret !== "").sort((a, b) => b.length - a.length);
  return longestFirst.reduce((result, secret) => result.replaceAll(secret, "***"), text);
}

interface Server {
  url: string;
  userinfo: string | undefined;
}

function splitServers(servers: unknown): Server[] {
  const list = typeof servers === "string" ? [servers] : servers;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      `Cannot connect: 'servers' must be a URL or a non-empty list of URLs, got ${describeServers(servers)}`,
    );
  }
  return list.map((server, index) => {
    if (typeof server !== "string" || server.trim() === "") {
      throw new TypeError(`Cannot connect: 'servers' entry ${index + 1} must be a URL, got ${describeServers(server)}`);
    }
    return splitUrl(server.trim());
  });
}

/** A server value for an error message, userinfo removed; an object only by its kind, as it may hold secrets. */
function describeServers(value: unknown): string {
  if (typeof value === "string") return `'${withoutUserinfo(value)}'`;
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  return typeof value === "object" && value !== null ? "an object" : describe(value);
}

/** Splits `scheme://userinfo@host:port/...` (scheme optional) into the URL without userinfo and the userinfo. */
function splitUrl(url: string): Server {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?([^/?#]*)(.*)$/s.exec(url);
  const [scheme = "", authority = "", rest = ""] = match?.slice(1) ?? [];
  const at = authority.lastIndexOf("@");
  if (at < 0) return { url, userinfo: undefined };
  return { url: `${scheme}${authority.slice(at + 1)}${rest}`, userinfo: authority.slice(0, at) };
}

function checkString(key: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== "string") {
    const got = SECRET_OPTIONS.has(key) ? value === null ? "null" : typeof value : describe(value);
    throw new TypeError(`Cannot connect: '${key}' must be a string, got ${got}`);
  }
  if (value === "") throw new TypeError(`Cannot connect: '${key}' must not be empty`);
}

function checkTls(tls: unknown): TlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== "object" || tls === null || Array.isArray(tls)) {
    throw new TypeError(`Cannot connect: 'tls' must be an object of file paths, got ${describe(tls)}`);
  }
  const { caFile, certFile, keyFile } = tls as Record<string, unknown>;
  for (const [key, value] of Object.entries({ caFile, certFile, keyFile })) checkString(`tls.${key}`, value);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new TypeError(
      `Cannot connect: 'tls.certFile' and 'tls.keyFile' go together, got only '${
        certFile === undefined ? "tls.keyFile" : "tls.certFile"
      }'`,
    );
  }
  return {
    ...(caFile === undefined ? {} : { caFile: caFile as string }),
    ...(certFile === undefined ? {} : { certFile: certFile as string, keyFile: keyFile as string }),
  };
}

function explicitCredentials(options: ConnectOptions): Credentials | undefined {
  const { user, pass, token, nkeyFile, credsFile } = options;
  if (CREDENTIAL_OPTIONS.every((key) => options[key] === undefined)) return undefined;
  if ((user === undefined) !== (pass === undefined)) {
    throw new TypeError(
      `Cannot connect: 'user' and 'pass' go together, got only '${user === undefined ? "pass" : "user"}'`,
    );
  }
  const ways = [
    user === undefined ? [] : ["'user' and 'pass'"],
    token === undefined ? [] : ["'token'"],
    nkeyFile === undefined ? [] : ["'nkeyFile'"],
    credsFile === undefined ? [] : ["'credsFile'"],
  ].flat();
  if (ways.length > 1) {
    throw new TypeError(`Cannot connect: give one way to authenticate, got ${ways.join(" and ")}`);
  }
  if (user !== undefined && pass !== undefined) return { kind: "user", user, pass, fromUrl: false };
  if (token !== undefined) return { kind: "token", token, fromUrl: false };
  if (nkeyFile !== undefined) return { kind: "nkey", file: nkeyFile };
  return { kind: "creds", file: credsFile as string };
}

/** `user:password` or `token`, percent-decoded, from the one userinfo the URLs carry. */
function urlCredentials(userinfos: string[]): Credentials {
  if (userinfos.length === 0) return { kind: "none" };
  if (userinfos.length > 1) {
    throw new TypeError(
      "Cannot connect: the URLs in 'servers' carry different credentials; give them once, as options",
    );
  }
  const userinfo = userinfos[0] as string;
  const colon = userinfo.indexOf(":");
  const user = decodeUserinfo(colon < 0 ? userinfo : userinfo.slice(0, colon));
  if (colon < 0) {
    if (user === "") throw new TypeError("Cannot connect: the URL in 'servers' has an empty '@' part");
    return { kind: "token", token: user, fromUrl: true };
  }
  const pass = decodeUserinfo(userinfo.slice(colon + 1));
  if (user === "" || pass === "") {
    throw new TypeError(
      "Cannot connect: the URL in 'servers' needs both a user name and a password before '@' (or a token alone)",
    );
  }
  return { kind: "user", user, pass, fromUrl: true };
}

function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TypeError("Cannot connect: the credentials in the URL in 'servers' are not valid percent-encoding");
  }
}
