/**
 * Ten refused connections in one process, then a good one: prints the code
 * of each refusal, `connected`, and `alive` once the event loop had time to
 * deliver any late socket error. Run by failed_connects_test.ts against a
 * server that wants a password and a client certificate; the URL, the
 * password and the PEM files come in the environment (`NATS_URL`,
 * `NATS_PASSWORD`, `NATS_CA`, `NATS_CERT`, `NATS_KEY`, `STRANGER_CERT`,
 * `STRANGER_KEY`).
 *
 * @module
 */
import { type ConnectOptions, Event, Events, isWalnatsError } from "../../mod.ts";

const env = (name: string) => Deno.env.get(name)!;
const url = env("NATS_URL");
const password = env("NATS_PASSWORD");
const tls = { caFile: env("NATS_CA"), certFile: env("NATS_CERT"), keyFile: env("NATS_KEY") };
const stranger = { caFile: env("NATS_CA"), certFile: env("STRANGER_CERT"), keyFile: env("STRANGER_KEY") };
const withUserinfo = (userinfo: string) => url.replace("nats://", `nats://${userinfo}@`);
const event = new Event("failed-connects", Date);

const refused: ConnectOptions[] = [
  // The server refuses the client certificate, or gets none: no alert reaches the client, it times out.
  // First, while the process is cold: that is when the late TLS alert came most often.
  { servers: url, tls: stranger, user: "clock", pass: password, timeoutMs: 1_000 },
  { servers: url, tls: { caFile: tls.caFile }, user: "clock", pass: password, timeoutMs: 1_000 },
  { servers: url, tls, user: "clock", pass: "wrong-password-1" },
  { servers: url, tls, token: "wrong-token-1" },
  { servers: url, tls },
  { servers: withUserinfo("clock:wrong-password-2"), tls },
  { servers: withUserinfo("wrong-token-2"), tls },
  { servers: url, tls: stranger, token: "wrong-token-3", timeoutMs: 1_000 },
  { servers: url, tls, user: "clock", pass: "wrong-password-3" },
  { servers: url, tls, user: "someone-else", pass: password },
];

for (const options of refused) {
  try {
    await (await new Events(event).connect(options)).close();
    console.log("connected, but should have been refused");
  } catch (error) {
    console.log(isWalnatsError(error) ? error.code : `not a WalnatsError: ${String(error)}`);
  }
}
const conn = await new Events(event).connect({ servers: url, tls, user: "clock", pass: password });
await conn.register();
await conn.close();
console.log("connected");
// A late socket error would be an uncaught exception within a few event-loop turns.
await new Promise((resolve) => setTimeout(resolve, 500));
console.log("alive");
