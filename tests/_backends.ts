/**
 * The backends the shared behaviour tests (tests/_behaviours.ts) run on: the
 * in-memory server of `@walnats/clock/testing` on fake time here, and a real
 * nats-server on real time in tests/nats/_nats_backend.ts. A behaviour test
 * takes a {@link TestBackend} and never asks which one it got.
 *
 * @module
 */
import type { Backend, ConnectOptions, Event, SchedulesBackendConnection, TimeSource } from "../mod.ts";
import { FakeTime, MemoryServer } from "../testing/mod.ts";
import { fakeTime, type WaitTime } from "./_wait.ts";

/** A backend as a behaviour test sees it. */
export interface TestBackend extends AsyncDisposable {
  /** What `Events.connect()` and `Actors.connect()` are given. */
  readonly target: Backend | ConnectOptions;
  /** The time the backend runs on. */
  readonly time: TimeSource;
  /** The same time, as `waitUntil()` lets it pass: `wait.pass(ms)` lets `ms` of it pass. */
  readonly wait: WaitTime;
  /** The payloads (as text) and headers stored for the event, oldest first. */
  stored(event: Event): Promise<{ seq: number; subject: string; payload: string; headers: Record<string, string> }[]>;
  /** The backend's own parts of a schedules connection, for a test that wraps one of them (a fleet store that never leaves). */
  connectSchedules(events: readonly Event[]): Promise<SchedulesBackendConnection>;
}

/** A behaviour: a name that says what holds, and a body that proves it on any backend. */
export interface Behaviour {
  readonly name: string;
  readonly body: (backend: TestBackend) => Promise<void>;
}

/** Registers one test per behaviour, named after the behaviour and the backend's `kind`. */
export function testBehaviours(
  kind: string,
  open: () => Promise<TestBackend>,
  behaviours: readonly Behaviour[],
): void {
  for (const { name, body } of behaviours) {
    Deno.test(`${name} [${kind}]`, async () => {
      await using backend = await open();
      await body(backend);
    });
  }
}

/** The in-memory server on fake time, from 2026-11-26T12:00:00Z. */
export function openMemory(): Promise<TestBackend> {
  const time = new FakeTime("2026-11-26T12:00:00Z");
  const server = new MemoryServer(time);
  const decoder = new TextDecoder();
  return Promise.resolve({
    target: server,
    time,
    wait: fakeTime(time),
    stored: (event) =>
      Promise.resolve(
        server.messages(event).map(({ seq, subject, data, headers }) => ({
          seq,
          subject,
          payload: decoder.decode(data),
          headers: { ...headers },
        })),
      ),
    connectSchedules: (events) => server.connectSchedules(events),
    [Symbol.asyncDispose]: () => Promise.resolve(time[Symbol.dispose]()),
  });
}
