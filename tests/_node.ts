/**
 * The library on Node.js, for tests/node_test.ts and tests/nats/node_test.ts:
 * builds `mod.ts` and `testing/mod.ts` to JavaScript with esbuild, into a
 * temporary directory laid out like a Node project that installed
 * `@walnats/clock`, and runs Node scripts there with the machine's `node`.
 *
 * The package's own code is bundled (two entry points, shared chunks); its
 * npm dependencies stay external, as they do for a Node user who installs
 * the package from JSR: Node resolves them itself, from `node_modules`,
 * through their `exports` maps and its CommonJS interop. They are linked from
 * this repository's `node_modules` (the versions of deno.lock), so the test
 * needs no network.
 *
 * @module
 */
// deno-lint-ignore no-import-prefix -- development-only: kept out of deno.json and deno.lock (see deno.dev.lock)
import { build, stop, transform } from "npm:esbuild@^0.28.2";
import { basename, dirname, join } from "node:path";

/** esbuild's, for the tests that transform code with it (`stop` ends its service). */
export { stop, transform };

const ROOT = new URL("..", import.meta.url).pathname;

/** The oldest Node.js major version the library supports. */
export const NODE_MIN_MAJOR = 20;

/** The machine's Node.js: its version, or why the tests that need it are ignored. */
export const NODE: { version: string; missing?: undefined } | { version?: undefined; missing: string } = findNode();

function findNode() {
  let output: Deno.CommandOutput;
  try {
    output = new Deno.Command("node", { args: ["--version"], stdout: "piped", stderr: "piped" }).outputSync();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { missing: "node is not on PATH" };
    throw error;
  }
  // Where no node is on PATH, Deno runs itself for "node": its version says "deno ...".
  const version = new TextDecoder().decode(output.stdout).trim().split("\n")[0] ?? "";
  const major = Number(/^v(\d+)\.\d+\.\d+$/.exec(version)?.[1]);
  if (!output.success || !(major >= NODE_MIN_MAJOR)) {
    return { missing: `Node.js ${NODE_MIN_MAJOR} or newer is needed, \`node --version\` says '${version}'` };
  }
  return { version };
}

/** `name`, with the reason it is ignored when there is no usable node. */
export function nodeTestName(name: string): string {
  return NODE.missing === undefined ? name : `${name} (ignored: ${NODE.missing})`;
}

/** What a Node process did. */
export interface NodeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary Node project with the package built into `node_modules/@walnats/clock`. */
export interface NodeProject extends AsyncDisposable {
  /** The project's directory. */
  readonly dir: string;
  /** Bytes of JavaScript in the built package, every file. */
  readonly bytes: number;
  /** The npm packages the built package imports, as linked into the project. */
  readonly dependencies: Record<string, string>;
  /**
   * Runs `node ...args` in the project's directory, killed if it has not
   * ended after `timeoutMs` (a safety stop, not a measurement).
   */
  node(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<NodeRun>;
}

/** Options for {@link nodeProject}. */
export interface NodeProjectOptions {
  /** Files copied into the project's directory under their own names, e.g. the Node scripts of examples/node/. */
  files?: URL[];
  /**
   * npm packages the scripts import besides the package's own dependencies (development-only ones, such as the
   * OpenTelemetry SDK), linked from this repository's `node_modules` too: a test that names one imports it by an
   * inline `npm:` specifier, so that Deno installs it there.
   */
  packages?: string[];
}

/**
 * Builds the package into a new temporary Node project; disposing the
 * project removes the directory.
 */
export async function nodeProject(options: NodeProjectOptions = {}): Promise<NodeProject> {
  const dir = await Deno.makeTempDir({ prefix: "walnats-node-" });
  try {
    const packageDir = join(dir, "node_modules", "@walnats", "clock");
    const { bytes, imports } = await buildPackage(packageDir);
    const dependencies: Record<string, string> = {};
    for (const name of imports) dependencies[name] = await linkDependency(dir, name);
    for (const name of options.packages ?? []) await linkDependency(dir, name);
    const { name, version } = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
    await writeJson(join(packageDir, "package.json"), {
      name,
      version,
      type: "module",
      exports: { ".": "./mod.js", "./testing": "./testing.js" },
      dependencies,
    });
    await writeJson(join(dir, "package.json"), { private: true, type: "module", dependencies: { [name]: version } });
    for (const file of options.files ?? []) await Deno.copyFile(file, join(dir, basename(file.pathname)));
    return {
      dir,
      bytes,
      dependencies,
      node: (args, { env = {}, timeoutMs = 60_000 } = {}) => runNode(dir, args, env, timeoutMs),
      [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

/**
 * Bundles the package's two entry points into `outdir` (ES modules for Node
 * 20, shared code in chunks so that both import the same classes); returns
 * the bytes written and the npm packages the output imports.
 */
async function buildPackage(outdir: string): Promise<{ bytes: number; imports: string[] }> {
  try {
    const { metafile } = await build({
      absWorkingDir: ROOT,
      entryPoints: { mod: "mod.ts", testing: "testing/mod.ts" },
      outdir,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } }, // class fields as Deno emits them
      metafile: true,
      logLevel: "silent",
    });
    const outputs = Object.values(metafile.outputs);
    const imports = outputs.flatMap((output) => output.imports)
      .filter((i) => i.external && !i.path.startsWith("node:"))
      .map((i) => packageName(i.path));
    return { bytes: outputs.reduce((sum, output) => sum + output.bytes, 0), imports: [...new Set(imports)].sort() };
  } finally {
    await stop();
  }
}

/** `@scope/name` or `name`, from an import such as `@nats-io/nats-core/internal`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

/** Links `name` into the project's node_modules from this repository's; returns its version. */
async function linkDependency(dir: string, name: string): Promise<string> {
  const installed = join(ROOT, "node_modules", name);
  let target: string;
  try {
    target = await Deno.realPath(installed);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      `The project needs '${name}', which is not in ${join(ROOT, "node_modules")}: run \`deno install\` ` +
        "(deno.json maps every npm package the library uses; a test installs the development-only ones it imports)",
      { cause: error },
    );
  }
  const link = join(dir, "node_modules", name);
  await Deno.mkdir(dirname(link), { recursive: true });
  await Deno.symlink(target, link, { type: "dir" });
  return JSON.parse(await Deno.readTextFile(join(target, "package.json"))).version;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}

async function runNode(dir: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<NodeRun> {
  const stopped = new AbortController();
  const timer = setTimeout(() => stopped.abort(), timeoutMs);
  try {
    const output = await new Deno.Command("node", {
      args,
      cwd: dir,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: stopped.signal,
    }).output();
    const decoder = new TextDecoder();
    const run = { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
    if (stopped.signal.aborted) {
      throw new Error(`node ${args.join(" ")} was still running after ${timeoutMs} ms:\n${run.stdout}\n${run.stderr}`);
    }
    return run;
  } finally {
    clearTimeout(timer);
  }
}
