/**
 * Debian's `promtool` (package `prometheus`) for tests/metrics_test.ts and the
 * tests that check metrics and alert rules; a test that needs it is ignored
 * where it is missing (.ci/run installs it).
 *
 * @module
 */

/** Where Debian installs promtool. */
const PROMTOOL = "/usr/bin/promtool";

/** Whether promtool is installed; pass `ignore: !HAS_PROMTOOL` to the tests that run it. */
export const HAS_PROMTOOL: boolean = await Deno.stat(PROMTOOL).then(() => true, () => false);

/** Runs promtool with `args`, `input` on its stdin; its exit code and what it wrote. */
export async function promtool(args: string[], input = ""): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(PROMTOOL, { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}
