/**
 * The flags that say how a command connects, shared by `deno task run`
 * (cli/main.ts) and `deno task schedules` (cli/schedules.ts): `--server`,
 * the credentials and TLS flags named as the `nats` command names them, and
 * the environment variables they default to. Also the small value parsers
 * both commands use (`--meta KEY=VALUE`, numbers).
 *
 * @module
 */
import type { ConnectOptions, TlsOptions } from "../src/nats/connect.ts";
import type { WorkerConfig } from "./_config.ts";

/** The credential flags, named as the `nats` command names them. */
export const CREDENTIAL_FLAGS = ["user", "password", "token", "creds", "nkey"] as const;
/** Every flag that says how to connect, besides `--server`. */
export const CONNECT_FLAGS = [...CREDENTIAL_FLAGS, "tlsca", "tlscert", "tlskey"] as const;

/** The `parseArgs` options of `--server` and the connect flags. */
export const CONNECT_ARG_OPTIONS = {
  server: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  token: { type: "string" },
  creds: { type: "string" },
  nkey: { type: "string" },
  tlsca: { type: "string" },
  tlscert: { type: "string" },
  tlskey: { type: "string" },
} as const;

/** The usage lines of the credentials and TLS flags. */
export const CONNECT_USAGE = `Credentials and TLS, named as the nats command names them; each defaults to
the environment variable in brackets, and flags win over the environment:
  --user NAME        user name, with --password                  [NATS_USER]
  --password SECRET  password, with --user                   [NATS_PASSWORD]
  --token SECRET     authentication token                       [NATS_TOKEN]
  --creds FILE       user JWT and seed (operator mode)          [NATS_CREDS]
  --nkey FILE        a file holding a user nkey seed             [NATS_NKEY]
  --tlsca FILE       CA certificate to trust for the server        [NATS_CA]
  --tlscert FILE     client certificate, with --tlskey           [NATS_CERT]
  --tlskey FILE      the client certificate's private key         [NATS_KEY]
Give one of user and password, token, creds or nkey; without any, the
user:password@ or token@ of the URL is used. Secrets are never printed, but
flags show in the process list: pass passwords and tokens in the environment.`;

/** The servers of `--server`, else of the configuration file, else of `NATS_URL`, split at commas; undefined for none. */
export function serversOf(server: string | undefined, config?: WorkerConfig): string[] | undefined {
  const list = server ?? config?.servers?.join(",") ?? env("NATS_URL");
  return list?.split(",").map((url) => url.trim()).filter((url) => url !== "");
}

/** The first connect flag given on the command line or in the configuration file, as a message names it. */
export function givenConnectFlag(flags: Record<string, unknown>, config?: WorkerConfig): string | undefined {
  const flag = CONNECT_FLAGS.find((name) => typeof flags[name] === "string");
  const inFile = CONNECT_FLAGS.find((name) => config?.settings[name] !== undefined);
  return flag === undefined ? inFile === undefined ? undefined : `'${inFile}' in ${config?.path}` : `--${flag}`;
}

/** A value of a flag or an environment variable, and which one it came from. */
interface Setting {
  value: string;
  from: string;
}

/**
 * Credentials from the flags when any credential flag is given, else from the
 * configuration file when it gives any, else from the environment; each TLS
 * file from its flag, else the configuration file, else its variable.
 *
 * @throws {TypeError} for a half pair (user without password, certificate without key) or two ways to authenticate
 */
export function connectOptions(
  flags: Record<string, unknown>,
  config?: WorkerConfig,
): Omit<ConnectOptions, "servers"> {
  type Source = "flag" | "file" | "env";
  const fileSettings: Partial<Record<string, string>> = config?.settings ?? {};
  const sourceOf = (names: readonly string[]): Source =>
    names.some((name) => typeof flags[name] === "string")
      ? "flag"
      : names.some((name) => fileSettings[name] !== undefined)
      ? "file"
      : "env";
  const credentialSource = sourceOf(CREDENTIAL_FLAGS);
  const setting = (flag: string, variable: string, source: Source): Setting | undefined => {
    const value = source === "flag" ? flags[flag] : source === "file" ? fileSettings[flag] : env(variable);
    const from = source === "flag" ? `--${flag}` : source === "file" ? `'${flag}' in ${config?.path}` : variable;
    return typeof value === "string" ? { value, from } : undefined;
  };
  const credential = (flag: string, variable: string) => setting(flag, variable, credentialSource);
  const file = (flag: string, variable: string) => setting(flag, variable, sourceOf([flag]));
  const user = credential("user", "NATS_USER");
  const password = credential("password", "NATS_PASSWORD");
  const token = credential("token", "NATS_TOKEN");
  const creds = credential("creds", "NATS_CREDS");
  const nkey = credential("nkey", "NATS_NKEY");
  const ca = file("tlsca", "NATS_CA");
  const cert = file("tlscert", "NATS_CERT");
  const key = file("tlskey", "NATS_KEY");
  together(user, password, "--password (or NATS_PASSWORD)", "--user (or NATS_USER)");
  together(cert, key, "--tlskey (or NATS_KEY)", "--tlscert (or NATS_CERT)");
  const ways = [
    user === undefined ? [] : [`${user.from} and ${password?.from}`],
    [token, creds, nkey].flatMap((way) => way === undefined ? [] : [way.from]),
  ].flat();
  if (ways.length > 1) throw new TypeError(`Give one way to authenticate, got ${ways.join(" and ")}`);
  const tls: TlsOptions = {
    ...(ca === undefined ? {} : { caFile: ca.value }),
    ...(cert === undefined || key === undefined ? {} : { certFile: cert.value, keyFile: key.value }),
  };
  return {
    ...(user === undefined || password === undefined ? {} : { user: user.value, pass: password.value }),
    ...(token === undefined ? {} : { token: token.value }),
    ...(creds === undefined ? {} : { credsFile: creds.value }),
    ...(nkey === undefined ? {} : { nkeyFile: nkey.value }),
    ...(Object.keys(tls).length === 0 ? {} : { tls }),
  };
}

/** Throws unless both settings are given or neither. */
function together(a: Setting | undefined, b: Setting | undefined, bName: string, aName: string): void {
  if (a !== undefined && b === undefined) throw new TypeError(`${a.from} needs ${bName}`);
  if (b !== undefined && a === undefined) throw new TypeError(`${b.from} needs ${aName}`);
}

/** An environment variable; empty counts as unset. */
export function env(name: string): string | undefined {
  return Deno.env.get(name) || undefined;
}

/**
 * The headers of repeated `--meta KEY=VALUE` flags.
 *
 * @throws {TypeError} for a pair without `=` or without a key
 */
export function metaOf(pairs: readonly string[] | undefined): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new TypeError(`--meta must be KEY=VALUE, got '${pair}'`);
    meta[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return meta;
}

/**
 * A flag's number.
 *
 * @throws {RangeError} when the text is not a number
 */
export function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) throw new RangeError(`${flag} must be a number, got '${text}'`);
  return value;
}
