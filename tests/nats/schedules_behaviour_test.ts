/**
 * The first half of the shared schedule behaviours (tests/_schedule_behaviours.ts) on a real nats-server;
 * schedules_behaviour_rest_test.ts runs the other half, so that `deno test --parallel` runs the halves at once.
 * tests/schedules/behaviour_test.ts runs every body on the in-memory server.
 */
import { testBehaviours } from "../_backends.ts";
import { SCHEDULE_BEHAVIOURS } from "../_schedule_behaviours.ts";
import { openNats } from "./_nats_backend.ts";

testBehaviours("nats", openNats, SCHEDULE_BEHAVIOURS.slice(0, Math.ceil(SCHEDULE_BEHAVIOURS.length / 2)));
