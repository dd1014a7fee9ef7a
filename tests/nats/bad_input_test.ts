/**
 * Bad input that reaches a real nats-server: conflicting streams and
 * consumers at `register()`, bad emits, listens and connects. Each call
 * throws its error class with a message naming the argument and the value,
 * and leaves the server as it was: the configs of the streams and consumers
 * it names, read back before and after, are unchanged, and no stream,
 * consumer or message was added. The serverless cases are in
 * tests/bad_input_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../../cli/_nats_server.ts";
import {
  Actor,
  Actors,
  ConsumerConflictError,
  ErrorCode,
  Event,
  Events,
  StreamConflictError,
  WalnatsError,
} from "../../mod.ts";
import { assertBadInput, type BadInput } from "../_bad_input.ts";

// The cases pass what the types forbid: that is the point.
// deno-lint-ignore no-explicit-any
type Any = any;

/** A bad input that reaches the server, and the streams and consumers it must leave as they were. */
interface ServerCase extends BadInput {
  /** Creates what the call conflicts with, before the "before" read. */
  setup?: (jsm: JetStreamManager) => Promise<unknown>;
  /** Streams whose config and state are read back (or found missing) before and after. */
  streams: string[];
  /** Consumers (stream, name) read back before and after. */
  consumers?: Array<[string, string]>;
}

const jobs = new Event("bi-jobs", Object);
const tick = new Event("bi-tick", Date);
const handler = () => {};

