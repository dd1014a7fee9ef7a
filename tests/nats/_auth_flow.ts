/**
 * What the authentication tests do in every mode: a clock's tick reaches an
 * actor, and a refused connection fails with a code and without secrets.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Actor,
  Actors,
  Clock,
  type ConnectOptions,
  type ErrorCode,
  Event,
  Events,
  isWalnatsError,
  type TickReport,
} from "../../mod.ts";
import { assertNoSecret } from "./_secured_server.ts";

/** A clock of period 1 s for `event`, as the command makes it. */
export function clockOf(event: string): Clock {
  return new Clock({ event: new Event(event, Date), period: 1 });
}

/** Registers the clock's event and an actor on it, then returns what the actor handles. */
export async function registerActor(target: ConnectOptions, clock: Clock) {
  const handled: number[] = [];
  const actor = new Actor(`${clock.event.name}-actor`, clock.event, (tick) => void handled.push(tick.getTime()));
  const events = await new Events(clock.event).connect(target);
  try {
    await events.register();
  } finally {
    await events.close();
  }
  const actors = await new Actors(actor).connect(target);
  try {
    await actors.register();
  } catch (error) {
    await actors.close();
    throw error;
  }
  return {
    handled,
    /** Handles what is there, then returns the ticks handled so far (epoch ms). */
    async drain(): Promise<number[]> {
      await actors.listen({ burst: true });
      return handled;
    },
    [Symbol.asyncDispose]: () => actors.close(),
  };
}

/** Through the library: the clock emits one tick and the actor handles it, both connected with `target`. */
export async function assertTickReachesActor(target: ConnectOptions, event: string): Promise<void> {
  const clock = clockOf(event);
  await using actor = await registerActor(target, clock);
  const reports: TickReport[] = [];
  await using events = await new Events(clock.event).connect(target);
  await clock.run(events, { burst: true, onTick: (report) => void reports.push(report) });
  assert.deepEqual(reports.map((report) => report.outcome), ["emitted"]);
  assert.deepEqual(await actor.drain(), [reports[0]!.tick.getTime()]);
}

/**
 * Connecting with `target` fails with a `WalnatsError` of `code` whose
 * message names `server` and whose every printed form holds no secret.
 * Returns the message.
 */
export async function assertRefused(
  target: ConnectOptions,
  code: ErrorCode,
  server: string,
  secrets: readonly string[],
): Promise<string> {
  const error = await new Events(new Event("refused", Date)).connect(target).then(
    (conn) => conn.close().then(() => assert.fail("connected, but should have been refused")),
    (error: unknown) => error,
  );
  assert.ok(isWalnatsError(error, code), `expected ${code}, got ${String(error)}`);
  assert.ok(error.message.includes(server), `the message does not name ${server}: ${error.message}`);
  assertNoSecret({ message: error.message, string: String(error), inspected: Deno.inspect(error) }, secrets);
  return error.message;
}
