/**
 * The idle case's reference process: a Deno process that holds one NATS
 * connection and nothing else, until SIGTERM.
 *
 *     deno run --allow-net --allow-env bench/_bare_connection.ts nats://127.0.0.1:4222
 *
 * @module
 */
import { connect } from "@nats-io/transport-node";

const nc = await connect({ servers: Deno.args[0] ?? "nats://127.0.0.1:4222" });
Deno.addSignalListener("SIGTERM", () => void nc.close());
console.log("Connected.");
await nc.closed();