function serverCases(servers: string): ServerCase[] {
  const register = async (...events: Event[]) => {
    await using conn = await new Events(...events).connect({ servers });
    await conn.register();
  };
  const registerActors = async (...actors: Actor[]) => {
    await using conn = await new Actors(...actors).connect({ servers });
    await conn.register();
  };
  const emit = async (event: Event, value: unknown, options?: unknown) => {
    await using conn = await new Events(jobs, tick).connect({ servers });
    await conn.emit(event, value as Any, options as Any);
  };
  const listen = async (actor: Actor, options: unknown) => {
    await using conn = await new Actors(actor).connect({ servers });
    await conn.listen(options as Any);
  };
  const stream = (name: string, config: Record<string, unknown>) => (jsm: JetStreamManager) =>
    jsm.streams.add({ name, subjects: [name], ...config });
  const consumer = (name: string, config: Record<string, unknown>) => (jsm: JetStreamManager) =>
    jsm.consumers.add("bi-jobs", { durable_name: name, ack_policy: AckPolicy.Explicit, ...config });

  return [
    // register(): a stream of the event's name that cannot become the event's
    {
      api: "register",
      call: "register() on a stream of the same name with memory storage",
      setup: stream("bi-storage", { storage: StorageType.Memory }),
      run: () => register(new Event("bi-storage", Date)),
      error: StreamConflictError,
      code: ErrorCode.StreamConflict,
      message: /Stream 'bi-storage' exists with storage "memory", but the event needs "file"; the stream was left/,
      streams: ["bi-storage"],
    },
    {
      api: "register",
      call: "register() on a stream of the same name with work-queue retention",
      setup: stream("bi-retention", { retention: RetentionPolicy.Workqueue }),
      run: () => register(new Event("bi-retention", Date)),
      error: StreamConflictError,
      code: ErrorCode.StreamConflict,
      message: /Stream 'bi-retention' exists with retention "workqueue", but the event needs "limits"/,
      streams: ["bi-retention"],
    },
    {
      api: "register",
      call: "register() on a stream of the same name storing another subject",
      setup: (jsm) => jsm.streams.add({ name: "bi-subjects", subjects: ["bi-other"] }),
      run: () => register(new Event("bi-subjects", Date)),
      error: StreamConflictError,
      code: ErrorCode.StreamConflict,
      message:
        /Stream 'bi-subjects' exists with subjects \["bi-other"\], but the event needs \["bi-subjects","walnats-schedule\.bi-subjects\.>"\]/,
      streams: ["bi-subjects"],
    },
    {
      api: "register",
      call: "register() on a stream of the same name with max_consumers 5",
      setup: stream("bi-max-consumers", { max_consumers: 5 }),
      run: () => register(new Event("bi-max-consumers", Date)),
      error: StreamConflictError,
      code: ErrorCode.StreamConflict,
      message: /Stream 'bi-max-consumers' exists with max_consumers 5, but the event needs -1/,
      streams: ["bi-max-consumers"],
    },
    {
      api: "register",
      call: "register() of an event whose subject another stream stores",
      setup: (jsm) => jsm.streams.add({ name: "bi-owner", subjects: ["bi-taken"] }),
      run: () => register(new Event("bi-taken", Date)),
      error: WalnatsError,
      code: ErrorCode.StreamConflict,
      message: /Cannot register stream 'bi-taken': stream 'bi-owner' stores its subject 'bi-taken' already/,
      streams: ["bi-owner", "bi-taken"],
    },
    {
      api: "register",
      call: "register() of a new event and a conflicting one creates neither",
      run: () => register(new Event("bi-fresh", Date), new Event("bi-storage", Date)),
      error: StreamConflictError,
      code: ErrorCode.StreamConflict,
      message: /Stream 'bi-storage' exists with storage "memory"/,
      streams: ["bi-fresh", "bi-storage"],
    },

    // register() of actors: a consumer of the actor's name that cannot become the actor's
    {
      api: "register",
      call: "register() of an actor whose consumer has ack policy none",
      setup: consumer("bi-no-ack", {
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.New,
      }),
      run: () => registerActors(new Actor("bi-no-ack", jobs, handler)),
      error: ConsumerConflictError,
      code: ErrorCode.ConsumerConflict,
      message: /Consumer 'bi-no-ack' of stream 'bi-jobs' exists with ack_policy "none", but the actor needs "explicit"/,
      streams: ["bi-jobs"],
      consumers: [["bi-jobs", "bi-no-ack"]],
    },
    {
      api: "register",
      call: "register() of an actor whose consumer delivers all messages",
      setup: consumer("bi-all", { deliver_policy: DeliverPolicy.All }),
      run: () => registerActors(new Actor("bi-all", jobs, handler)),
      error: ConsumerConflictError,
      code: ErrorCode.ConsumerConflict,
      message: /Consumer 'bi-all' of stream 'bi-jobs' exists with deliver_policy "all", but the actor needs "new"/,
      streams: ["bi-jobs"],
      consumers: [["bi-jobs", "bi-all"]],
    },
    {
      api: "register",
      call: "register() of an actor whose consumer filters the event's subject (made by the previous version)",
      setup: consumer("bi-filtered", { deliver_policy: DeliverPolicy.New, filter_subject: "bi-jobs" }),
      run: () => registerActors(new Actor("bi-filtered", jobs, handler)),
      error: ConsumerConflictError,
      code: ErrorCode.ConsumerConflict,
      message: new RegExp(
        "Consumer 'bi-filtered' of stream 'bi-jobs' exists with filter_subject \"bi-jobs\", but the actor needs " +
          "it unset; .*Delete the consumer \\(nats consumer rm bi-jobs bi-filtered\\) so that register\\(\\) " +
          "makes it again",
      ),
      streams: ["bi-jobs"],
      consumers: [["bi-jobs", "bi-filtered"]],
    },
    {
      api: "register",
      call: "register() of an actor whose consumer filters another subject",
      setup: consumer("bi-other-filter", {
        deliver_policy: DeliverPolicy.New,
        filter_subject: "walnats-schedule.bi-jobs.x",
      }),
      run: () => registerActors(new Actor("bi-other-filter", jobs, handler)),
      error: ConsumerConflictError,
      code: ErrorCode.ConsumerConflict,
      message:
        /Consumer 'bi-other-filter' of stream 'bi-jobs' exists with filter_subject "walnats-schedule\.bi-jobs\.x", but the actor needs it unset; the consumer was left as it was$/,
      streams: ["bi-jobs"],
      consumers: [["bi-jobs", "bi-other-filter"]],
    },
    {
      api: "register",
      call: "register() of a good actor and a conflicting one creates neither consumer",
      run: () => registerActors(new Actor("bi-fresh-actor", jobs, handler), new Actor("bi-no-ack", jobs, handler)),
      error: ConsumerConflictError,
      code: ErrorCode.ConsumerConflict,
      message: /Consumer 'bi-no-ack' of stream 'bi-jobs' exists with ack_policy "none"/,
      streams: ["bi-jobs"],
      consumers: [["bi-jobs", "bi-fresh-actor"], ["bi-jobs", "bi-no-ack"]],
    },
    {
      api: "register",
      call: "register() of an actor on an event never registered",
      run: () => registerActors(new Actor("bi-ghost-actor", new Event("bi-ghost", Object), handler)),
      error: WalnatsError,
      code: ErrorCode.StreamNotFound,
      message: /Cannot register actor 'bi-ghost-actor': stream 'bi-ghost' of event 'bi-ghost' does not exist/,
      streams: ["bi-ghost"],
    },

    // emit(): nothing is published
    ...([
      ['{ uid: "" }', { uid: "" }, TypeError, /'uid' must be a non-empty string, got ""/],
      ["{ delay: -1 }", { delay: -1 }, RangeError, /'delay' must be a number of seconds >= 0, got -1/],
      ['{ at: "tomorrow" }', { at: "tomorrow" }, RangeError, /'at' must be a valid Date, got tomorrow/],
      [
        '{ meta: { "Nats-Msg-Id": "x" } }',
        { meta: { "Nats-Msg-Id": "x" } },
        TypeError,
        /'meta' header name .*'Nats-Msg-Id'/,
      ],
      ['{ meta: { team: "a\\nb" } }', { meta: { team: "a\nb" } }, TypeError, /'meta' value of 'team' .*got 'a\nb'/],
    ] as const).map(([shown, options, error, message]): ServerCase => ({
      api: "emit",
      call: `conn.emit(jobs, {}, ${shown})`,
      run: () => emit(jobs, {}, options),
      error,
      message,
      streams: ["bi-jobs", "bi-tick"],
    })),
    {
      api: "emit",
      call: "conn.emit(jobs, { n: 1n })",
      run: () => emit(jobs, { n: 1n }),
      error: TypeError,
      message: /Cannot emit 'bi-jobs': 'value' does not fit the event's schema/,
      streams: ["bi-jobs", "bi-tick"],
    },
    {
      api: "emit",
      call: 'conn.emit(tick, "yesterday")',
      run: () => emit(tick, "yesterday"),
      error: TypeError,
      message: /Cannot emit 'bi-tick': 'value' does not fit the event's schema, got 'yesterday'/,
      streams: ["bi-jobs", "bi-tick"],
    },
    {
      api: "emit",
      call: 'conn.emit("bi-jobs", {})',
      run: () => emit("bi-jobs" as Any, {}),
      error: TypeError,
      message: /'event' must be an Event, got 'bi-jobs'/,
      streams: ["bi-jobs", "bi-tick"],
    },
    {
      api: "emit",
      call: "conn.emit(an event never registered, {})",
      run: () => emit(new Event("bi-unregistered", Object), {}),
      error: WalnatsError,
      code: ErrorCode.StreamNotFound,
      message: /Cannot emit 'bi-unregistered': no stream stores it; register the event first/,
      streams: ["bi-jobs", "bi-tick", "bi-unregistered"],
    },

    // listen()
    {
      api: "Actors.listen",
      call: 'actors.listen({ signal: "stop" })',
      setup: () => registerActors(new Actor("bi-listener", jobs, handler)),
      run: () => listen(new Actor("bi-listener", jobs, handler), { signal: "stop" }),
      error: TypeError,
      message: /'signal' must be an AbortSignal, got 'stop'/,
      streams: ["bi-jobs"],
      consumers: [["bi-jobs", "bi-listener"]],
    },
    {
      api: "Actors.listen",
      call: "actors.listen({ onEvent: 5 })",
      run: () => listen(new Actor("bi-listener", jobs, handler), { onEvent: 5 }),
      error: TypeError,
      message: /'onEvent' must be a function, got 5/,
      streams: ["bi-jobs"],
      consumers: [["bi-jobs", "bi-listener"]],
    },
    {
      api: "Actors.listen",
      call: "actors.listen() for an actor never registered",
      run: () => listen(new Actor("bi-unregistered-actor", jobs, handler), { burst: true }),
      error: WalnatsError,
      code: ErrorCode.ConsumerNotFound,
      message: /Cannot listen: actor 'bi-unregistered-actor' has no consumer on stream 'bi-jobs'/,
      streams: ["bi-jobs"],
      consumers: [["bi-jobs", "bi-unregistered-actor"]],
    },

    // connect(): the server is running, the options are not usable
    {
      api: "Events.connect",
      call: 'connect({ servers, tls: { caFile: "/nonexistent/ca.pem" } })',
      run: () => new Events(jobs).connect({ servers, tls: { caFile: "/nonexistent/ca.pem" } }),
      error: WalnatsError,
      code: ErrorCode.ConnectionFailed,
      message: /'tls\.caFile' .*\/nonexistent\/ca\.pem/,
      streams: ["bi-jobs"],
    },
    {
      api: "Actors.connect",
      call: 'connect({ servers, user: "clock", pass: "s3cret", token: "t0ken" })',
      run: () => new Actors().connect({ servers, user: "clock", pass: "s3cret", token: "t0ken" }),
      error: TypeError,
      message: /give one way to authenticate, got 'user' and 'pass' and 'token'/,
      hides: "s3cret",
      streams: ["bi-jobs"],
    },
  ];
}

