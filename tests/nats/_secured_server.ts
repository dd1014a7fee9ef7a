/**
 * nats-servers that require credentials or TLS, and the secrets they need,
 * all made by the test in a temp dir: passwords and tokens, an nkey pair,
 * an operator with an account and a user (JWTs and a creds file), a private
 * CA with server and client certificates (by `openssl`).
 *
 * @module
 */
// deno-lint-ignore no-import-prefix -- development-only: kept out of deno.json and deno.lock (see deno.dev.lock)
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from "npm:@nats-io/jwt@^0.0.11";
import { createUser as createUserKeys } from "@nats-io/nkeys";
import { type NatsServer, startNatsServer } from "../../cli/_nats_server.ts";

/** A running nats-server with a config file, and the temp dir of its files; disposing stops it and removes the dir. */
export interface SecuredServer extends AsyncDisposable {
  readonly server: NatsServer;
  /** `nats://127.0.0.1:PORT`, no credentials. */
  readonly url: string;
  readonly dir: string;
}

/** A temp dir removed on dispose. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "walnats-clock-auth-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/**
 * Starts nats-server (JetStream on, free loopback port) with `config` as its
 * config file, written to `dir`. The server is ready when this resolves.
 */
export async function startSecuredServer(dir: string, config: string): Promise<SecuredServer> {
  const file = `${dir}/server.conf`;
  await Deno.writeTextFile(file, config);
  const server = await startNatsServer({ args: ["-c", file] });
  return { server, url: server.url, dir, [Symbol.asyncDispose]: () => server.stop() };
}

/** A random secret of letters and digits that appears in no other text by chance. */
export function secret(label: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${label}${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** An nkey user: the seed file the client reads and the public key the server knows. */
export async function nkeyUser(dir: string): Promise<{ seedFile: string; seed: string; publicKey: string }> {
  const keys = createUserKeys();
  const seed = new TextDecoder().decode(keys.getSeed());
  const seedFile = `${dir}/user.nk`;
  await Deno.writeTextFile(seedFile, `${seed}\n`);
  return { seedFile, seed, publicKey: keys.getPublicKey() };
}

/** Operator mode: the server's config lines, and a user's creds file with its JWT and seed. */
export interface Operator {
  /** `operator`, `system_account`, `resolver: MEMORY` and `resolver_preload`. */
  config: string;
  credsFile: string;
  userJwt: string;
  userSeed: string;
  /** Another user's creds, signed by an account the server does not know. */
  strangerCredsFile: string;
  strangerSecrets: string[];
}

/** An operator, a system account, an account with JetStream and a user in it. */
export async function operatorMode(dir: string): Promise<Operator> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const operatorJwt = await encodeOperator("walnats-test", operator, { system_account: system.getPublicKey() });
  const systemJwt = await encodeAccount("SYS", system, {}, { signer: operator });
  // Unlimited, JetStream included: a limit left out of an account JWT is 0.
  const limits = {
    subs: -1,
    conn: -1,
    leaf: -1,
    imports: -1,
    exports: -1,
    data: -1,
    payload: -1,
    wildcards: true,
    mem_storage: -1,
    disk_storage: -1,
    streams: -1,
    consumer: -1,
  };
  const accountJwt = await encodeAccount("CLOCKS", account, { limits }, { signer: operator });
  const user = await creds(dir, "clock", account);
  const stranger = await creds(dir, "stranger", createAccount());
  const config = [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    "resolver: MEMORY",
    "resolver_preload: {",
    `  ${system.getPublicKey()}: ${systemJwt}`,
    `  ${account.getPublicKey()}: ${accountJwt}`,
    "}",
  ].join("\n");
  return {
    config,
    credsFile: user.file,
    userJwt: user.jwt,
    userSeed: user.seed,
    strangerCredsFile: stranger.file,
    strangerSecrets: [stranger.jwt, stranger.seed],
  };
}

async function creds(dir: string, name: string, account: ReturnType<typeof createAccount>) {
  const keys = createUser();
  const jwt = await encodeUser(name, keys, account);
  const file = `${dir}/${name}.creds`;
  await Deno.writeFile(file, fmtCreds(jwt, keys));
  return { file, jwt, seed: new TextDecoder().decode(keys.getSeed()) };
}

/** PEM files of a private CA, a server certificate for 127.0.0.1 and localhost, and client certificates. */
export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting only it, the client refuses the server. */
  otherCa: string;
  /** A client certificate signed by the other CA: the server refuses it. */
  strangerCert: string;
  strangerKey: string;
}

/** Makes a CA, a server and a client certificate (and a stranger's) with `openssl` in `dir`. */
export async function tlsFiles(dir: string): Promise<TlsFiles> {
  const file = (name: string) => `${dir}/${name}`;
  await makeCa(file("ca"));
  await makeCa(file("other-ca"));
  await makeCert(file("server"), file("ca"), "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  await makeCert(file("client"), file("ca"), "clock", "extendedKeyUsage=clientAuth");
  await makeCert(file("stranger"), file("other-ca"), "stranger", "extendedKeyUsage=clientAuth");
  return {
    ca: file("ca.pem"),
    serverCert: file("server.pem"),
    serverKey: file("server-key.pem"),
    clientCert: file("client.pem"),
    clientKey: file("client-key.pem"),
    otherCa: file("other-ca.pem"),
    strangerCert: file("stranger.pem"),
    strangerKey: file("stranger-key.pem"),
  };
}

async function makeCa(base: string): Promise<void> {
  await openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=walnats test CA"],
    ["-keyout", `${base}-key.pem`, "-out", `${base}.pem`],
  );
}

async function makeCert(base: string, ca: string, name: string, extension: string): Promise<void> {
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`], [
    "-keyout",
    `${base}-key.pem`,
    "-out",
    `${base}.csr`,
  ]);
  await Deno.writeTextFile(`${base}.ext`, `${extension}\n`);
  await openssl(["x509", "-req", "-days", "2", "-CAcreateserial", "-extfile", `${base}.ext`], [
    "-in",
    `${base}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}-key.pem`,
    "-out",
    `${base}.pem`,
  ]);
}

async function openssl(...args: string[][]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", { args: args.flat(), stdout: "null", stderr: "piped" })
    .output();
  if (code !== 0) throw new Error(`openssl ${args.flat()[0]} failed: ${new TextDecoder().decode(stderr)}`);
}

/** The server's `tls {}` block: its certificate, and with `verify` the CA its clients' certificates must come from. */
export function tlsConfig(files: TlsFiles, verify: boolean): string {
  return [
    "tls {",
    `  cert_file: "${files.serverCert}"`,
    `  key_file: "${files.serverKey}"`,
    ...(verify ? [`  ca_file: "${files.ca}"`, "  verify: true"] : []),
    "}",
  ].join("\n");
}

/** Fails when any of `texts` contains any of `secrets`, naming which text (never printing the secret). */
export function assertNoSecret(texts: Record<string, string>, secrets: readonly string[]): void {
  for (const [what, text] of Object.entries(texts)) {
    for (const [index, value] of secrets.entries()) {
      if (value !== "" && text.includes(value)) {
        throw new Error(`${what} contains secret number ${index + 1} (of ${secrets.length})`);
      }
    }
  }
}
