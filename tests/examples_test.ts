/** The examples' parts that need no server; tests/nats/examples_test.ts and examples_actors_test.ts run them on one. */
import assert from "node:assert/strict";
import { type JobContext, Schedules } from "../mod.ts";
import { backupActor } from "../examples/backup_at_midnight.ts";
import { type Handled, reminder, runReminders } from "../examples/reminders.ts";
import { FakeTime, MemoryServer } from "../testing/mod.ts";
import { nextBerlinMidnight, readmeAndDocsBlocks } from "./_examples.ts";
import { HAS_PROMTOOL, promtool } from "./_promtool.ts";

const context: JobContext = { attempt: 1, seq: 1, signal: new AbortController().signal, headers: {} };

Deno.test("README's testing example is examples/testing_a_periodic_job_test.ts, importing the package, from the root", async () => {
  const example = await Deno.readTextFile(new URL("../examples/testing_a_periodic_job_test.ts", import.meta.url));
  const [block] = (await readmeAndDocsBlocks()).filter((block) => block.section === "Testing your periodic jobs");
  // README's blocks are checked from the repository's root: the example's neighbour is in examples/ from there.
  assert.equal(
    block?.code,
    example.replace('"../testing/mod.ts"', '"@walnats/clock/testing"').replace(
      '"./backup_at_midnight.ts"',
      '"./examples/backup_at_midnight.ts"',
    ),
  );
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

const RULES = new URL("../examples/walnats.rules.yml", import.meta.url);

Deno.test("the alert rules of docs/operations.md are examples/walnats.rules.yml", async () => {
  const operations = await Deno.readTextFile(new URL("../docs/operations.md", import.meta.url));
  const section = operations.slice(operations.indexOf("### Alerts"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.equal(block, await Deno.readTextFile(RULES));
});

/** A promtool unit test of the rules: ticks stop at minute 5 of a 60 s clock. */
const NO_TICK_TEST = `rule_files: [walnats.rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'walnats_last_tick_timestamp_seconds{event="minute-passed",instance="a"}'
        values: '0 60 120 180 240 300 300x10'
      - series: 'walnats_ticks_missed_total{event="minute-passed",reason="unacknowledged",instance="a"}'
        values: '0 0 0 0 0 0 1 2 3 4 5'
    alert_rule_test:
      - eval_time: 6m
        alertname: WalnatsNoTick
        exp_alerts: []
      - eval_time: 10m
        alertname: WalnatsNoTick
        exp_alerts:
          - exp_labels: { severity: critical, event: minute-passed }
            exp_annotations: { summary: "No minute-passed tick stored for two periods" }
      - eval_time: 5m
        alertname: WalnatsTicksMissed
        exp_alerts: []
      - eval_time: 8m
        alertname: WalnatsTicksMissed
        exp_alerts:
          - exp_labels: { severity: warning, instance: a, event: minute-passed, reason: unacknowledged }
            exp_annotations: { summary: "a missed minute-passed ticks (unacknowledged)" }
`;

Deno.test({
  name: "examples/walnats.rules.yml passes promtool, and alerts once no tick was stored for two periods",
  ignore: !HAS_PROMTOOL,
  fn: async () => {
    const checked = await promtool(["check", "rules", RULES.pathname]);
    assert.equal(checked.code, 0, checked.output);
    const dir = await Deno.makeTempDir();
    try {
      await Deno.copyFile(RULES, `${dir}/walnats.rules.yml`);
      await Deno.writeTextFile(`${dir}/test.yml`, NO_TICK_TEST);
      const tested = await promtool(["test", "rules", `${dir}/test.yml`]);
      assert.equal(tested.code, 0, tested.output);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("examples/reminders.ts fires each user's reminders once per tick, and none of the paused user's after the pause", async () => {
  using time = new FakeTime("2026-12-01T08:00:00Z");
  const server = new MemoryServer(time);
  const handled: Handled[] = [];
  const running = runReminders(server, (one) => void handled.push(one));
  await time.tickAsync(7_000);
  const { pausedAt } = await running;

  assert.equal(pausedAt.toISOString(), "2026-12-01T08:00:03.500Z");
  const at = (s: number) => new Date(Date.parse("2026-12-01T08:00:00Z") + s * 1000).toISOString();
  assert.deepEqual(
    handled.map(({ schedule, tick }) => `${schedule} ${tick}`).sort(),
    [
      ...[1, 2, 3, 4, 5, 6].map((s) => `remind-ada ${at(s)}`),
      ...[2, 4, 6].map((s) => `remind-bob ${at(s)}`),
      ...[1.5, 3].map((s) => `remind-cy ${at(s)}`),
    ].sort(),
  );
  assert.deepEqual(handled.find((one) => one.schedule === "remind-bob"), {
    schedule: "remind-bob",
    tick: at(2),
    user: "bob",
    text: "drink some water",
  });
  const stored = server.messages(reminder).map((m) => `${m.headers["Walnats-Schedule"]} ${m.headers["Walnats-Tick"]}`);
  assert.equal(new Set(stored).size, handled.length);
  assert.equal(stored.length, handled.length);
  await using after = await new Schedules().connect(server);
  assert.deepEqual(await Array.fromAsync(after.list()), []);
});
