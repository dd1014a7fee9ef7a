/** The clock command's HTTP server (cli/_http.ts), with no NATS server. */
import assert from "node:assert/strict";
import { HttpListenError, parseHttpAddress, serveHttp } from "../../cli/_http.ts";

Deno.test("parseHttpAddress() reads HOST:PORT, [IPv6]:PORT and :PORT for every interface", () => {
  assert.deepEqual(parseHttpAddress("127.0.0.1:9464", "--http"), { hostname: "127.0.0.1", port: 9464 });
  assert.deepEqual(parseHttpAddress("[::1]:9464", "--http"), { hostname: "::1", port: 9464 });
  assert.deepEqual(parseHttpAddress(":9464", "--http"), { hostname: "0.0.0.0", port: 9464 });
  assert.deepEqual(parseHttpAddress("localhost:0", "--http"), { hostname: "localhost", port: 0 });
  for (const bad of ["9464", "127.0.0.1", "127.0.0.1:65536", "::1:9464", "127.0.0.1:94a"]) {
    assert.throws(
      () => parseHttpAddress(bad, "--http"),
      new TypeError(
        `--http must be HOST:PORT, e.g. 127.0.0.1:9464 or :9464 for every interface, got '${bad}'`,
      ),
    );
  }
});

/** GETs `path` of `base`: status and body. */
async function get(base: string, path: string): Promise<[number, string]> {
  const response = await fetch(new URL(path, base));
  return [response.status, await response.text()];
}

Deno.test("serveHttp() answers /healthz, /readyz and /metrics from its endpoints, 404 elsewhere", async () => {
  let alive = true;
  let ready = true;
  await using server = serveHttp({ hostname: "127.0.0.1", port: 0 }, {
    alive: () => alive,
    ready: () => Promise.resolve(ready ? { ready: true } : { ready: false, reason: "the connection to NATS is lost" }),
    metrics: () =>
      Promise.resolve(new Response("walnats_connected 1\n", { headers: { "content-type": "text/plain" } })),
  });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(await get(server.url, "/healthz"), [200, "alive\n"]);
  assert.deepEqual(await get(server.url, "/readyz"), [200, "ready\n"]);
  assert.deepEqual(await get(server.url, "/metrics"), [200, "walnats_connected 1\n"]);
  assert.equal((await get(server.url, "/"))[0], 404);
  alive = false;
  ready = false;
  assert.deepEqual(await get(server.url, "/healthz"), [503, "stopped\n"]);
  assert.deepEqual(await get(server.url, "/readyz"), [503, "not ready: the connection to NATS is lost\n"]);
});

Deno.test("serveHttp() refuses connections once closed, and names the address it cannot listen on", async () => {
  const endpoints = {
    alive: () => true,
    ready: () => Promise.resolve({ ready: true as const }),
    metrics: () => Promise.resolve(new Response()),
  };
  const server = serveHttp({ hostname: "127.0.0.1", port: 0 }, endpoints);
  const port = Number(new URL(server.url).port);
  assert.throws(() => serveHttp({ hostname: "127.0.0.1", port }, endpoints), (error: unknown) => {
    assert.ok(error instanceof HttpListenError);
    assert.match(error.message, new RegExp(`^Cannot serve HTTP on 127\\.0\\.0\\.1:${port}: `));
    return true;
  });
  await server.close();
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }), Deno.errors.ConnectionRefused);
});