/** What the server holds: every stream and consumer by name, and the named ones' configs and message counts. */
async function readBack(jsm: JetStreamManager, { streams, consumers = [] }: ServerCase) {
  const names: Record<string, string[]> = {};
  for await (const info of jsm.streams.list()) {
    names[info.config.name] = [];
    for await (const ci of jsm.consumers.list(info.config.name)) names[info.config.name]?.push(ci.name);
    names[info.config.name]?.sort();
  }
  const missing = (error: unknown) => {
    if (String(error).includes("not found")) return "missing";
    throw error;
  };
  const streamInfo = await Promise.all(streams.map((name) =>
    jsm.streams.info(name).then(
      ({ config, state }) => ({ config, messages: state.messages, lastSeq: state.last_seq }),
      missing,
    )
  ));
  const consumerInfo = await Promise.all(
    consumers.map(([stream, name]) => jsm.consumers.info(stream, name).then(({ config }) => config, missing)),
  );
  return { names, streamInfo, consumerInfo };
}

Deno.test("bad input on a real server throws, names the argument and the value, and leaves the server as it was", async (t) => {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    {
      await using conn = await new Events(jobs, tick).connect({ servers: server.url });
      await conn.register();
      await conn.emit(jobs, { n: 1 });
    }
    const cases = serverCases(server.url);
    assert.ok(cases.length >= 20, `${cases.length} cases`);
    for (const input of cases) {
      await t.step(`${input.api}: ${input.call}`, async () => {
        await input.setup?.(jsm);
        const before = await readBack(jsm, input);
        await assertBadInput(input);
        assert.deepEqual(await readBack(jsm, input), before);
      });
    }
    await t.step("control: the read-back sees a stream, a consumer and a message added", async () => {
      const control: ServerCase = {
        api: "control",
        call: "register() and emit() that succeed",
        run: () => {},
        error: TypeError,
        message: /^/,
        streams: ["bi-control", "bi-jobs"],
        consumers: [["bi-jobs", "bi-control-actor"]],
      };
      const before = await readBack(jsm, control);
      {
        await using conn = await new Events(new Event("bi-control", Date)).connect({ servers: server.url });
        await conn.register();
      }
      assert.notDeepEqual(await readBack(jsm, control), before);
      const afterStream = await readBack(jsm, control);
      {
        await using actors = await new Actors(new Actor("bi-control-actor", jobs, handler)).connect({
          servers: server.url,
        });
        await actors.register();
      }
      assert.notDeepEqual(await readBack(jsm, control), afterStream);
      const afterConsumer = await readBack(jsm, control);
      {
        await using conn = await new Events(jobs).connect({ servers: server.url });
        await conn.emit(jobs, { n: 2 });
      }
      assert.notDeepEqual(await readBack(jsm, control), afterConsumer);
    });
  } finally {
    await nc.close();
  }
});
