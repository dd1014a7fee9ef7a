/**
 * A TCP proxy on loopback that holds every byte the server sends for a
 * fixed time before passing it on, in order: a server that answers slowly
 * but surely, without loading the machine's CPU.
 *
 * @module
 */
import { delay } from "../../src/_async.ts";

/** A running proxy; disposing it closes its listener and every connection through it. */
export interface SlowProxy extends AsyncDisposable {
  /** The URL clients connect to, `nats://127.0.0.1:<port>`. */
  readonly url: string;
}

/**
 * Proxies loopback connections to `target` (`host:port`), delaying the
 * server's bytes by `delayMs` each; the client's bytes pass at once.
 */
export function startSlowProxy(target: { hostname: string; port: number }, delayMs: number): SlowProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const piping: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect(target);
      open.add(client).add(server);
      piping.push(pipe(client, server, 0), pipe(server, client, delayMs));
    }
  })().catch(() => {}); // the listener closed

  /** Copies `from` to `to`, each chunk `delayMs` after it arrived; ends both when either side ends. */
  async function pipe(from: Deno.Conn, to: Deno.Conn, delayMs: number): Promise<void> {
    let sent = Promise.resolve();
    try {
      for await (const chunk of from.readable.values({ preventCancel: true })) {
        const due = Date.now() + delayMs;
        sent = sent.then(() => delay(Math.max(0, due - Date.now()))).then(() => writeAll(to, chunk));
      }
    } catch {
      // a side closed
    } finally {
      await sent.catch(() => {}); // the bytes held go out, or fail on a closed side: no timer outlives the pipe
      for (const conn of [from, to]) {
        if (open.delete(conn)) conn.close();
      }
    }
  }

  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `nats://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of open) conn.close();
      open.clear();
      await Promise.all(piping);
    },
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
}
