/**
 * README.md's TypeScript blocks (and those of docs/, if any): each is a
 * complete module (`deno task check` type-checks them all with
 * `deno check --doc-only`), none dodges the check, and each is run where it
 * can be: here the ones that need no server, in tests/nats/readme_test.ts
 * the others.
 */
import assert from "node:assert/strict";
import { README_BLOCKS, readmeAndDocsBlocks, runBlock } from "./_examples.ts";

Deno.test("every TypeScript block of README.md and docs/ is type-checked (none is marked ignore), and has a plan here", async () => {
  const blocks = await readmeAndDocsBlocks();
  const where = (block: { file: URL; line: number }) => `${block.file.pathname}:${block.line}`;
  assert.deepEqual(blocks.filter((block) => block.attributes.length > 0).map(where), [], "blocks with attributes");
  assert.deepEqual(blocks.map((block) => block.section).sort(), Object.keys(README_BLOCKS).sort());
});

Deno.test("README's Time filters block runs the backup for the tick of Berlin midnight only", async () => {
  const [block] = (await readmeAndDocsBlocks()).filter((block) => block.section === "Time filters");
  assert.ok(block);
  await using running = await runBlock(block);
  const { code, stdout, stderr } = await running.done();
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "backing up the night of 2026-11-25T23:00:00.000Z\n");
});

Deno.test("every flag of deno task run --help has a row in README's flag tables (--config has a section of its own)", async () => {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli/main.ts", import.meta.url).pathname, "--help"],
    env: { NO_COLOR: "1" },
  }).output();
  const help = new TextDecoder().decode(stdout);
  const flags = [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1]!);
  assert.ok(flags.includes("--server"), help);
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const rows = new Set([...readme.matchAll(/^\| `(--[a-z-]+)/gm)].map((match) => match[1]!));
  assert.deepEqual(flags.filter((flag) => !rows.has(flag) && flag !== "--help" && flag !== "--config"), []);
});
