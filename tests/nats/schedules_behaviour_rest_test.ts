/** The second half of the shared schedule behaviours on a real nats-server: see schedules_behaviour_test.ts. */
import { testBehaviours } from "../_backends.ts";
import { SCHEDULE_BEHAVIOURS } from "../_schedule_behaviours.ts";
import { openNats } from "./_nats_backend.ts";

testBehaviours("nats", openNats, SCHEDULE_BEHAVIOURS.slice(Math.ceil(SCHEDULE_BEHAVIOURS.length / 2)));
