/**
 * Refused connections leave the process running. Under Deno, nats.js's Node
 * transport let late socket errors escape as uncaught exceptions after
 * `connect()` had rejected: `read ECONNRESET` after a refused password, and
 * `received fatal alert: BadCertificate` (in about half the processes) after
 * a refused client certificate. The connections run in a child process, so
 * that such a crash fails this test instead of killing the test runner.
 */
import assert from "node:assert/strict";
import { assertNoSecret, secret, startSecuredServer, tempDir, tlsConfig, tlsFiles } from "./_secured_server.ts";

const SCRIPT = new URL("./_failed_connects.ts", import.meta.url).pathname;

Deno.test("ten refused connections in one process, then a good one, and the process is still alive", async () => {
  await using dir = await tempDir();
  const files = await tlsFiles(dir.path);
  const password = secret("pw");
  await using nats = await startSecuredServer(
    dir.path,
    `${tlsConfig(files, true)}\nauthorization { users: [{ user: clock, password: ${password} }] }`,
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT],
    env: {
      NO_COLOR: "1",
      NATS_URL: nats.url,
      NATS_PASSWORD: password,
      NATS_CA: files.ca,
      NATS_CERT: files.clientCert,
      NATS_KEY: files.clientKey,
      STRANGER_CERT: files.strangerCert,
      STRANGER_KEY: files.strangerKey,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `exit code ${code}\n${out}\n${err}`);
  const auth = "AUTHENTICATION_FAILED";
  const tls = "CONNECTION_FAILED";
  const expected = [tls, tls, auth, auth, auth, auth, auth, tls, auth, auth, "connected", "alive"];
  assert.deepEqual(out.trim().split("\n"), expected);
  const wrong = ["wrong-password-1", "wrong-password-2", "wrong-password-3", "wrong-token-1", "wrong-token-2"];
  assertNoSecret({ stdout: out, stderr: err }, [password, ...wrong, "wrong-token-3"]);
});
