/**
 * The two backends the shared behaviour tests run on: the in-memory server
 * of `@walnats/clock/testing` on fake time, and a real nats-server on real
 * time. A behaviour test takes a {@link TestBackend} and never asks which
 * one it got.
 *
 * @module
 */
import { startNatsServer } from "../cli/_nats_server.ts";
import { delay } from "../src/_async.ts";
import { type Backend, type ConnectOptions, type Event, systemTime, type TimeSource } from "../mod.ts";
import { FakeTime, MemoryServer } from "../testing/mod.ts";
import { readStream } from "./nats/_stream.ts";

/** How often `until()` looks again, in the backend's milliseconds. */
const POLL_MS = 10;

/** A backend as a behaviour test sees it. */
export interface TestBackend extends AsyncDisposable {
  /** What `Events.connect()` and `Actors.connect()` are given. */
  readonly target: Backend | ConnectOptions;
  /** The time the backend runs on. */
  readonly time: TimeSource;
  /** Lets `ms` of the backend's time pass. */
  pass(ms: number): Promise<void>;
  /** Lets time pass until `done()` holds; throws when `withinMs` of the backend's time passed first. */
  until(done: () => boolean, what: string, withinMs?: number): Promise<void>;
  /** The payloads (as text) and headers stored for the event, oldest first. */
  stored(event: Event): Promise<{ seq: number; payload: string; headers: Record<string, string> }[]>;
}

/** The backends, by name. */
export const BACKENDS: Record<string, () => Promise<TestBackend>> = { memory: openMemory, nats: openNats };

/** Registers one test per backend, named after the behaviour and the backend. */
export function behaviour(name: string, body: (backend: TestBackend) => Promise<void>): void {
  for (const [kind, open] of Object.entries(BACKENDS)) {
    Deno.test(`${name} [${kind}]`, async () => {
      await using backend = await open();
      await body(backend);
    });
  }
}

function openMemory(): Promise<TestBackend> {
  const time = new FakeTime("2026-11-26T12:00:00Z");
  const server = new MemoryServer(time);
  const decoder = new TextDecoder();
  return Promise.resolve({
    target: server,
    time,
    pass: (ms) => time.tickAsync(ms),
    until: (done, what, withinMs) => until(done, what, withinMs, (ms) => time.tickAsync(ms)),
    stored: (event) =>
      Promise.resolve(
        server.messages(event).map(({ seq, data, headers }) => ({
          seq,
          payload: decoder.decode(data),
          headers: { ...headers },
        })),
      ),
    [Symbol.asyncDispose]: () => Promise.resolve(time[Symbol.dispose]()),
  });
}

async function openNats(): Promise<TestBackend> {
  const server = await startNatsServer();
  return {
    target: { servers: server.url },
    time: systemTime,
    pass: (ms) => delay(ms),
    until: (done, what, withinMs) => until(done, what, withinMs, (ms) => delay(ms)),
    stored: async (event) =>
      (await readStream(server.url, event.stream)).map(({ seq, payload, headers }) => ({
        seq,
        payload,
        headers,
      })),
    [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
  };
}

async function until(
  done: () => boolean,
  what: string,
  withinMs = 10_000,
  pass: (ms: number) => Promise<void>,
): Promise<void> {
  for (let waited = 0; !done(); waited += POLL_MS) {
    if (waited >= withinMs) throw new Error(`Still waiting after ${withinMs} ms for ${what}`);
    await pass(POLL_MS);
  }
}
