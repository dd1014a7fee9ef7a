/** Where the commands' credentials and TLS files come from (cli/_connect_flags.ts): flags, the file, the environment. */
import assert from "node:assert/strict";
import type { WorkerConfig } from "../../cli/_config.ts";
import { connectOptions } from "../../cli/_connect_flags.ts";

/** A configuration file that gives `settings` and nothing else. */
function file(settings: WorkerConfig["settings"]): WorkerConfig {
  return { path: "walnats.json", clocks: [], servers: undefined, settings, http: undefined, logFormat: undefined };
}

/** An environment holding `variables` and nothing else. */
function environment(variables: Record<string, string>): (name: string) => string | undefined {
  return (name) => variables[name];
}

const EVERY_VARIABLE = environment({
  NATS_USER: "env-user",
  NATS_PASSWORD: "env-password",
  NATS_TOKEN: "env-token",
  NATS_CREDS: "env.creds",
  NATS_NKEY: "env.nk",
});

Deno.test("connectOptions() takes each setting from its flag, else the file, else its variable", () => {
  const noFile = undefined;
  const password = environment({ NATS_PASSWORD: "env-password" });
  assert.deepEqual(connectOptions({ user: "alice" }, noFile, password), { user: "alice", pass: "env-password" });
  const user = environment({ NATS_USER: "env-user" });
  assert.deepEqual(connectOptions({ password: "flag-password" }, noFile, user), {
    user: "env-user",
    pass: "flag-password",
  });
  assert.deepEqual(connectOptions({ user: "alice" }, file({ password: "file-password" }), EVERY_VARIABLE), {
    user: "alice",
    pass: "file-password",
  });
  assert.deepEqual(connectOptions({}, file({ user: "bob" }), EVERY_VARIABLE), { user: "bob", pass: "env-password" });
  assert.deepEqual(
    connectOptions(
      { user: "alice", password: "flag-password" },
      file({ user: "bob", password: "file-password" }),
      EVERY_VARIABLE,
    ),
    { user: "alice", pass: "flag-password" },
  );
  const tls = environment({ NATS_CA: "env-ca.pem", NATS_KEY: "env-key.pem" });
  assert.deepEqual(connectOptions({ tlscert: "cert.pem" }, file({ tlsca: "file-ca.pem" }), tls), {
    tls: { caFile: "file-ca.pem", certFile: "cert.pem", keyFile: "env-key.pem" },
  });
});

Deno.test("connectOptions() reads no variable of another kind of credentials than the flags or the file give", () => {
  assert.deepEqual(connectOptions({ creds: "clock.creds" }, undefined, EVERY_VARIABLE), { credsFile: "clock.creds" });
  assert.deepEqual(connectOptions({ token: "flag-token" }, undefined, EVERY_VARIABLE), { token: "flag-token" });
  assert.deepEqual(connectOptions({ user: "alice" }, undefined, EVERY_VARIABLE), {
    user: "alice",
    pass: "env-password",
  });
  assert.deepEqual(connectOptions({}, file({ nkey: "file.nk" }), EVERY_VARIABLE), { nkeyFile: "file.nk" });
  assert.deepEqual(connectOptions({}, file({ password: "file-password" }), EVERY_VARIABLE), {
    user: "env-user",
    pass: "file-password",
  });
  // The flags decide over the file as the file decides over the environment.
  assert.deepEqual(connectOptions({ token: "flag-token" }, file({ creds: "file.creds" }), EVERY_VARIABLE), {
    token: "flag-token",
  });
  const tokenOnly = environment({ NATS_TOKEN: "env-token" });
  assert.deepEqual(connectOptions({}, undefined, tokenOnly), { token: "env-token" });
  assert.deepEqual(connectOptions({}, undefined, environment({})), {});
});

Deno.test("connectOptions() refuses a half pair and two ways to log in, naming where each came from, never a value", () => {
  const cases: [Record<string, string>, WorkerConfig | undefined, Record<string, string>, string][] = [
    [{ user: "alice" }, undefined, { NATS_TOKEN: "env-token" }, "--user needs --password (or NATS_PASSWORD)"],
    [{}, file({ password: "file-password" }), {}, "'password' in walnats.json needs --user (or NATS_USER)"],
    [{}, undefined, { NATS_USER: "env-user" }, "NATS_USER needs --password (or NATS_PASSWORD)"],
    [{ token: "flag-token", nkey: "x.nk" }, undefined, {}, "Give one way to authenticate, got --token and --nkey"],
    [
      {},
      file({ user: "bob", creds: "file.creds" }),
      { NATS_PASSWORD: "env-password" },
      "Give one way to authenticate, got 'user' in walnats.json and NATS_PASSWORD and 'creds' in walnats.json",
    ],
    [
      {},
      undefined,
      { NATS_TOKEN: "env-token", NATS_CREDS: "env.creds" },
      "Give one way to authenticate, got NATS_TOKEN and NATS_CREDS",
    ],
    [{ tlskey: "key.pem" }, undefined, {}, "--tlskey needs --tlscert (or NATS_CERT)"],
  ];
  for (const [flags, config, variables, message] of cases) {
    assert.throws(() => connectOptions(flags, config, environment(variables)), { name: "TypeError", message });
  }
});
