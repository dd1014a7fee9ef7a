/** The clock command's --replicas on a real 3-node cluster: the event's stream is made with that many replicas. */
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { main } from "../../cli/main.ts";
import { settled, waitUntil } from "../_wait.ts";
import { startCluster } from "./_cluster.ts";

Deno.test("deno task run --replicas 3 on a 3-node cluster makes the event's stream R3 and stores its ticks there", async () => {
  await using cluster = await startCluster();
  const lines: string[] = [];
  const stop = new AbortController();
  const running = main(
    ["--event", "r3-ticks", "--period", "0.2", "--replicas", "3", "--server", cluster.urls],
    { out: (line) => lines.push(line), err: (line) => lines.push(line) },
    stop.signal,
  );
  try {
    await waitUntil(() => lines.some((line) => line.includes("emitted")), {
      what: "a tick emitted",
      details: () => lines.join("\n"),
    });
  } finally {
    stop.abort();
    assert.equal(await settled(running, { what: "the command to stop" }), 0, lines.join("\n"));
  }
  const nc = await connect({ servers: cluster.urls.split(",") });
  try {
    const info = await (await jetstreamManager(nc)).streams.info("r3-ticks");
    assert.equal(info.config.num_replicas, 3);
    assert.ok(info.state.messages >= 1);
  } finally {
    await nc.close();
  }
});
