/**
 * Every way a production nats-server authenticates, through the library:
 * user and password, token, nkey, creds (operator mode), TLS with a private
 * CA, mutual TLS. In each: a tick reaches an actor, and wrong credentials fail
 * with a code, naming the server and quoting no secret.
 */
import assert from "node:assert/strict";
import { ErrorCode } from "../../mod.ts";
import { assertRefused, assertTickReachesActor } from "./_auth_flow.ts";
import { nkeyUser, operatorMode, secret, startSecuredServer, tempDir, tlsConfig, tlsFiles } from "./_secured_server.ts";

const AUTHENTICATION_FAILED = ErrorCode.AuthenticationFailed;
const CONNECTION_FAILED = ErrorCode.ConnectionFailed;

/** `nats://userinfo@127.0.0.1:PORT` from `nats://127.0.0.1:PORT`. */
function withUserinfo(url: string, userinfo: string): string {
  return url.replace("nats://", `nats://${userinfo}@`);
}

Deno.test("connect() with user and pass, as options or in the URL, and AUTHENTICATION_FAILED without a secret", async () => {
  await using dir = await tempDir();
  // Characters a URL must percent-encode, so that the userinfo is decoded.
  const password = `${secret("pw")}@:/%`;
  const wrong = secret("wrong");
  await using nats = await startSecuredServer(
    dir.path,
    `authorization { users: [{ user: clock, password: ${JSON.stringify(password)} }] }`,
  );
  const secrets = [password, encodeURIComponent(password), wrong];
  const url = nats.url;

  await assertTickReachesActor({ servers: url, user: "clock", pass: password }, "user-options");
  await assertTickReachesActor({ servers: withUserinfo(url, `clock:${encodeURIComponent(password)}`) }, "user-url");
  // Options win over the URL's userinfo.
  await assertTickReachesActor(
    { servers: withUserinfo(url, `clock:${wrong}`), user: "clock", pass: password },
    "user-options-win",
  );

  const refused = await assertRefused(
    { servers: url, user: "clock", pass: wrong },
    AUTHENTICATION_FAILED,
    url,
    secrets,
  );
  assert.match(refused, /refused user 'clock'/);
  await assertRefused({ servers: withUserinfo(url, `clock:${wrong}`) }, AUTHENTICATION_FAILED, url, secrets);
  await assertRefused({ servers: withUserinfo(url, wrong) }, AUTHENTICATION_FAILED, url, secrets);
  const none = await assertRefused({ servers: url }, AUTHENTICATION_FAILED, url, secrets);
  assert.match(none, /requires credentials/);
});

Deno.test("connect() with a token, as an option or in the URL, and AUTHENTICATION_FAILED without a secret", async () => {
  await using dir = await tempDir();
  const token = secret("token");
  const wrong = secret("wrong");
  await using nats = await startSecuredServer(dir.path, `authorization { token: ${JSON.stringify(token)} }`);
  const secrets = [token, wrong];
  const url = nats.url;

  await assertTickReachesActor({ servers: url, token }, "token-options");
  await assertTickReachesActor({ servers: withUserinfo(url, token) }, "token-url");

  const refused = await assertRefused({ servers: url, token: wrong }, AUTHENTICATION_FAILED, url, secrets);
  assert.match(refused, /refused the token/);
  await assertRefused({ servers: withUserinfo(url, wrong) }, AUTHENTICATION_FAILED, url, secrets);
  await assertRefused({ servers: url, user: "clock", pass: token }, AUTHENTICATION_FAILED, url, secrets);
});

Deno.test("connect() with an nkey seed file, and AUTHENTICATION_FAILED or a named file without a secret", async () => {
  await using dir = await tempDir();
  const known = await nkeyUser(dir.path);
  await using strangerDir = await tempDir();
  const stranger = await nkeyUser(strangerDir.path);
  await using nats = await startSecuredServer(dir.path, `authorization { users: [{ nkey: ${known.publicKey} }] }`);
  const secrets = [known.seed, stranger.seed];
  const url = nats.url;

  await assertTickReachesActor({ servers: url, nkeyFile: known.seedFile }, "nkey");

  const refused = await assertRefused(
    { servers: url, nkeyFile: stranger.seedFile },
    AUTHENTICATION_FAILED,
    url,
    secrets,
  );
  assert.ok(refused.includes(`the nkey in ${stranger.seedFile}`), refused);
  const missing = await assertRefused(
    { servers: url, nkeyFile: `${dir.path}/missing.nk` },
    CONNECTION_FAILED,
    url,
    secrets,
  );
  assert.ok(missing.includes(`cannot read 'nkeyFile' ${dir.path}/missing.nk (ENOENT)`), missing);
  const notASeed = `${dir.path}/not-a-seed.nk`;
  await Deno.writeTextFile(notASeed, `${known.publicKey}\n`);
  const wrongFile = await assertRefused({ servers: url, nkeyFile: notASeed }, CONNECTION_FAILED, url, secrets);
  assert.ok(wrongFile.includes(`'nkeyFile' ${notASeed} holds no user nkey seed`), wrongFile);
});

