/**
 * The clock command's HTTP server (`--http HOST:PORT`): `/metrics` for
 * Prometheus, `/healthz` and `/readyz` for health checks.
 *
 * @module
 */
import { messageOf } from "../src/errors.ts";
import type { Readiness } from "./_health.ts";

/** Where the server listens. */
export interface HttpAddress {
  /** An IP address or host name; `0.0.0.0` for every interface. */
  hostname: string;
  /** The TCP port; 0 for a free one. */
  port: number;
}

/** What the endpoints answer from. */
export interface Endpoints {
  /** `/healthz`: whether the worker's loop is alive. */
  alive(): boolean;
  /** `/readyz`: whether the worker can emit ticks now, and why not. */
  ready(): Promise<Readiness>;
  /** `/metrics`: the metrics in Prometheus's text format. */
  metrics(): Promise<Response>;
}

/** A running server; `close()` (or `await using`) stops it. */
export interface HttpServer extends AsyncDisposable {
  /** The server's base URL, `http://127.0.0.1:9464`, with the port it got. */
  readonly url: string;
  /** Stops accepting connections and waits for the requests in progress. */
  close(): Promise<void>;
}

/** The server could not listen: the port is taken, the address is not the machine's, or it needs privileges. */
export class HttpListenError extends Error {
  /** Always `"HttpListenError"`. */
  override name: string = "HttpListenError";
}

const ADDRESS = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/;

/**
 * Reads `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `:9464` for every interface).
 *
 * @param text the address
 * @param from where it was given, for the message: `--http`, `'http' in walnats.json`
 * @throws {TypeError} when it is not `HOST:PORT` with a port up to 65535
 */
export function parseHttpAddress(text: string, from: string): HttpAddress {
  const match = ADDRESS.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65_535) {
    throw new TypeError(`${from} must be HOST:PORT, e.g. 127.0.0.1:9464 or :9464 for every interface, got '${text}'`);
  }
  return { hostname: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/**
 * Starts the server: `GET /metrics`, `/healthz` (200 alive, 503 not) and
 * `/readyz` (200 ready, 503 with the reason); 404 elsewhere.
 *
 * @throws {HttpListenError} when it cannot listen
 */
export function serveHttp(address: HttpAddress, endpoints: Endpoints): HttpServer {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ ...address, onListen: () => {} }, (request) => answer(request, endpoints));
  } catch (error) {
    const where = `${address.hostname}:${address.port}`;
    throw new HttpListenError(`Cannot serve HTTP on ${where}: ${messageOf(error)}`, { cause: error });
  }
  const { hostname, port } = server.addr;
  const url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  const close = () => server.shutdown();
  return { url, close, [Symbol.asyncDispose]: close };
}

async function answer(request: Request, endpoints: Endpoints): Promise<Response> {
  switch (new URL(request.url).pathname) {
    case "/metrics":
      return await endpoints.metrics();
    case "/healthz":
      return endpoints.alive() ? text(200, "alive") : text(503, "stopped");
    case "/readyz": {
      const readiness = await endpoints.ready();
      return readiness.ready ? text(200, "ready") : text(503, `not ready: ${readiness.reason}`);
    }
    default:
      return text(404, "not found: try /metrics, /healthz or /readyz");
  }
}

function text(status: number, body: string): Response {
  return new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
