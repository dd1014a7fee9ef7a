/**
 * The shared behaviour tests (tests/_behaviours.ts) on a real nats-server,
 * on real time; tests/behaviour_test.ts runs the same bodies in memory.
 */
import { testBehaviours } from "../_backends.ts";
import { BEHAVIOURS } from "../_behaviours.ts";
import { openNats } from "./_nats_backend.ts";

testBehaviours("nats", openNats, BEHAVIOURS);
