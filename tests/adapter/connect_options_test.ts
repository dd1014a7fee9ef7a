/** Connect options: checks, credentials from options or URL userinfo, and no secret in any message. No server. */
import assert from "node:assert/strict";
import { Event, Events } from "../../mod.ts";
import { redact, resolveConnectOptions, withoutUserinfo } from "../../src/nats/_connect_options.ts";

const SECRET = "s3cr3t-Value";

/** The message of the TypeError (or `type`) `fn` throws; fails if it quotes the secret. */
function rejection(fn: () => unknown, type: typeof TypeError | typeof RangeError = TypeError): string {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof type, `expected a ${type.name}, got ${String(caught)}`);
  const message = (caught as Error).message;
  assert.ok(!message.includes(SECRET), `the message quotes the secret: ${message.replace(SECRET, "<secret>")}`);
  return message;
}

Deno.test("resolveConnectOptions() takes user:password and token from the URL, percent-decoded, and removes them", () => {
  const user = resolveConnectOptions({ servers: `nats://clock:${encodeURIComponent("p@ss:w/rd")}@127.0.0.1:4222` });
  assert.deepEqual(user.servers, ["nats://127.0.0.1:4222"]);
  assert.deepEqual(user.credentials, { kind: "user", user: "clock", pass: "p@ss:w/rd", fromUrl: true });
  const token = resolveConnectOptions({ servers: ["tls://tok3n@nats.internal:4222", "tls://tok3n@nats2.internal"] });
  assert.deepEqual(token.servers, ["tls://nats.internal:4222", "tls://nats2.internal"]);
  assert.deepEqual(token.credentials, { kind: "token", token: "tok3n", fromUrl: true });
  const bare = resolveConnectOptions({ servers: "clock:pw@127.0.0.1:4222" });
  assert.deepEqual(bare.servers, ["127.0.0.1:4222"]);
  assert.deepEqual(bare.credentials, { kind: "user", user: "clock", pass: "pw", fromUrl: true });
  assert.deepEqual(resolveConnectOptions({ servers: "nats://127.0.0.1:4222" }).credentials, { kind: "none" });
});

Deno.test("resolveConnectOptions() lets any credential option win over the URL's userinfo", () => {
  const url = `nats://clock:${SECRET}@127.0.0.1:4222`;
  assert.deepEqual(resolveConnectOptions({ servers: url, token: "t0ken" }).credentials, {
    kind: "token",
    token: "t0ken",
    fromUrl: false,
  });
  assert.deepEqual(resolveConnectOptions({ servers: url, credsFile: "a.creds" }).credentials, {
    kind: "creds",
    file: "a.creds",
  });
  assert.deepEqual(resolveConnectOptions({ servers: url, user: "other", pass: "pw" }).servers, [
    "nats://127.0.0.1:4222",
  ]);
  // The ignored userinfo is still a secret.
  assert.ok(resolveConnectOptions({ servers: url, token: "t0ken" }).secrets.includes(`clock:${SECRET}`));
});

Deno.test("resolveConnectOptions() names the option in a TypeError and never quotes a secret", () => {
  const servers = "nats://127.0.0.1:4222";
  assert.match(
    rejection(() => resolveConnectOptions({ servers, user: "clock" })),
    /'user' and 'pass' go together, got only 'user'/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers, pass: SECRET })),
    /'user' and 'pass' go together, got only 'pass'/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers, user: "clock", pass: SECRET, token: SECRET })),
    /give one way to authenticate, got 'user' and 'pass' and 'token'/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers, nkeyFile: "a.nk", credsFile: "a.creds" })),
    /got 'nkeyFile' and 'credsFile'/,
  );
  assert.match(rejection(() => resolveConnectOptions({ servers, token: "" })), /'token' must not be empty/);
  assert.match(
    rejection(() => resolveConnectOptions({ servers, user: "clock", pass: 42 as unknown as string })),
    /'pass' must be a string, got number/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers, tls: { certFile: "client.pem" } })),
    /'tls\.certFile' and 'tls\.keyFile' go together, got only 'tls\.certFile'/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers, tls: { caFile: 7 as unknown as string } })),
    /'tls\.caFile' must be a string, got 7/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers, timeoutMs: -1 }), RangeError),
    /'timeoutMs' must be a positive number of milliseconds, got -1/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers: [`nats://a:${SECRET}@h1`, `nats://b:${SECRET}@h2`] })),
    /carry different credentials/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers: `nats://clock:@h1` })),
    /needs both a user name and a password/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers: `nats://clock:${SECRET}%zz@h1` })),
    /not valid percent-encoding/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers: [] })),
    /'servers' must be a URL or a non-empty list of URLs, got an empty list/,
  );
  assert.match(
    rejection(() => resolveConnectOptions({ servers: [`nats://clock:${SECRET}@h1`, ""] })),
    /'servers' entry 2 must be a URL/,
  );
});

Deno.test("Events.connect() rejects bad options with the TypeError before opening anything", async () => {
  const events = new Events(new Event("minute-passed", Date));
  await assert.rejects(
    events.connect({ servers: "nats://127.0.0.1:1", user: "clock" }),
    (error: unknown) => error instanceof TypeError && /'user' and 'pass' go together/.test(error.message),
  );
});

Deno.test("withoutUserinfo() and redact() keep secrets out of text", () => {
  assert.equal(withoutUserinfo(`nats://clock:${SECRET}@127.0.0.1:4222`), "nats://127.0.0.1:4222");
  assert.equal(withoutUserinfo(`nats://p@ss@host:4222/x`), "nats://host:4222/x");
  assert.equal(withoutUserinfo("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
  assert.equal(redact(`a ${SECRET} b ${SECRET}`, [SECRET, ""]), "a *** b ***");
  assert.match(rejection(() => resolveConnectOptions({ servers: 1 as unknown as string })), /got 1$/);
});
