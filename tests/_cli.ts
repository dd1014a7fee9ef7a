/**
 * The commands (cli/main.ts, cli/schedules.ts) as real processes, for tests/cli/main_test.ts
 * and tests/nats/cli_test.ts.
 *
 * @module
 */
import { settled } from "./_wait.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
/** The schedules command, cli/schedules.ts: give it as `script`. */
export const SCHEDULES_CLI = new URL("../cli/schedules.ts", import.meta.url).pathname;

/**
 * Starts the command (`script`, default cli/main.ts) as a real process; its stdout is read line by line. `detached`
 * starts it in a session of its own, as a terminal starts a job: its pid is its process group's id.
 */
export function spawnCli(args: string[], env: Record<string, string> = {}, script: string = MAIN, detached = false) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    detached,
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines()).getReader();
  const stderr = new Response(child.stderr).text();
  return { child, lines, stderr };
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) controller.enqueue(line);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

/** Reads lines until `count` of them match `pattern`; returns every line read. */
export async function readUntil(lines: ReadableStreamDefaultReader<string>, pattern: RegExp, count: number) {
  const seen: string[] = [];
  const reading = (async () => {
    while (seen.filter((line) => pattern.test(line)).length < count) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`Output ended before ${count} lines matched ${pattern}:\n${seen.join("\n")}`);
      seen.push(value);
    }
    return seen;
  })();
  return await settled(reading, { what: `${count} lines matching ${pattern}`, details: () => seen.join("\n") });
}

/** Reads the lines left, to the end of the output. */
export async function rest(lines: ReadableStreamDefaultReader<string>) {
  const seen: string[] = [];
  for (let r = await lines.read(); !r.done; r = await lines.read()) seen.push(r.value);
  return seen;
}

/** Runs the command to its end: exit code, stdout, stderr. */
export async function runToEnd(args: string[], env: Record<string, string> = {}, script: string = MAIN) {
  const { child, lines, stderr } = spawnCli(args, env, script);
  const out = await rest(lines);
  return { code: (await child.status).code, out: out.join("\n"), err: await stderr };
}
