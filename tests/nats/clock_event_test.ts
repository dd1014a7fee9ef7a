import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { Clock, Event, Events } from "../../mod.ts";

/** The duplicate window, in seconds, of the stream `register()` made for `registered`. */
async function registeredWindowS(registered: Event<DateConstructor>): Promise<number> {
  await using server = await startNatsServer();
  {
    await using conn = await new Events(registered).connect({ servers: server.url });
    await conn.register();
  }
  const nc = await connect({ servers: server.url });
  try {
    const { config } = await (await jetstreamManager(nc)).streams.info(registered.stream);
    return config.duplicate_window / 1e9;
  } finally {
    await nc.close();
  }
}

Deno.test("On nats-server, registering clock.event sets a window of one period; the event as given gets 2 minutes", async () => {
  const given = new Event("5m-passed", Date);
  const periodic = new Clock({ event: given, period: 300 });
  const cron = new Clock({ event: given, cron: "*/5 * * * *" });
  assert.equal(await registeredWindowS(periodic.event), 300);
  assert.equal(await registeredWindowS(cron.event), 120);
  assert.equal(await registeredWindowS(given), 120);
});
