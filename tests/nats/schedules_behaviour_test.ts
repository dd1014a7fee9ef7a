/**
 * The shared schedule behaviours (tests/_schedule_behaviours.ts) on a real
 * nats-server; tests/schedules/behaviour_test.ts runs the same bodies on the
 * in-memory server.
 */
import { testBehaviours } from "../_backends.ts";
import { SCHEDULE_BEHAVIOURS } from "../_schedule_behaviours.ts";
import { openNats } from "./_nats_backend.ts";

testBehaviours("nats", openNats, SCHEDULE_BEHAVIOURS);
