/**
 * The library on Node.js, without a server: the package built with esbuild
 * (tests/_node.ts) and the testing kit run by `node --test`.
 * tests/nats/node_test.ts runs a clock and an actor on Node against nats-server.
 */
import assert from "node:assert/strict";
import { NODE, nodeProject, nodeTestName, stop, transform } from "./_node.ts";

const EXAMPLES = new URL("../examples/", import.meta.url);

Deno.test("the package built for Node.js holds no Deno API and imports only the npm packages of deno.json", async () => {
  await using project = await nodeProject();
  const packageDir = `${project.dir}/node_modules/@walnats/clock`;
  const files = [...Deno.readDirSync(packageDir)].filter((entry) => entry.name.endsWith(".js"));
  assert.deepEqual(files.map((entry) => entry.name).filter((name) => !name.startsWith("chunk-")).sort(), [
    "mod.js",
    "testing.js",
  ]);
  const mentions: string[] = [];
  try {
    for (const { name } of files) {
      // Without its comments: the doc comments kept in the build may name Deno's APIs.
      const { code } = await transform(await Deno.readTextFile(`${packageDir}/${name}`), { minifyWhitespace: true });
      mentions.push(...(code.match(/\bDeno\b.{0,40}/g) ?? []).map((mention) => `${name}: ${mention}`));
    }
  } finally {
    await stop();
  }
  assert.deepEqual(mentions, []);
  assert.deepEqual(Object.keys(project.dependencies), [
    "@nats-io/jetstream",
    "@nats-io/kv",
    "@nats-io/nats-core",
    "@nats-io/transport-node",
    "@opentelemetry/api",
    "@sinonjs/fake-timers",
    "croner",
  ]);
});

Deno.test({
  name: nodeTestName(
    "on Node.js, @walnats/clock/testing passes examples/node/backup_at_midnight.test.mjs: three Berlin midnights across the end of summer time, and a retry",
  ),
  ignore: NODE.missing !== undefined,
  fn: async () => {
    await using project = await nodeProject({
      files: [new URL("node/backup_at_midnight.mjs", EXAMPLES), new URL("node/backup_at_midnight.test.mjs", EXAMPLES)],
    });
    const { code, stdout, stderr } = await project.node([
      "--test",
      "--test-reporter=tap",
      "backup_at_midnight.test.mjs",
    ]);

    const details = `${stdout}\n${stderr}`;
    assert.equal(code, 0, details);
    const results = [...stdout.matchAll(/^(ok|not ok) \d+ - (.*)$/gm)].map((m) => [m[1], m[2]]);
    const names = await testNames(new URL("testing_a_periodic_job_test.ts", EXAMPLES));
    assert.deepEqual(results, names.map((name) => ["ok", name]), details);
    assert.match(stdout, /^# pass 2$/m);
    assert.match(stdout, /^# fail 0$/m);
  },
});

Deno.test("examples/node/backup_at_midnight.test.mjs expects what examples/testing_a_periodic_job_test.ts expects", async () => {
  const deno = await Deno.readTextFile(new URL("testing_a_periodic_job_test.ts", EXAMPLES));
  const node = await Deno.readTextFile(new URL("node/backup_at_midnight.test.mjs", EXAMPLES));
  const expectations = (text: string) => text.match(/"[^"\n]*\d{4}-\d\d-\d\dT[^"\n]*"|\d[\d_ *]*_000\b/g);
  assert.ok(expectations(deno)!.length >= 7);
  assert.deepEqual(expectations(node), expectations(deno));
  assert.deepEqual(
    await testNames(new URL("node/backup_at_midnight.test.mjs", EXAMPLES)),
    await testNames(
      new URL("testing_a_periodic_job_test.ts", EXAMPLES),
    ),
  );
});

Deno.test("examples/node/backup_at_midnight.mjs has the clock and the actor of examples/backup_at_midnight.ts", async () => {
  const settings = (text: string) =>
    text.match(/^.*(?:new Clock\(|new Actor\(|filterTime\(|maxAttempts).*$/gm)?.map((l) => l.trim());
  const deno = settings(await Deno.readTextFile(new URL("backup_at_midnight.ts", EXAMPLES)));
  assert.equal(deno?.length, 4);
  assert.deepEqual(settings(await Deno.readTextFile(new URL("node/backup_at_midnight.mjs", EXAMPLES))), deno);
});

/** The names of the tests a file declares with `Deno.test("...")` or node:test's `test("...")`. */
async function testNames(file: URL): Promise<string[]> {
  const text = await Deno.readTextFile(file);
  return [...text.matchAll(/^(?:Deno\.)?test\("([^"]+)"/gm)].map((m) => m[1]!);
}
