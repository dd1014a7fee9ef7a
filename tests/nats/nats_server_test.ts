import assert from "node:assert/strict";
import { startNatsServer } from "../_nats_server_supervisor.ts";
import { waitUntil } from "../_wait.ts";
import { processesWith } from "./_processes.ts";

/** Connects to 127.0.0.1:`port` and returns the first line the server sends. */
async function readFirstLine(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const buf = new Uint8Array(4096);
    let text = "";
    while (!text.includes("\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text.split("\n")[0] ?? "";
  } finally {
    conn.close();
  }
}

/** Whether 127.0.0.1:`port` refuses a TCP connection. */
async function refuses(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return false;
  } catch {
    return true;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("startNatsServer: server answers INFO on its port", async () => {
  await using server = await startNatsServer();
  assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
  assert.ok(server.pid > 0);
  const line = await readFirstLine(server.port);
  assert.match(line, /^INFO /);
  const info = JSON.parse(line.slice("INFO ".length));
  assert.equal(info.port, server.port);
  assert.equal(info.jetstream, true);
});

Deno.test("startNatsServer: jetstream false starts without JetStream", async () => {
  await using server = await startNatsServer({ jetstream: false });
  assert.equal(server.storeDir, undefined);
  const info = JSON.parse((await readFirstLine(server.port)).slice(5));
  assert.notEqual(info.jetstream, true);
});

Deno.test("restart keeps port and store dir, server answers again", async () => {
  await using server = await startNatsServer();
  const { port, storeDir } = server;
  assert.ok(storeDir !== undefined);
  const firstPid = server.pid;

  await server.restart();
  assert.equal(server.port, port);
  assert.equal(server.storeDir, storeDir);
  assert.notEqual(server.pid, firstPid);
  assert.match(await readFirstLine(port), /^INFO /);
  assert.ok(await exists(`${storeDir}/jetstream`));

  const secondPid = server.pid;
  await server.restart({ signal: "SIGKILL" });
  assert.equal(server.port, port);
  assert.notEqual(server.pid, secondPid);
  assert.match(await readFirstLine(port), /^INFO /);
});

Deno.test("restart with downMs stays down that long, then answers on the same port", async () => {
  await using server = await startNatsServer();
  const { port, storeDir } = server;
  const firstPid = server.pid;
  const started = performance.now();
  let back = false;
  const restarted = server.restart({ signal: "SIGKILL", downMs: 500 }).finally(() => back = true);
  // Once the old process is gone and before the new one starts, the port refuses clients.
  let refused = false;
  await waitUntil(async () => back || (refused = await refuses(port)), {
    what: "the port to refuse a client, or the server to be back",
  });
  await restarted;
  assert.ok(refused, "the port kept accepting connections during the outage");
  assert.ok(performance.now() - started >= 500, "the server was back before downMs");
  assert.equal(server.port, port);
  assert.equal(server.storeDir, storeDir);
  assert.notEqual(server.pid, firstPid);
  assert.match(await readFirstLine(port), /^INFO /);
  await assert.rejects(server.restart({ downMs: -1 }), RangeError);
});

Deno.test("stop removes the temp store dir it created and is idempotent", async () => {
  const server = await startNatsServer();
  const storeDir = server.storeDir;
  assert.ok(storeDir !== undefined);
  assert.ok(await exists(storeDir));
  await Promise.all([server.stop(), server.stop()]);
  assert.equal(await exists(storeDir), false);
  await server.stop();
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: server.port }),
  );
  await assert.rejects(server.restart(), /stopped/);
});

Deno.test("stop keeps a store dir given by the caller", async () => {
  const storeDir = await Deno.makeTempDir();
  try {
    const server = await startNatsServer({ storeDir });
    assert.equal(server.storeDir, storeDir);
    await server.stop();
    assert.ok(await exists(`${storeDir}/jetstream`));
  } finally {
    await Deno.remove(storeDir, { recursive: true });
  }
});

Deno.test("stop after the process was killed externally", async () => {
  const server = await startNatsServer();
  server.kill("SIGKILL");
  await server.stop();
  assert.throws(() => server.kill(), /not running/);
});

/** The session id of process `pid` (Linux: the sixth field of /proc/PID/stat). */
async function sessionOf(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

/** The pids of the watchdogs of server process `pid`. */
const watchdogsOf = (pid: number) => processesWith(`walnats-nats-server-watchdog\0${pid}\0`);

Deno.test({
  name: "detached: each server process runs in a session of its own, with one watchdog, gone once it stopped",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const server = await startNatsServer({ detached: true });
    const firstPid = server.pid;
    assert.equal(await sessionOf(firstPid), firstPid);
    assert.notEqual(await sessionOf(firstPid), await sessionOf(Deno.pid));
    assert.equal((await watchdogsOf(firstPid)).length, 1);
    await server.restart();
    assert.equal(await sessionOf(server.pid), server.pid);
    assert.deepEqual(await watchdogsOf(firstPid), []);
    assert.equal((await watchdogsOf(server.pid)).length, 1);
    await server.stop();
    assert.deepEqual(await watchdogsOf(server.pid), []);
  },
});

Deno.test("early exit rejects with the server's last output", async () => {
  await assert.rejects(
    startNatsServer({ args: ["--no-such-flag"] }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /exited before becoming ready/);
      assert.match(error.message, /no-such-flag/);
      return true;
    },
  );
});
