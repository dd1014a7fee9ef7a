/**
 * The command (`deno task run`) against servers that require credentials or
 * TLS: flags named as the `nats` command names them, its environment
 * variables, userinfo in the URL. A tick it emits reaches an actor connected
 * through the library, and no secret shows in anything it prints.
 */
import assert from "node:assert/strict";
import type { ConnectOptions } from "../../mod.ts";
import { clockOf, registerActor } from "./_auth_flow.ts";
import {
  assertNoSecret,
  nkeyUser,
  operatorMode,
  secret,
  startSecuredServer,
  tempDir,
  tlsConfig,
  tlsFiles,
} from "./_secured_server.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const TICK_LINE = /^(\S+\+00:00) {2}emitted +lag \d+ ms {2}seq \d+$/;
/** Longest wait for the command's first tick line. */
const FIRST_TICK_TIMEOUT_MS = 30_000;

/** The command's environment: none of the caller's NATS_* variables, plus `env`. */
function commandEnv(env: Record<string, string>): Record<string, string> {
  const clean = Object.fromEntries(Object.entries(Deno.env.toObject()).filter(([name]) => !name.startsWith("NATS_")));
  return { ...clean, NO_COLOR: "1", ...env };
}

/** Runs the command until it printed a tick line (then SIGTERM), or until it exits by itself. */
async function runCommand(args: string[], env: Record<string, string>, untilTick: boolean) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: commandEnv(env),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const timer = setTimeout(() => child.kill("SIGKILL"), FIRST_TICK_TIMEOUT_MS);
  const lines: string[] = [];
  let tick: number | undefined;
  let rest = "";
  try {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        const match = TICK_LINE.exec(line);
        if (untilTick && match && tick === undefined) {
          tick = Date.parse(match[1]!);
          clearTimeout(timer);
          child.kill("SIGTERM");
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (rest !== "") lines.push(rest);
  const { code } = await child.status;
  return { code, out: lines.join("\n"), err: await stderr, tick };
}

/**
 * The command connects with `args` and `env`, emits a tick, and an actor
 * connected with `target` handles it; nothing printed holds a secret.
 */
async function assertCommandTickReachesActor(
  options: { args: string[]; env?: Record<string, string>; target: ConnectOptions; event: string; secrets: string[] },
): Promise<string> {
  const clock = clockOf(options.event);
  await using actor = await registerActor(options.target, clock);
  const run = await runCommand(["--period", "1", "--event", options.event, ...options.args], options.env ?? {}, true);
  assert.equal(run.code, 0, `exit code ${run.code}\n${run.out}\n${run.err}`);
  assert.ok(run.tick !== undefined, run.out);
  assert.ok((await actor.drain()).includes(run.tick), `the actor did not get ${new Date(run.tick).toISOString()}`);
  assertNoSecret({ stdout: run.out, stderr: run.err }, options.secrets);
  return run.out;
}

/** The command exits with `code`; returns its stderr, checked for secrets. */
async function assertCommandFails(
  args: string[],
  env: Record<string, string>,
  code: number,
  secrets: string[],
): Promise<string> {
  const run = await runCommand(["--period", "1", "--event", "refused", ...args], env, false);
  assert.equal(run.code, code, `exit code ${run.code}\n${run.out}\n${run.err}`);
  assertNoSecret({ stdout: run.out, stderr: run.err }, secrets);
  return run.err;
}

Deno.test("deno task run with --user and --password, NATS_USER and NATS_PASSWORD, a mix, or the URL; never printing them", async () => {
  await using dir = await tempDir();
  const password = secret("pw");
  const wrong = secret("wrong");
  await using nats = await startSecuredServer(
    dir.path,
    `authorization { users: [{ user: clock, password: ${password} }] }`,
  );
  const url = nats.url;
  const target = { servers: url, user: "clock", pass: password };
  const secrets = [password, wrong];

  const out = await assertCommandTickReachesActor({
    args: ["--server", url, "--user", "clock", "--password", password],
    target,
    event: "cli-user-flags",
    secrets,
  });
  assert.ok(out.includes(`on ${url} (user 'clock' and its password)`), out);
  await assertCommandTickReachesActor({
    args: [],
    env: { NATS_URL: url, NATS_USER: "clock", NATS_PASSWORD: password },
    target,
    event: "cli-user-env",
    secrets,
  });
  await assertCommandTickReachesActor({
    args: ["--server", url.replace("nats://", `nats://clock:${password}@`)],
    target,
    event: "cli-user-url",
    secrets,
  });
  // Flags win over the environment.
  await assertCommandTickReachesActor({
    args: ["--server", url, "--user", "clock", "--password", password],
    env: { NATS_USER: "someone", NATS_PASSWORD: wrong, NATS_TOKEN: wrong },
    target,
    event: "cli-user-flags-win",
    secrets,
  });

  // An exported token or creds file is another kind of credentials than --user's: not a second way to log in.
  const mixed = await assertCommandTickReachesActor({
    args: ["--server", url, "--user", "clock"],
    env: { NATS_PASSWORD: password, NATS_TOKEN: wrong, NATS_CREDS: `${dir.path}/missing.creds` },
    target,
    event: "cli-user-flag-password-env",
    secrets,
  });
  assert.ok(mixed.includes(`on ${url} (user 'clock' and its password)`), mixed);
  await assertCommandTickReachesActor({
    args: ["--server", url, "--password", password],
    env: { NATS_USER: "clock", NATS_NKEY: `${dir.path}/missing.nk` },
    target,
    event: "cli-user-env-password-flag",
    secrets,
  });

  const refused = await assertCommandFails(["--server", url, "--user", "clock", "--password", wrong], {}, 1, secrets);
  assert.ok(refused.includes(`Cannot connect to NATS at ${url}: the server refused user 'clock'`), refused);
  await assertCommandFails([], { NATS_URL: url.replace("nats://", `nats://clock:${wrong}@`) }, 1, secrets);
  const none = await assertCommandFails(["--server", url], {}, 1, secrets);
  assert.match(none, /requires credentials/);
});

Deno.test("deno task run with --token, NATS_TOKEN or token@ in the URL; never printing it", async () => {
  await using dir = await tempDir();
  const token = secret("token");
  const wrong = secret("wrong");
  await using nats = await startSecuredServer(dir.path, `authorization { token: ${token} }`);
  const url = nats.url;
  const target = { servers: url, token };
  const secrets = [token, wrong];

  await assertCommandTickReachesActor({
    args: ["--server", url, "--token", token],
    target,
    event: "cli-token",
    secrets,
  });
  await assertCommandTickReachesActor({
    args: [],
    env: { NATS_URL: url, NATS_TOKEN: token },
    target,
    event: "cli-token-env",
    secrets,
  });
  await assertCommandTickReachesActor({
    args: ["--server", url.replace("nats://", `nats://${token}@`)],
    target,
    event: "cli-token-url",
    secrets,
  });

  const refused = await assertCommandFails(["--server", url], { NATS_TOKEN: wrong }, 1, secrets);
  assert.match(refused, /refused the token/);
});

Deno.test("deno task run with --nkey and --creds (NATS_NKEY, NATS_CREDS); never printing seeds or JWTs", async () => {
  await using dir = await tempDir();
  const nkey = await nkeyUser(dir.path);
  await using nkeyServer = await startSecuredServer(dir.path, `authorization { users: [{ nkey: ${nkey.publicKey} }] }`);
  await assertCommandTickReachesActor({
    args: ["--server", nkeyServer.url, "--nkey", nkey.seedFile],
    target: { servers: nkeyServer.url, nkeyFile: nkey.seedFile },
    event: "cli-nkey",
    secrets: [nkey.seed],
  });

  await using operatorDir = await tempDir();
  const operator = await operatorMode(operatorDir.path);
  await using credsServer = await startSecuredServer(operatorDir.path, operator.config);
  const secrets = [operator.userJwt, operator.userSeed, ...operator.strangerSecrets];
  await assertCommandTickReachesActor({
    args: [],
    env: { NATS_URL: credsServer.url, NATS_CREDS: operator.credsFile },
    target: { servers: credsServer.url, credsFile: operator.credsFile },
    event: "cli-creds",
    secrets,
  });
  const refused = await assertCommandFails(
    ["--server", credsServer.url, "--creds", operator.strangerCredsFile],
    {},
    1,
    secrets,
  );
  assert.ok(refused.includes(`refused the credentials in ${operator.strangerCredsFile}`), refused);
});

Deno.test("deno task run with --tlsca (NATS_CA), and --tlscert and --tlskey (NATS_CERT, NATS_KEY) for mutual TLS", async () => {
  await using dir = await tempDir();
  const files = await tlsFiles(dir.path);
  await using tlsServer = await startSecuredServer(dir.path, tlsConfig(files, false));
  const target = { servers: tlsServer.url, tls: { caFile: files.ca } };
  const out = await assertCommandTickReachesActor({
    args: ["--server", tlsServer.url, "--tlsca", files.ca],
    target,
    event: "cli-tls",
    secrets: [],
  });
  assert.ok(out.includes(`on ${tlsServer.url} (TLS)`), out);
  await assertCommandTickReachesActor({
    args: [],
    env: { NATS_URL: tlsServer.url, NATS_CA: files.ca },
    target,
    event: "cli-tls-env",
    secrets: [],
  });
  const untrusted = await assertCommandFails(["--server", tlsServer.url], {}, 1, []);
  assert.match(untrusted, /Cannot connect to NATS at .*tls\.caFile/);

  await using mutualDir = await tempDir();
  const mutual = await tlsFiles(mutualDir.path);
  await using mutualServer = await startSecuredServer(mutualDir.path, tlsConfig(mutual, true));
  const client = { caFile: mutual.ca, certFile: mutual.clientCert, keyFile: mutual.clientKey };
  await assertCommandTickReachesActor({
    args: ["--server", mutualServer.url, "--tlsca", mutual.ca, "--tlscert", mutual.clientCert],
    env: { NATS_KEY: mutual.clientKey },
    target: { servers: mutualServer.url, tls: client },
    event: "cli-mtls",
    secrets: [],
  });
});

Deno.test("deno task run exits 2 for credentials without a server, a half pair, or two ways to authenticate", async () => {
  const server = ["--server", "nats://127.0.0.1:1"];
  const password = secret("pw");
  const embedded = await assertCommandFails(["--user", "clock", "--password", password], {}, 2, [password]);
  assert.match(embedded, /--user needs --server or NATS_URL/);
  const half = await assertCommandFails([...server, "--password", password], {}, 2, [password]);
  assert.match(half, /--password needs --user \(or NATS_USER\)/);
  const halfEnv = await assertCommandFails(server, { NATS_USER: "clock" }, 2, []);
  assert.match(halfEnv, /NATS_USER needs --password \(or NATS_PASSWORD\)/);
  const two = await assertCommandFails([...server, "--token", password, "--nkey", "x.nk"], {}, 2, [password]);
  assert.match(two, /Give one way to authenticate, got --token and --nkey/);
  const key = await assertCommandFails([...server, "--tlscert", "client.pem"], {}, 2, []);
  assert.match(key, /--tlscert needs --tlskey \(or NATS_KEY\)/);
});
