/**
 * The shared schedule behaviours (tests/_schedule_behaviours.ts) on the
 * in-memory server of `@walnats/clock/testing`, on fake time;
 * tests/nats/schedules_behaviour_test.ts and _rest_test.ts run the same bodies on a real
 * nats-server.
 */
import { openMemory, testBehaviours } from "../_backends.ts";
import { SCHEDULE_BEHAVIOURS } from "../_schedule_behaviours.ts";

testBehaviours("memory", openMemory, SCHEDULE_BEHAVIOURS);
