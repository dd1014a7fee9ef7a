/**
 * The shared behaviour tests (tests/_behaviours.ts) on the in-memory server
 * of `@walnats/clock/testing`, on fake time; tests/nats/behaviour_test.ts
 * runs the same bodies on a real nats-server.
 */
import { openMemory, testBehaviours } from "./_backends.ts";
import { BEHAVIOURS } from "./_behaviours.ts";

testBehaviours("memory", openMemory, BEHAVIOURS);
