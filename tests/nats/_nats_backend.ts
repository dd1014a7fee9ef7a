/**
 * The real backend of the shared behaviour tests: a nats-server of its own
 * on a free loopback port, on real time.
 *
 * @module
 */
import { startNatsServer } from "../../cli/_nats_server.ts";
import { systemTime } from "../../mod.ts";
import { dialOrAdopt } from "../../src/nats/connect.ts";
import { connectNatsSchedules } from "../../src/nats/schedule_store.ts";
import type { TestBackend } from "../_backends.ts";
import { realTime } from "../_wait.ts";
import { readStream } from "./_stream.ts";

/** Starts a nats-server; disposing the backend stops it. */
export async function openNats(): Promise<TestBackend> {
  const server = await startNatsServer();
  return {
    target: { servers: server.url },
    time: systemTime,
    wait: realTime,
    stored: async (event) =>
      (await readStream(server.url, event.stream)).map(({ seq, subject, payload, headers }) => ({
        seq,
        subject,
        payload,
        headers,
      })),
    connectSchedules: async (events) => connectNatsSchedules(await dialOrAdopt({ servers: server.url }), events),
    [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
  };
}
