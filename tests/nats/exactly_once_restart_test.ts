/** Exactly one message per tick with three clocks in three real processes while their server restarts (periodic and cron). */
import assert from "node:assert/strict";
import { delay } from "../../src/_async.ts";
import { untilPhase } from "./_clocks.ts";
import { runThreeClocks } from "./_three_clocks.ts";

Deno.test("three clock processes store each tick once while the server restarts twice", async () => {
  let restarted = 0;
  const { messages } = await runThreeClocks("once-restart", {}, async ({ restart }) => {
    await delay(8_000);
    // Just after a tick, so that no publish is in flight: one SIGKILL, one SIGTERM.
    await untilPhase(150, 500);
    await restart("SIGKILL");
    await delay(8_000);
    await untilPhase(150, 500);
    await restart("SIGTERM");
    restarted = Date.now();
  });
  // The clocks came back after the second restart.
  const after = messages.filter((m) => Number(m.headers["Walnats-Tick"]) > restarted);
  assert.ok(after.length >= 10, `${after.length} ticks stored after the second restart`);
});

Deno.test("three cron clock processes ('* * * * * *') store each tick once while the server restarts", async () => {
  // runThreeClocks checks the stream: each tick once, 30 at least, one `emitted` report per stored tick.
  await runThreeClocks("once-cron", { cron: "* * * * * *" }, async ({ restart }) => {
    await delay(10_000);
    await untilPhase(150, 500);
    await restart("SIGKILL");
  });
});
