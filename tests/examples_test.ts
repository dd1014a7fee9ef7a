/** The examples' parts that need no server; tests/nats/examples_test.ts and examples_actors_test.ts run them on one. */
import assert from "node:assert/strict";
import type { JobContext } from "../mod.ts";
import { backupActor } from "../examples/backup_at_midnight.ts";
import { nextBerlinMidnight } from "./_examples.ts";

const context: JobContext = { attempt: 1, seq: 1, signal: new AbortController().signal, headers: {} };

Deno.test("README's testing example is examples/testing_a_periodic_job_test.ts, importing the package", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const example = await Deno.readTextFile(new URL("../examples/testing_a_periodic_job_test.ts", import.meta.url));
  const section = readme.slice(readme.indexOf("## Testing your periodic jobs"));
  const block = /```ts ignore\n([\s\S]*?)```/.exec(section)?.[1];
  assert.equal(block, example.replace('"../testing/mod.ts"', '"@walnats/clock/testing"'));
});

Deno.test("examples/backup_at_midnight.ts: the backup actor skips the ticks that are not Berlin midnight", async () => {
  const midnight = nextBerlinMidnight(Date.now());
  const backups: number[] = [];
  const actor = backupActor((tick) => void backups.push(tick.getTime()));
  for (
    const tick of [midnight - 3_600_000, midnight + 3_600_000, midnight + 12 * 3_600_000, midnight + 23 * 3_600_000]
  ) {
    await actor.handler(new Date(tick), context);
  }
  assert.deepEqual(backups, []);
  await actor.handler(new Date(midnight), context);
  assert.deepEqual(backups, [midnight]);
});
