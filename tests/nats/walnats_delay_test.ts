/**
 * Python walnats' delayed messages on a real nats-server: a message published
 * straight into the stream with the `Walnats-Delay` header walnats writes
 * (epoch seconds, a float) is handled once that instant has passed, not at
 * once. tests/actors/delivery_test.ts has the rule itself.
 */
import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { Actor, Event, type JobEvent } from "../../mod.ts";
import { connectAndRegister } from "../_connected.ts";
import { waitUntil } from "../_wait.ts";

Deno.test("a message with Python walnats' Walnats-Delay is handled once its instant has passed, as attempt 1", async () => {
  await using server = await startNatsServer();
  const reminder = new Event("reminder", String);
  const handled: { text: string; attempt: number; at: number }[] = [];
  const remind = new Actor("remind", reminder, (text, { attempt }) => {
    handled.push({ text, attempt, at: Date.now() });
  });
  await using connected = await connectAndRegister({ servers: server.url }, [reminder], [remind]);

  // What walnats' `emit(..., delay=1.5)` stores: the payload and `str(time.time() + 1.5)`.
  const dueMs = Date.now() + 1_500;
  const nc = await connect({ servers: server.url });
  const seqs: Record<string, number> = {};
  try {
    const js = jetstream(nc);
    for (const [text, delay] of [["later", String(dueMs / 1000)], ["bad", "soon"]] as const) {
      const headers = natsHeaders();
      headers.set("Walnats-Delay", delay);
      seqs[text] = (await js.publish(reminder.subject, new TextEncoder().encode(text), { headers })).seq;
    }
  } finally {
    await nc.close();
  }

  const events: JobEvent[] = [];
  const stop = new AbortController();
  const listening = connected.actors.listen({ signal: stop.signal, onEvent: (event) => void events.push(event) });
  try {
    await waitUntil(() => handled.length >= 2, {
      what: "both messages handled",
      details: () => JSON.stringify(events),
    });
  } finally {
    stop.abort();
    await listening;
  }

  const later = handled.find((h) => h.text === "later");
  assert.ok(later && later.at >= dueMs, `'later' ran ${dueMs - (later?.at ?? NaN)} ms before its Walnats-Delay`);
  assert.deepEqual(handled.map(({ text, attempt }) => [text, attempt]).toSorted(), [["bad", 1], ["later", 1]]);
  assert.ok(events.some((e) => e.type === "delayed" && e.seq === seqs.later), JSON.stringify(events));
  assert.deepEqual(events.filter((e) => e.type === "bad-header"), [
    { type: "bad-header", actor: "remind", seq: seqs.bad, header: "Walnats-Delay", value: "soon" },
  ]);
});
