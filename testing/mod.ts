/**
 * Test helpers: fake time and an in-memory stream, so that periodic code is
 * tested in milliseconds, without a server.
 *
 * @module
 */
export { FakeTime } from "./fake_time.ts";
export { MemoryPublisher } from "./memory_publisher.ts";
