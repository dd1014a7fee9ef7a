/**
 * Emits one event by hand, with a dedup id and a header: the second emit
 * with the same id is dropped by the stream.
 *
 *     NATS_URL=nats://127.0.0.1:4222 deno run -A examples/emit.ts
 */
import { Event, Events } from "../mod.ts";

const ordered = new Event("order-placed", Object, { description: "A customer placed an order" });

const servers = Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222";
await using conn = await new Events(ordered).connect({ servers });
await conn.register();

const first = await conn.emit(ordered, { order: 42 }, { uid: "order-42", meta: { source: "shop" } });
const again = await conn.emit(ordered, { order: 42 }, { uid: "order-42" });
console.log(`stored as ${first.seq}, second emit duplicate: ${again.duplicate}`);
