/**
 * Test helpers: fake time, and a NATS server in memory, so that periodic
 * code is tested in milliseconds, without a network.
 *
 * @module
 */
export { FakeTime } from "./fake_time.ts";
export type { FakeTimeOptions } from "./fake_time.ts";
export { MemoryPublisher } from "./memory_publisher.ts";
export { MemoryServer } from "./memory_server.ts";
export type { StoredMessage } from "./memory_server.ts";
