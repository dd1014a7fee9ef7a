/**
 * The flags that say how a command connects, shared by `deno task run`
 * (cli/main.ts) and `deno task schedules` (cli/schedules.ts): `--server`,
 * the credentials and TLS flags named as the `nats` command names them, and
 * the environment variables they default to ({@link connectOptions} says
 * which place wins). Also the small value parsers both commands use
 * (`--meta KEY=VALUE`, numbers).
 *
 * @module
 */
import type { ConnectOptions, TlsOptions } from "../src/nats/connect_options.ts";
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
the environment variable in brackets (deno task run reads its --config file
first):
  --user NAME        user name, with --password                  [NATS_USER]
  --password SECRET  password, with --user                   [NATS_PASSWORD]
  --token SECRET     authentication token                       [NATS_TOKEN]
  --creds FILE       user JWT and seed (operator mode)          [NATS_CREDS]
  --nkey FILE        a file holding a user nkey seed             [NATS_NKEY]
  --tlsca FILE       CA certificate to trust for the server        [NATS_CA]
  --tlscert FILE     client certificate, with --tlskey           [NATS_CERT]
  --tlskey FILE      the client certificate's private key         [NATS_KEY]
Give one way to log in: user and password, token, creds or nkey. The flags
(else the file) that give one decide which, and the variables of the other
ways are not read: --user with NATS_PASSWORD works, and --creds ignores an
exported NATS_TOKEN. With none of them, the user:password@ or token@ of the
URL is used. Secrets are never printed, but flags show in the process list:
pass passwords and tokens in the environment.`;

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

/** A value of a flag, the configuration file or an environment variable, and which one it came from. */
interface Setting {
  value: string;
  from: string;
}

/** The environment variable each connect flag defaults to. */
const VARIABLES: Readonly<Record<typeof CONNECT_FLAGS[number], string>> = {
  user: "NATS_USER",
  password: "NATS_PASSWORD",
  token: "NATS_TOKEN",
  creds: "NATS_CREDS",
  nkey: "NATS_NKEY",
  tlsca: "NATS_CA",
  tlscert: "NATS_CERT",
  tlskey: "NATS_KEY",
};

/** The kinds of credentials, each one way to log in, by the flags that give it. */
const CREDENTIAL_KINDS: readonly (readonly typeof CREDENTIAL_FLAGS[number][])[] = [
  ["user", "password"],
  ["token"],
  ["creds"],
  ["nkey"],
];

/**
 * How the command connects: each setting from its flag, else the
 * configuration file, else its environment variable. The first of the three
 * that gives any credential decides the kind (user and password, token,
 * creds or nkey): the variables of the other kinds are not read then, so an
 * exported `NATS_TOKEN` does not add a second way to log in to `--creds`,
 * and `--user` with `NATS_PASSWORD` is one way.
 *
 * @param flags the parsed flags, by name
 * @param config the configuration file, when one is given
 * @param variable reads an environment variable (default: the process's, empty counting as unset)
 * @returns the connect options, without the servers
 * @throws {TypeError} for a half pair (user without password, certificate without key) or two ways to log in; the
 *   message names the flags, fields and variables, never a value
 * @example The user name from a flag, the password from the environment
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectOptions } from "./_connect_flags.ts";
 *
 * const variables: Record<string, string> = { NATS_PASSWORD: "s3cret", NATS_TOKEN: "t0ken" };
 * const options = connectOptions({ user: "alice" }, undefined, (name) => variables[name]);
 * assert.deepEqual(options, { user: "alice", pass: "s3cret" });
 * ```
 */
export function connectOptions(
  flags: Record<string, unknown>,
  config?: WorkerConfig,
  variable: (name: string) => string | undefined = env,
): Omit<ConnectOptions, "servers"> {
  type Place = (name: typeof CONNECT_FLAGS[number]) => Setting | undefined;
  const flag: Place = (name) => {
    const value = flags[name];
    return typeof value === "string" ? { value, from: `--${name}` } : undefined;
  };
  const file: Place = (name) => {
    const value = config?.settings[name];
    return value === undefined ? undefined : { value, from: `'${name}' in ${config?.path}` };
  };
  const environment: Place = (name) => {
    const value = variable(VARIABLES[name]);
    return value === undefined ? undefined : { value, from: VARIABLES[name] };
  };
  const places = [flag, file, environment];
  const first = (name: typeof CONNECT_FLAGS[number]) =>
    places.reduce<Setting | undefined>((found, place) => found ?? place(name), undefined);
  const deciding = places.find((place) => CREDENTIAL_FLAGS.some((name) => place(name) !== undefined));
  const kinds = CREDENTIAL_KINDS.filter((kind) => kind.some((name) => deciding?.(name) !== undefined));
  const credential = (name: typeof CREDENTIAL_FLAGS[number]) =>
    kinds.some((kind) => kind.includes(name)) ? first(name) : undefined;
  const user = credential("user");
  const password = credential("password");
  const token = credential("token");
  const creds = credential("creds");
  const nkey = credential("nkey");
  const ca = first("tlsca");
  const cert = first("tlscert");
  const key = first("tlskey");
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
