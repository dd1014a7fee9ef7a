/**
 * README.md and docs/: the README stays a five-minute read, every relative
 * link leads somewhere, and every TypeScript block is a complete module
 * (`deno task check` type-checks them all with `deno check --doc-only`) that
 * dodges no check and is run where it can be: here the ones that need no
 * server, in tests/nats/readme_test.ts the others.
 */
import assert from "node:assert/strict";
import { docBlocks, README_BLOCKS, readmeAndDocs, readmeAndDocsBlocks, runBlock } from "./_examples.ts";

const README = new URL("../README.md", import.meta.url);

/** The lines of a Markdown text outside its fenced code blocks (a `# comment` in a shell block is no heading). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split("\n").filter((line) => {
    if (line.startsWith("```")) fenced = !fenced;
    return !fenced && !line.startsWith("```");
  });
}

/** The anchors a heading line gets, as GitHub makes them: lower case, punctuation dropped, spaces as `-`, `-1` on a repeat. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const slugs = new Set<string>();
  for (const line of prose(text)) {
    const heading = /^#+ (.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replaceAll(" ", "-");
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    slugs.add(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return slugs;
}

Deno.test("README.md reads in five minutes: at most 400 lines, a TypeScript block by line 80, its sections in order", async () => {
  const readme = await Deno.readTextFile(README);
  const lines = readme.match(/\n/g)?.length ?? 0; // as `wc -l` counts them
  assert.ok(lines <= 400, `README.md has ${lines} lines`);
  const [first] = await docBlocks(README); // the blocks Deno type-checks: TypeScript here
  assert.ok(first !== undefined && first.line <= 80, `the first TypeScript block opens on line ${first?.line}`);
  const order = [
    "Install",
    "A clock and an actor",
    "Testing your periodic jobs",
    "The worker command",
    "Schedules",
    "Deploy",
    "Documentation",
  ];
  const sections = prose(readme).flatMap((line) => /^## (.*)$/.exec(line)?.[1] ?? []);
  assert.deepEqual(sections.filter((section) => order.includes(section)), order, `sections: ${sections.join(", ")}`);
});

Deno.test("every relative link of README.md and docs/ leads to a file or folder that exists, and its anchor to a heading there", async () => {
  const broken: string[] = [];
  for (const file of await readmeAndDocs()) {
    const text = await Deno.readTextFile(file);
    for (const [, target] of prose(text).join("\n").matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split("#") as [string, string | undefined];
      const linked = new URL(path === "" ? file : path, file);
      const where = `${file.pathname.slice(new URL("../", import.meta.url).pathname.length)}: ${target}`;
      const stat = await Deno.stat(linked).catch(() => undefined);
      if (stat === undefined) broken.push(`${where} (no such file)`);
      else if (anchor !== undefined && !(stat.isFile && anchors(await Deno.readTextFile(linked)).has(anchor))) {
        broken.push(`${where} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("every TypeScript block of README.md and docs/ is type-checked (none is marked ignore), and has a plan here", async () => {
  const blocks = await readmeAndDocsBlocks();
  const where = (block: { file: URL; line: number }) => `${block.file.pathname}:${block.line}`;
  assert.deepEqual(blocks.filter((block) => block.attributes.length > 0).map(where), [], "blocks with attributes");
  assert.deepEqual(blocks.map((block) => block.section).sort(), Object.keys(README_BLOCKS).sort());
});

Deno.test("the Time filters block (docs/api.md) runs the backup for the tick of Berlin midnight only", async () => {
  const [block] = (await readmeAndDocsBlocks()).filter((block) => block.section === "Time filters");
  assert.ok(block);
  await using running = await runBlock(block);
  const { code, stdout, stderr } = await running.done();
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "backing up the night of 2026-11-25T23:00:00.000Z\n");
});

Deno.test("every flag of deno task run --help has a row in the flag tables of docs/operations.md (--config has a section of its own)", async () => {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli/main.ts", import.meta.url).pathname, "--help"],
    env: { NO_COLOR: "1" },
  }).output();
  const help = new TextDecoder().decode(stdout);
  const flags = [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1]!);
  assert.ok(flags.includes("--server"), help);
  const operations = await Deno.readTextFile(new URL("../docs/operations.md", import.meta.url));
  const rows = new Set([...operations.matchAll(/^\| `(--[a-z-]+)/gm)].map((match) => match[1]!));
  assert.deepEqual(flags.filter((flag) => !rows.has(flag) && flag !== "--help" && flag !== "--config"), []);
});