Deno.test("connect() with a creds file in operator mode, and AUTHENTICATION_FAILED without the JWT or seed", async () => {
  await using dir = await tempDir();
  const operator = await operatorMode(dir.path);
  await using nats = await startSecuredServer(dir.path, operator.config);
  const secrets = [operator.userJwt, operator.userSeed, ...operator.strangerSecrets];
  const url = nats.url;

  await assertTickReachesActor({ servers: url, credsFile: operator.credsFile }, "creds");

  const refused = await assertRefused(
    { servers: url, credsFile: operator.strangerCredsFile },
    AUTHENTICATION_FAILED,
    url,
    secrets,
  );
  assert.ok(refused.includes(`the credentials in ${operator.strangerCredsFile}`), refused);
  await assertRefused({ servers: url }, AUTHENTICATION_FAILED, url, secrets);
  const notCreds = `${dir.path}/not.creds`;
  await Deno.writeTextFile(notCreds, "just text\n");
  const wrongFile = await assertRefused({ servers: url, credsFile: notCreds }, CONNECTION_FAILED, url, secrets);
  assert.ok(wrongFile.includes(`'credsFile' ${notCreds} holds no user JWT`), wrongFile);
});

/** The base64 lines of a PEM private key: they must never be printed. */
async function keyLines(file: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).split("\n").filter((line) => line.length > 20 && !line.startsWith("-----"));
}

Deno.test("connect() over TLS with a private CA, and CONNECTION_FAILED when the server is not trusted", async () => {
  await using dir = await tempDir();
  const files = await tlsFiles(dir.path);
  await using nats = await startSecuredServer(dir.path, tlsConfig(files, false));
  const url = nats.url;
  const secrets = await keyLines(files.serverKey);

  await assertTickReachesActor({ servers: url, tls: { caFile: files.ca } }, "tls-ca");
  await assertTickReachesActor({
    servers: url.replace("nats://127.0.0.1", "tls://localhost"),
    tls: { caFile: files.ca },
  }, "tls-url");

  const untrusted = await assertRefused({ servers: url }, CONNECTION_FAILED, url, secrets);
  assert.match(untrusted, /tls\.caFile/);
  await assertRefused({ servers: url, tls: { caFile: files.otherCa } }, CONNECTION_FAILED, url, secrets);
  const missing = await assertRefused(
    { servers: url, tls: { caFile: `${dir.path}/missing.pem` } },
    CONNECTION_FAILED,
    url,
    secrets,
  );
  assert.ok(missing.includes(`cannot read 'tls.caFile' ${dir.path}/missing.pem (ENOENT)`), missing);
  const swapped = await assertRefused(
    { servers: url, tls: { caFile: files.serverKey } },
    CONNECTION_FAILED,
    url,
    secrets,
  );
  assert.ok(swapped.includes(`'tls.caFile' ${files.serverKey} holds no PEM certificate`), swapped);
});

Deno.test("connect() with a client certificate (mutual TLS), and CONNECTION_FAILED without one the server trusts", async () => {
  await using dir = await tempDir();
  const files = await tlsFiles(dir.path);
  await using nats = await startSecuredServer(dir.path, tlsConfig(files, true));
  const url = nats.url;
  const secrets = [...await keyLines(files.clientKey), ...await keyLines(files.strangerKey)];
  const client = { caFile: files.ca, certFile: files.clientCert, keyFile: files.clientKey };

  await assertTickReachesActor({ servers: url, tls: client }, "mtls");

  // The server ends the handshake; under Deno the client sees no TLS alert, only its timeout.
  const noCertificate = await assertRefused(
    { servers: url, tls: { caFile: files.ca }, timeoutMs: 2_000 },
    CONNECTION_FAILED,
    url,
    secrets,
  );
  assert.match(noCertificate, /client certificate/);
  await assertRefused(
    { servers: url, tls: { ...client, certFile: files.strangerCert, keyFile: files.strangerKey }, timeoutMs: 2_000 },
    CONNECTION_FAILED,
    url,
    secrets,
  );
});

Deno.test("connect() with TLS and a password together: both are checked", async () => {
  await using dir = await tempDir();
  const files = await tlsFiles(dir.path);
  const password = secret("pw");
  await using nats = await startSecuredServer(
    dir.path,
    `${tlsConfig(files, false)}\nauthorization { users: [{ user: clock, password: ${password} }] }`,
  );
  await assertTickReachesActor(
    { servers: nats.url, user: "clock", pass: password, tls: { caFile: files.ca } },
    "tls-user",
  );
  await assertRefused(
    { servers: nats.url, user: "clock", pass: secret("wrong"), tls: { caFile: files.ca } },
    AUTHENTICATION_FAILED,
    nats.url,
    [password],
  );
});
