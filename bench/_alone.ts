/**
 * Running one case alone (`deno run -A bench/<case>.ts`): on a throwaway
 * server, its result written into bench/results/latest.json beside the
 * others' cases, with the load it ran at.
 *
 * @module
 */
import { startNatsServer } from "../cli/_nats_server.ts";
import type { CaseResult } from "./_case.ts";

/** Runs the case `name` on a throwaway server, writes its result into latest.json, and prints it. */
export async function runAlone(name: string, run: (url: string) => Promise<CaseResult>): Promise<void> {
  const loadavgBefore = Deno.loadavg();
  const startedAt = new Date().toISOString();
  const server = await startNatsServer();
  let result: CaseResult;
  try {
    result = await run(server.url);
  } finally {
    await server.stop();
  }
  const file = new URL("./results/latest.json", import.meta.url);
  const latest = JSON.parse(await Deno.readTextFile(file));
  latest.cases[name] = result;
  latest.envOf = { ...latest.envOf, [name]: { startedAt, loadavgBefore, loadavgAfter: Deno.loadavg() } };
  await Deno.writeTextFile(file, JSON.stringify(latest, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
}
