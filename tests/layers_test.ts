/**
 * The source layout's rule, checked on every import: arrows only go down. Each file sits on a floor (the pure core
 * at the bottom, the adapter and the command at the top); a file imports only from its own floor or below, never
 * across to a sibling capability, and no files import each other in a circle. The imports are read as text, so a
 * change that breaks the layout fails here.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Floors from the bottom up; a prefix names a folder, a whole path a file. Capabilities on one floor are siblings. */
const FLOORS: readonly (readonly string[])[] = [
  ["deno.json", "src/_async.ts", "src/_describe.ts", "src/errors.ts"],
  ["src/core/"],
  ["src/events/"],
  ["src/clock/", "src/actors/"],
  ["src/schedules/"],
  ["src/backend.ts", "src/metrics.ts"],
  ["src/nats/"],
  ["src/connect.ts", "testing/"],
  ["mod.ts", "cli/"],
];

/** The room of `path`: its floor and which prefix of that floor holds it. */
function roomOf(path: string): { floor: number; room: string } {
  for (const [floor, rooms] of FLOORS.entries()) {
    const room = rooms.find((prefix) => prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix);
    if (room !== undefined) return { floor, room };
  }
  throw new Error(`${path} is on no floor: add it to FLOORS`);
}

/** Every .ts file of the library, the kit and the command, as paths from the root. */
async function sourceFiles(): Promise<string[]> {
  const files = ["mod.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  for (const dir of ["src/", "testing/", "cli/"]) await walk(dir);
  return files.sort();
}

/** The files of this tree that `path` imports, re-exports or names in a type (`import("…")`); relative specifiers only. */
async function importsOf(path: string): Promise<string[]> {
  // Without block comments: their examples import as a user would.
  const text = (await Deno.readTextFile(new URL(path, ROOT))).replace(/\/\*[\s\S]*?\*\//g, "");
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|^import\s+|\bimport\(\s*)"(\.{1,2}\/[^"]+\.(?:ts|json))"/gm)].map((
    m,
  ) => m[1]!);
  return specifiers.map((specifier) => new URL(specifier, new URL(path, ROOT)).href.slice(ROOT.href.length));
}

const graph = new Map<string, string[]>();
for (const file of await sourceFiles()) graph.set(file, await importsOf(file));

Deno.test("every import of src/, testing/, cli/ and mod.ts goes to its own capability or a floor below", () => {
  const up: string[] = [];
  for (const [file, imports] of graph) {
    const from = roomOf(file);
    for (const target of imports) {
      const to = roomOf(target);
      if (to.floor > from.floor || (to.floor === from.floor && to.room !== from.room && from.room.endsWith("/"))) {
        up.push(`${file} -> ${target}`);
      }
    }
  }
  assert.deepEqual(up, []);
});

Deno.test("no files import each other in a circle", () => {
  const circles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      circles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      return;
    }
    state.set(file, "open");
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(circles, []);
});

Deno.test("only src/nats/ imports nats.js; actors import nothing of the schedules", async () => {
  const natsOutside: string[] = [];
  for (const file of graph.keys()) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    if (/from\s+"@nats-io\//.test(text) && !file.startsWith("src/nats/")) {
      natsOutside.push(file);
    }
  }
  assert.deepEqual(natsOutside, []);
  const actorsToSchedules = [...graph].flatMap(([file, imports]) =>
    file.startsWith("src/actors/")
      ? imports.filter((t) => t.startsWith("src/schedules/")).map((t) => `${file} -> ${t}`)
      : []
  );
  assert.deepEqual(actorsToSchedules, []);
});
