/**
 * Instants and time sources for the tests of examples/: tests/examples_test.ts
 * and the ones in tests/nats/.
 *
 * @module
 */
import assert from "node:assert/strict";
import { systemTime, type TimeSource } from "../mod.ts";

/** The first instant after `afterMs` that is 00:00 on Berlin's wall clock (always 22:00 or 23:00 UTC). */
export function nextBerlinMidnight(afterMs: number): number {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin",
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
  });
  const day = Math.floor(afterMs / 86_400_000) * 86_400_000;
  const candidates = [-1, 0, 1, 2].flatMap((d) => [22, 23].map((h) => day + d * 86_400_000 + h * 3_600_000));
  const midnight = candidates.sort((a, b) => a - b).find((t) => t > afterMs && format.format(t) === "00:00");
  assert.ok(midnight !== undefined);
  return midnight;
}

/**
 * The system's time, shifted so that its first `now()` reads `startMs`; it
 * runs at the real pace from there. However long a test takes to set up
 * before the clock reads the time, the clock starts at `startMs`.
 */
export function startingAt(startMs: number): TimeSource {
  let offsetMs: number | undefined;
  return {
    now: () => {
      const real = systemTime.now();
      offsetMs ??= startMs - real;
      return real + offsetMs;
    },
    sleep: systemTime.sleep,
  };
}

/** A TypeScript block of a Markdown file, such as README.md's. */
export interface DocBlock {
  /** The Markdown file. */
  file: URL;
  /** The line of its opening fence, from 1. */
  line: number;
  /** The heading it stands under, without the `#`s: its section. */
  section: string;
  /** The words after the language on the opening fence, e.g. `["ignore"]`. */
  attributes: string[];
  /** The code, as `deno check --doc-only` reads it. */
  code: string;
}

/** The fence languages that `deno check --doc-only` and `deno test --doc` take as code. */
const CODE_LANGUAGES = new Set(["js", "javascript", "mjs", "cjs", "jsx", "ts", "typescript", "mts", "cts", "tsx"]);

/** Every code block of a Markdown file that Deno type-checks, with the section it stands in. */
export async function docBlocks(file: URL): Promise<DocBlock[]> {
  const lines = (await Deno.readTextFile(file)).split("\n");
  const blocks: DocBlock[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^#+ (.*)$/.exec(line);
    if (heading) section = heading[1]!;
    const fence = /^```(\S*)(.*)$/.exec(line);
    if (!fence) continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `${file.pathname}:${i + 1}: a code block without its closing fence`);
    if (CODE_LANGUAGES.has(fence[1]!)) {
      const attributes = fence[2]!.split(/\s+/).filter((word) => word !== "");
      blocks.push({ file, line: i + 1, section, attributes, code: lines.slice(i + 1, end).join("\n") + "\n" });
    }
    i = end;
  }
  return blocks;
}

/** README.md and every Markdown file under docs/. */
export async function readmeAndDocs(): Promise<URL[]> {
  const root = new URL("../", import.meta.url);
  const files = [new URL("README.md", root)];
  const walk = async (dir: URL): Promise<void> => {
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isDirectory) await walk(new URL(`${entry.name}/`, dir));
        else if (entry.name.endsWith(".md")) files.push(new URL(entry.name, dir));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  };
  await walk(new URL("docs/", root));
  return files;
}

/** README.md's code blocks, and those of every Markdown file under docs/. */
export async function readmeAndDocsBlocks(): Promise<DocBlock[]> {
  return (await Promise.all((await readmeAndDocs()).map(docBlocks))).flat();
}

/**
 * How the tests treat each block, keyed by the heading it stands under (in README.md or a docs/ page):
 * `run` (tests/readme_test.ts runs it, no server), `run on a server` (tests/nats/readme_test.ts runs it
 * against a nats-server of its own and stops it with SIGINT, as Ctrl-C does), or a sentence saying why
 * it is only type-checked.
 */
export const README_BLOCKS: Record<string, string> = {
  // README.md
  "A clock and an actor": "run on a server",
  "Testing your periodic jobs":
    "run as examples/testing_a_periodic_job_test.ts, which tests/examples_test.ts finds equal to it",
  // docs/api.md
  "Clock": "run on a server",
  "Actors": "run on a server",
  "Time filters": "run",
  // docs/schedules.md
  "Schedules from code": "run on a server",
  // docs/operations.md
  "Metrics in your own processes": "run on a server",
  "Running on a cluster": "type-checked only: it needs a 3-node cluster (tests/chaos/ runs clocks on one)",
  // docs/policies.md
  "Overlap":
    "type-checked only: its handler calls an outside service (tests/nats/overlap_processes_test.ts runs the policy)",
};

/**
 * A block running as a program of its own (`deno run -A -`, the code on stdin), and what it printed so far.
 * Disposing it kills the process if it still runs (a test that failed before it stopped the block).
 */
export interface RunningBlock extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Standard output so far. */
  readonly stdout: () => string;
  /** Waits for the end: exit code, the whole stdout and stderr. */
  readonly done: () => Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * Runs a block the way a user who pasted it into a file would, from the
 * directory of its Markdown file (whose deno.json maps `@walnats/clock` to
 * this package), with `env` added to the environment.
 */
export async function runBlock(block: DocBlock, env: Record<string, string> = {}): Promise<RunningBlock> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "-"],
    cwd: new URL(".", block.file).pathname,
    env: { NO_COLOR: "1", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) stdout += chunk;
  })();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(block.code));
  await writer.close();
  const done = async () => {
    const { code } = await child.status;
    await reading;
    return { code, stdout, stderr: await stderr };
  };
  let exited = false;
  child.status.then(() => exited = true);
  return {
    child,
    stdout: () => stdout,
    done,
    [Symbol.asyncDispose]: async () => {
      if (!exited) child.kill("SIGKILL");
      await done();
    },
  };
}
