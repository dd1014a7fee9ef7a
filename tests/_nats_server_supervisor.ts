/**
 * The integration tests' `nats-server`: the command's embedded server
 * (cli/_nats_server.ts) plus {@linkcode NatsServer.restart} and
 * {@linkcode NatsServer.kill}, for outages; only tests call them.
 *
 * @module
 */
import { delay } from "../src/_async.ts";
import { natsServerConfig, type NatsServerOptions, NatsServerProcess } from "../cli/_nats_server.ts";

/** Signals accepted by {@linkcode NatsServer.restart}. */
export type NatsServerRestartSignal = "SIGTERM" | "SIGKILL";

/** Options for {@linkcode NatsServer.restart}. */
export interface NatsServerRestartOptions {
  /** How to stop the running process. Default: `"SIGTERM"` (then SIGKILL after 5 s). */
  signal?: NatsServerRestartSignal;
  /**
   * Milliseconds to stay down between the old process's exit and the new
   * one's start: an outage of at least this long. Default: 0.
   */
  downMs?: number;
  /** Whether the server starts again with an empty store (what it stored is gone, as on a new machine). Default: false. */
  emptyStore?: boolean;
}

/** A test's running `nats-server`, which it can restart and kill. */
export class NatsServer extends NatsServerProcess {
  /**
   * Stops the process with `signal` (default `"SIGTERM"`, then SIGKILL
   * after 5 s), waits `downMs` (default 0), and starts it again on the same
   * port with the same store directory; resolves once it accepts clients
   * again (at most 10 s after the start). Rejects after
   * {@linkcode NatsServer.stop}.
   */
  restart(options: NatsServerRestartOptions = {}): Promise<void> {
    if (this.closed) {
      return Promise.reject(new Error("NATS server was stopped"));
    }
    const { signal = "SIGTERM", downMs = 0, emptyStore = false } = options;
    if (!(Number.isFinite(downMs) && downMs >= 0)) {
      return Promise.reject(new RangeError(`'downMs' must be a finite number >= 0, got ${downMs}`));
    }
    return this.serial(async () => {
      await this.terminate(signal);
      const { storeDir } = this.config;
      if (emptyStore && storeDir !== undefined) {
        await Deno.remove(storeDir, { recursive: true });
        await Deno.mkdir(storeDir);
      }
      if (downMs > 0) await delay(downMs);
      await this.spawnAndWaitReady();
    });
  }

  /**
   * Sends `signal` (default `"SIGTERM"`) to the current process; does not
   * wait or restart. Throws if no process is running.
   */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    const child = this.running;
    if (child === undefined) {
      throw new Error("NATS server process is not running");
    }
    child.kill(signal);
  }
}

/**
 * Starts a {@linkcode NatsServer} as cli/_nats_server.ts's `startNatsServer`
 * does, one that a test can restart and kill.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const server = new NatsServer(await natsServerConfig(options));
  await server.start();
  return server;
}
