/**
 * The KV bucket where actors note the first attempt at a delayed message:
 * a creation that failed (the server was down) is tried again on the next
 * delivery, not kept as a failure for the life of the connection.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { delay } from "../../src/_async.ts";
import { Actor, Actors, Event, Events, type JobEvent } from "../../mod.ts";
import { waitUntil } from "../_wait.ts";

/** The stream behind the attempts bucket: every request about the bucket names it in its subject. */
const ATTEMPTS_STREAM = "KV_walnats-attempts";
/** The actor's ack wait, in seconds. */
const ACK_WAIT = 2;

/** A job event other than a pull failure. */
type Seen = Exclude<JobEvent, { type: "pull-failure" }>;

/** How many job events of each type came, and the last 5 of them. */
function describe(events: Seen[]): string {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  const last = events.slice(-5).map(({ error: _, ...rest }: Seen & { error?: unknown }) => rest);
  return `events: ${JSON.stringify(counts)}, the last: ${JSON.stringify(last)}`;
}

Deno.test("a delayed message falling due while the server is down runs once it is back, as attempt 1", async () => {
  await using server = await startNatsServer();
  const reminder = new Event("reminder", String);
  const runs: [string, number][] = [];
  const actor = new Actor("send", reminder, (text, context) => void runs.push([text, context.attempt]), {
    retryDelay: 0.1,
    ackWait: ACK_WAIT,
  });
  await using events = await new Events(reminder).connect({ servers: server.url });
  await events.register();

  // The actors get a connection of their own, whose first request about the bucket stops the server first.
  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  let disconnected = false;
  const watching = (async () => {
    for await (const status of nc.status()) if (status.type === "disconnect") disconnected = true;
  })();
  let bucketRequests = 0;
  const request = nc.request.bind(nc);
  nc.request = async (subject, ...rest) => {
    if (subject.includes(ATTEMPTS_STREAM) && bucketRequests++ === 0) {
      server.kill("SIGTERM");
      await waitUntil(() => disconnected, { what: "the actors' connection to lose the server" });
    }
    return await request(subject, ...rest);
  };

  const seen: Seen[] = [];
  const stop = new AbortController();
  let listening: Promise<void> | undefined;
  try {
    await using actors = await new Actors(actor).connect(nc);
    await actors.register();
    listening = actors.listen({
      signal: stop.signal,
      onEvent: (event) => void (event.type !== "pull-failure" && seen.push(event)),
    });
    const { seq } = await events.emit(reminder, "call mum", { delay: 1 });
    const of = <T extends Seen["type"]>(type: T) =>
      seen.filter((e): e is Extract<Seen, { type: T }> => e.type === type);

    // Due while the server is down: the bucket cannot be created, so no attempt can be counted.
    await waitUntil(() => of("failure").length > 0, {
      what: "the failure to note the first attempt",
      details: () => describe(seen),
    });
    assert.equal(bucketRequests, 1);
    assert.deepEqual(runs, []);
    await server.restart();
    await waitUntil(() => of("success").length > 0, {
      what: "the success once the server is back",
      details: () => describe(seen),
    });
    // Longer than the ack wait: a message still pending at the server would be redelivered by then.
    await delay(ACK_WAIT * 1000 + 500);
    stop.abort();
    await listening;

    assert.deepEqual(runs, [["call mum", 1]]);
    assert.deepEqual(of("success").map((e) => [e.seq, e.attempt]), [[seq, 1]]);
    assert.deepEqual(of("terminated"), []);
    assert.ok(of("failure").every((e) => e.seq === seq && e.attempt === 0), describe(seen));
    assert.ok(bucketRequests > 1, "the bucket was asked for again once the server was back");
  } finally {
    stop.abort();
    await listening;
    await nc.close();
    await watching;
  }
});
