/**
 * Development-only npm packages stay out of what the command installs.
 * `deno task` installs the whole npm snapshot of deno.lock before it runs any
 * task, and Deno records every npm entry of deno.json's `imports` in that lock,
 * used or not. So the packages that only tests/ and bench/ import are not in
 * `imports`: they are imported by inline `npm:` specifiers, and the test and
 * bench tasks record them in deno.dev.lock (`--lock=deno.dev.lock`), never in
 * deno.lock.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * What only tests/ and bench/ import: the Node build's bundler, the timer bench's baseline, the secured servers'
 * JWTs, the OpenTelemetry SDK of the tracing tests (its Node SDK for examples/node/traced_tick.mjs).
 */
const DEV_ONLY = [
  "@nats-io/jwt",
  "@opentelemetry/context-async-hooks",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/sdk-trace-node",
  "esbuild",
  "node-cron",
];

/** The parts of a deno.lock (version 5) read here. */
interface Lock {
  /** `npm:name@range` → version. */
  specifiers: Record<string, string>;
  /** `name@version` → its entry; dependencies by name, or by `name@version` where the lock holds several versions. */
  npm: Record<string, { dependencies?: string[]; optionalDependencies?: string[] }>;
  /** The npm entries of deno.json's `imports`. */
  workspace: { dependencies: string[] };
}

async function readLock(name: string): Promise<Lock> {
  return JSON.parse(await Deno.readTextFile(join(ROOT, name)));
}

/** `name` of `npm:name@range` or of `name@version`. */
function packageName(specifier: string): string {
  const text = specifier.replace(/^npm:/, "");
  return text.slice(0, text.indexOf("@", 1));
}

/** The `name@version` packages of `lock` that `specifiers` need, their dependencies (optional ones too) included. */
function needed(lock: Lock, specifiers: string[]): string[] {
  const keys = Object.keys(lock.npm);
  const found = new Set<string>();
  const visit = (key: string) => {
    if (found.has(key)) return;
    found.add(key);
    const { dependencies = [], optionalDependencies = [] } = lock.npm[key] ?? {};
    for (const dependency of [...dependencies, ...optionalDependencies]) {
      const exact = keys.find((candidate) => candidate === dependency || candidate.startsWith(`${dependency}@`));
      assert.ok(exact !== undefined, `${key} needs ${dependency}, which the lock does not hold`);
      visit(exact);
    }
  };
  for (const specifier of specifiers) {
    const version = lock.specifiers[specifier];
    assert.ok(version !== undefined, `the lock does not resolve ${specifier}`);
    visit(`${packageName(specifier)}@${version}`);
  }
  return [...found].sort();
}

/** Whether `name@version` is one of `DEV_ONLY` (their dependencies are told apart by `needed`). */
const isDevOnly = (key: string) => DEV_ONLY.includes(packageName(key));

Deno.test("deno.json's imports map no development-only package, and deno.lock records exactly those imports", async () => {
  const { imports } = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const mapped = Object.values<string>(imports).filter((target) => target.startsWith("npm:"));
  assert.deepEqual(mapped.map(packageName).filter((name) => DEV_ONLY.includes(name)), []);
  const lock = await readLock("deno.lock");
  assert.deepEqual(lock.workspace.dependencies, mapped.sort());
});

Deno.test("deno.lock holds only the packages deno.json's imports need, none development-only", async () => {
  const lock = await readLock("deno.lock");
  const packages = Object.keys(lock.npm).sort();
  assert.deepEqual(
    packages.filter(isDevOnly),
    [],
    "development-only packages in deno.lock (a test or bench run without --lock=deno.dev.lock records them there)",
  );
  assert.deepEqual(Object.keys(lock.specifiers).sort(), lock.workspace.dependencies);
  assert.deepEqual(packages, needed(lock, lock.workspace.dependencies));
});

Deno.test("deno.dev.lock pins what deno.lock pins, plus the development-only packages and what they need", async () => {
  const lock = await readLock("deno.lock");
  const devLock = await readLock("deno.dev.lock");
  assert.deepEqual(devLock.workspace, lock.workspace);
  for (const [specifier, version] of Object.entries(lock.specifiers)) {
    assert.equal(devLock.specifiers[specifier], version, specifier);
  }
  for (const [key, entry] of Object.entries(lock.npm)) assert.deepEqual(devLock.npm[key], entry, key);

  const devSpecifiers = Object.keys(devLock.specifiers).filter((specifier) => !(specifier in lock.specifiers));
  assert.deepEqual(devSpecifiers.map(packageName).sort(), DEV_ONLY);
  const libraryPackages = new Set(Object.keys(lock.npm));
  assert.deepEqual(
    Object.keys(devLock.npm).filter((key) => !libraryPackages.has(key)).sort(),
    needed(devLock, devSpecifiers).filter((key) => !libraryPackages.has(key)),
  );
});

Deno.test("deno task run in a fresh checkout installs deno.lock's packages and no development-only one", async () => {
  const checkout = await Deno.makeTempDir({ prefix: "walnats-checkout-" });
  try {
    // What `deno task run` reads: the config, the lock and the command's code. No node_modules.
    for (const path of ["deno.json", "deno.lock", "mod.ts", "cli", "src", "testing"]) await copy(path, checkout);
    const lockBefore = await Deno.readTextFile(join(checkout, "deno.lock"));
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "run", "--help"],
      cwd: checkout,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    assert.equal(code, 0, `${decoder.decode(stdout)}\n${decoder.decode(stderr)}`);

    const installed = [...Deno.readDirSync(join(checkout, "node_modules", ".deno"))]
      .filter((entry) => entry.isDirectory && entry.name !== "node_modules" && !entry.name.startsWith("."))
      .map((entry) => entry.name.replace("+", "/")) // "@nats-io+kv@3.4.0" is "@nats-io/kv@3.4.0"
      .sort();
    assert.deepEqual(installed.filter(isDevOnly), []);
    assert.deepEqual(installed, Object.keys((await readLock("deno.lock")).npm).sort());
    assert.equal(
      await Deno.readTextFile(join(checkout, "deno.lock")),
      lockBefore,
      "the command's run changed deno.lock",
    );
  } finally {
    await Deno.remove(checkout, { recursive: true });
  }
});

/** Copies the file or directory `path` of the repository into `dir`, under the same path. */
async function copy(path: string, dir: string): Promise<void> {
  const from = join(ROOT, path);
  const to = join(dir, path);
  if ((await Deno.stat(from)).isFile) return await Deno.copyFile(from, to);
  await Deno.mkdir(to);
  for await (const entry of Deno.readDir(from)) await copy(join(path, entry.name), dir);
}
