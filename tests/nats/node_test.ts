/**
 * The library on Node.js against a real nats-server: the package built with
 * esbuild (tests/_node.ts) runs examples/node/tick_once.mjs on the machine's
 * `node`. tests/node_test.ts runs the testing kit on Node.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer } from "../../cli/_nats_server.ts";
import { Event } from "../../mod.ts";
import { NODE, nodeProject, nodeTestName } from "../_node.ts";
// The Node SDK examples/node/traced_tick.mjs registers: imported here so that Deno installs it into node_modules.
// deno-lint-ignore no-import-prefix -- development-only: kept out of deno.json and deno.lock (see deno.dev.lock)
import "npm:@opentelemetry/sdk-trace-node@^2.12.1";

/** What examples/node/tick_once.mjs prints. */
interface TickOnce {
  node: string;
  report?: { event: string; tick: string; outcome: string; seq?: number };
  handled: { tick: string; attempt: number }[];
  jobs: string[];
}

Deno.test({
  name: nodeTestName(
    "on Node.js, a clock of the built package emits one tick to nats-server and an actor handles it once (examples/node/tick_once.mjs)",
  ),
  ignore: NODE.missing !== undefined,
  fn: async () => {
    await using server = await startNatsServer();
    await using project = await nodeProject({ files: [new URL("../../examples/node/tick_once.mjs", import.meta.url)] });
    const { code, stdout, stderr } = await project.node(["tick_once.mjs"], { env: { NATS_URL: server.url } });

    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 1, stdout);
    const result: TickOnce = JSON.parse(lines[0]!);
    assert.equal(result.node, NODE.version);
    const tick = result.report?.tick;
    assert.ok(tick !== undefined && new Date(tick).getTime() % 1000 === 0, `a tick on a whole second: ${stdout}`);
    assert.deepEqual(result.report, { event: "second-passed", tick, outcome: "emitted", seq: 1 });
    assert.deepEqual(result.handled, [{ tick, attempt: 1 }]);
    assert.deepEqual(result.jobs, ["start", "success"]);

    // The server's side: one message stored, delivered once to the actor's consumer and acknowledged.
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = new Event("second-passed", Date).stream;
      assert.equal((await jsm.streams.info(stream)).state.messages, 1);
      const stored = await jsm.streams.getMessage(stream, { seq: 1 });
      assert.equal(new Date(new TextDecoder().decode(stored?.data)).toISOString(), tick);
      const consumer = await jsm.consumers.info(stream, "node-ticks");
      assert.deepEqual(
        [consumer.delivered.stream_seq, consumer.ack_floor.stream_seq, consumer.num_pending, consumer.num_ack_pending],
        [1, 1, 0, 0],
      );
      assert.equal(consumer.num_redelivered, 0);
    } finally {
      await nc.close();
    }
  },
});

/** A span as examples/node/traced_tick.mjs prints it. */
interface PrintedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  status: number;
  events: string[];
  attributes: Record<string, string | number | boolean>;
}

Deno.test({
  name: nodeTestName(
    "on Node.js with the OpenTelemetry Node SDK, a tick's send span is the parent of its two attempts' process spans, whose context the handler's outgoing calls carry (examples/node/traced_tick.mjs)",
  ),
  ignore: NODE.missing !== undefined,
  fn: async () => {
    await using server = await startNatsServer();
    await using project = await nodeProject({
      files: [new URL("../../examples/node/traced_tick.mjs", import.meta.url)],
      packages: ["@opentelemetry/sdk-trace-node"], // alone: NodeTracerProvider.register() sets up the rest
    });
    const { code, stdout, stderr } = await project.node(["traced_tick.mjs"], { env: { NATS_URL: server.url } });

    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const { jobs, outgoing, spans }: { jobs: string[]; outgoing: string[]; spans: PrintedSpan[] } = JSON.parse(
      stdout.trim().split("\n").at(-1)!,
    );
    assert.deepEqual(jobs, ["start 1", "failure 1", "start 2", "success 2"]);
    const [send, ...others] = spans.filter((span) => span.name === "send traced-second");
    assert.ok(send && others.length === 0, stdout);
    assert.equal(send.kind, 3 /* PRODUCER */);
    assert.equal(send.parentSpanId, undefined);
    assert.equal(send.attributes["messaging.system"], "nats");
    assert.equal(send.attributes["messaging.destination.name"], "traced-second");
    assert.equal(send.attributes["walnats.outcome"], "emitted");
    assert.equal(send.attributes["walnats.attempts"], 1);
    const processes = spans.filter((span) => span.name === "process traced-second");
    assert.deepEqual(
      processes.map((span) => [
        span.kind,
        span.traceId,
        span.parentSpanId,
        span.attributes["walnats.attempt"],
        span.attributes["walnats.outcome"],
        span.status,
        span.events,
      ]),
      [
        [4, /* CONSUMER */ send.traceId, send.spanId, 1, "failure", 2, /* ERROR */ ["exception"]],
        [4, send.traceId, send.spanId, 2, "success", 0, []],
      ],
    );
    // The handler ran inside its attempt's span.
    assert.deepEqual(
      ["handler attempt 1", "handler attempt 2"].map((name) => spans.find((span) => span.name === name)?.parentSpanId),
      processes.map((span) => span.spanId),
    );
    // register() installed the W3C propagator: an outgoing call of each attempt carries that attempt's context.
    assert.deepEqual(outgoing, processes.map((span) => `00-${span.traceId}-${span.spanId}-01`));
  },
});
