/**
 * Starts a throwaway `nats-server` child process: the CLI's embedded server
 * (when the user gives no server URL). The integration tests' server extends
 * it with restarts and kills (tests/_nats_server_supervisor.ts).
 *
 * Internal module (leading underscore): not part of the published API.
 *
 * @module
 */
import { delay } from "../src/_async.ts";

/** How long to wait for the server to accept clients, in milliseconds. */
const READY_TIMEOUT_MS = 10_000;
/** Delay between two readiness probes, in milliseconds. */
const POLL_INTERVAL_MS = 20;
/** Longest wait for the `INFO` line on one probe connection, in milliseconds. */
const PROBE_READ_TIMEOUT_MS = 1_000;
/** Grace period between SIGTERM and SIGKILL on stop, in milliseconds. */
const KILL_AFTER_MS = 5_000;
/**
 * Output lines (stdout and stderr together) kept for error messages: the
 * first few (a startup error such as a bad flag comes first, before a long
 * usage text) and the last 50.
 */
const OUTPUT_HEAD_LINES = 10;
const OUTPUT_TAIL_LINES = 50;

/**
 * Thrown by {@linkcode startNatsServer} when the `nats-server` binary
 * cannot be found on `PATH`.
 */
export class NatsServerNotFoundError extends Error {
  /** Always `"NatsServerNotFoundError"`. */
  override name: string = "NatsServerNotFoundError";
  /** The binary name or path that was not found. */
  readonly binary: string;

  /**
   * Creates the error, with installation hints in the message.
   *
   * @param binary The binary name or path that was not found.
   * @param options Standard error options (e.g. `cause`).
   */
  constructor(binary: string, options?: ErrorOptions) {
    super(
      `NATS server binary "${binary}" not found on PATH. Install it with ` +
        "`apt-get install nats-server` (Debian/Ubuntu: it lands in /usr/sbin, which a user's PATH may lack) or " +
        "`brew install nats-server` (macOS), or download a release binary " +
        "from https://github.com/nats-io/nats-server/releases and put it on PATH.",
      options,
    );
    this.binary = binary;
  }
}

/** Options for {@linkcode startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream (`-js`). Default: `true`. */
  jetstream?: boolean;
  /** TCP port for clients on 127.0.0.1. Default: a free loopback port. */
  port?: number;
  /**
   * JetStream store directory (`-sd`). Default: a new temporary directory,
   * removed on {@linkcode NatsServer.stop}. Only used when JetStream is on.
   */
  storeDir?: string;
  /** Extra command-line flags, appended after the generated ones. */
  args?: string[];
  /** Binary name or path. Default: `"nats-server"` (looked up on `PATH`). */
  binary?: string;
  /**
   * Run the server in a session of its own (`setsid`), out of this
   * process's group, so that a terminal's Ctrl-C, which reaches the whole
   * foreground group, leaves it to {@linkcode NatsServer.stop} (after the
   * clients have drained). A watchdog (`sh`, in a session of its own too)
   * sends the server SIGTERM when this process ends without stopping it,
   * however it ends, SIGKILL included; the store directory is then left
   * behind. Default: `false`.
   */
  detached?: boolean;
}

/** One running `nats-server` process and its output drains. */
interface Proc {
  child: Deno.ChildProcess;
  /** The detached server's watchdog: it stops the server when its stdin closes, as it does when this process ends. */
  watchdog: Deno.ChildProcess | undefined;
  status: Promise<Deno.CommandStatus>;
  /** Resolves when stdout and stderr were read to the end. */
  drained: Promise<void>;
  exited: boolean;
}

/** What {@linkcode NatsServerProcess} runs: {@linkcode NatsServerOptions} with their defaults. */
export interface NatsServerConfig {
  binary: string;
  port: number;
  jetstream: boolean;
  storeDir: string | undefined;
  ownsStoreDir: boolean;
  serverName: string;
  /** False when user args may override the server name. */
  checkName: boolean;
  args: string[];
  detached: boolean;
}

/**
 * A running `nats-server` child process started by
 * {@linkcode startNatsServer}. Stop it with {@linkcode NatsServer.stop}
 * or `await using`.
 */
export interface NatsServer extends AsyncDisposable {
  /** Client URL, `nats://127.0.0.1:PORT`. */
  readonly url: string;
  /** TCP port for clients on 127.0.0.1 (unchanged by a test's restarts). */
  readonly port: number;
  /**
   * JetStream store directory (unchanged by a test's restarts); `undefined` when
   * JetStream is off.
   */
  readonly storeDir: string | undefined;
  /** Process id of the current (or, once stopped, the last) server process. */
  readonly pid: number;
  /**
   * What the current process wrote to stdout/stderr: its first 10 and last
   * 50 lines.
   */
  readonly output: readonly string[];
  /**
   * Stops the server: SIGTERM, then SIGKILL if it has not exited after 5 s;
   * resolves once it exited. Removes the store directory only if
   * {@linkcode startNatsServer} created it. Idempotent.
   */
  stop(): Promise<void>;
  /** Same as {@linkcode NatsServer.stop}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The process behind a {@linkcode NatsServer}; tests extend it with restarts
 * and kills, so the steps they are made of are protected.
 */
export class NatsServerProcess implements NatsServer {
  protected readonly config: NatsServerConfig;
  #proc: Proc | undefined;
  #pid = 0;
  #outputHead: string[] = [];
  #output: string[] = [];
  #outputSkipped = 0;
  #closed = false;
  #stopped: Promise<void> | undefined;
  /** Serializes stop and a test's restarts. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(config: NatsServerConfig) {
    this.config = config;
  }

  /** Spawns the first process; removes an owned store dir on failure. */
  async start(): Promise<void> {
    try {
      await this.spawnAndWaitReady();
    } catch (error) {
      await this.#removeOwnedStoreDir();
      throw error;
    }
  }

  get url(): string {
    return `nats://127.0.0.1:${this.config.port}`;
  }

  get port(): number {
    return this.config.port;
  }

  get storeDir(): string | undefined {
    return this.config.storeDir;
  }

  get pid(): number {
    return this.#pid;
  }

  get output(): readonly string[] {
    return this.#outputSkipped === 0 ? [...this.#outputHead, ...this.#output] : [
      ...this.#outputHead,
      `[... ${this.#outputSkipped} lines skipped ...]`,
      ...this.#output,
    ];
  }

  stop(): Promise<void> {
    this.#closed = true;
    return this.#stopped ??= this.serial(async () => {
      await this.terminate("SIGTERM");
      await this.#removeOwnedStoreDir();
    });
  }

  /** Whether {@linkcode NatsServer.stop} was called. */
  protected get closed(): boolean {
    return this.#closed;
  }

  /** The current process, `undefined` when none is running. */
  protected get running(): Deno.ChildProcess | undefined {
    const proc = this.#proc;
    return proc === undefined || proc.exited ? undefined : proc.child;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Runs `fn` after every stop or restart queued before it. */
  protected serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => {});
    return result;
  }

  #log(line: string): void {
    if (this.#outputHead.length < OUTPUT_HEAD_LINES) {
      this.#outputHead.push(line);
      return;
    }
    this.#output.push(line);
    if (this.#output.length > OUTPUT_TAIL_LINES) {
      this.#output.shift();
      this.#outputSkipped++;
    }
  }

  #spawn(): Proc {
    const c = this.config;
    const args = ["-a", "127.0.0.1", "-p", String(c.port), "-n", c.serverName];
    if (c.jetstream && c.storeDir !== undefined) {
      args.push("-js", "-sd", c.storeDir);
    }
    args.push(...c.args);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(c.binary, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        detached: c.detached,
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new NatsServerNotFoundError(c.binary, { cause: error });
      }
      throw error;
    }
    const proc: Proc = {
      child,
      watchdog: c.detached ? this.#watchdogOf(child) : undefined,
      status: child.status.then((status) => {
        proc.exited = true;
        return status;
      }),
      drained: Promise.all([
        drainLines(child.stdout, (l) => this.#log(l)),
        drainLines(child.stderr, (l) => this.#log(l)),
      ]).then(() => {}),
      exited: false,
    };
    this.#proc = proc;
    this.#pid = child.pid;
    return proc;
  }

  /** The {@linkcode watchdog} of `child`; `child` is killed when there can be none. */
  #watchdogOf(child: Deno.ChildProcess): Deno.ChildProcess {
    try {
      return watchdog(child.pid);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
  }

  /** Starts a process and waits until it accepts clients (at most 10 s). */
  protected async spawnAndWaitReady(): Promise<void> {
    this.#outputHead = [];
    this.#output = [];
    this.#outputSkipped = 0;
    const proc = this.#spawn();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (true) {
      if (proc.exited) {
        const { code, signal } = await proc.status;
        await this.terminate("SIGKILL");
        throw this.#startError(
          `exited before becoming ready (code ${code}${signal ? `, signal ${signal}` : ""})`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        await this.terminate("SIGKILL");
        throw this.#startError(
          `was not ready after ${READY_TIMEOUT_MS} ms`,
        );
      }
      const info = await probeInfo(
        this.config.port,
        Math.min(left, PROBE_READ_TIMEOUT_MS),
      );
      if (info !== undefined && this.#isOurs(info)) return;
      await delay(POLL_INTERVAL_MS);
    }
  }

  /**
   * Readiness signal: the first line on a client connection is `INFO {...}`
   * with our server name and, when JetStream is on, `"jetstream":true`.
   * nats-server 2.9 enables JetStream (store recovery included) before it
   * opens the client listener (its log shows the JetStream banner before
   * "Listening for client connections" and "Server is ready"), so a
   * connection that gets INFO implies JetStream is ready. This avoids log
   * parsing, which flags like `-l`, `-q` or `--syslog` would break, and the
   * server name check rejects some other process that holds the port.
   */
  #isOurs(info: Record<string, unknown>): boolean {
    const c = this.config;
    if (c.checkName && info["server_name"] !== c.serverName) return false;
    if (c.jetstream && info["jetstream"] !== true) return false;
    return true;
  }

  #startError(what: string): Error {
    const c = this.config;
    const output = this.output;
    const tail = output.length > 0 ? `\nOutput:\n${output.join("\n")}` : "\n(no output)";
    return new Error(
      `nats-server (${c.binary}, port ${c.port}) ${what}.${tail}`,
    );
  }

  /** Signals the current process, waits for exit and for its output. */
  protected async terminate(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const proc = this.#proc;
    if (proc === undefined) return;
    // The watchdog goes first: it must never signal the server's pid once that may belong to another process.
    if (proc.watchdog !== undefined) await endWatchdog(proc.watchdog);
    this.#trySignal(proc, signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (signal !== "SIGKILL") {
      timer = setTimeout(() => this.#trySignal(proc, "SIGKILL"), KILL_AFTER_MS);
    }
    try {
      await proc.status;
    } finally {
      clearTimeout(timer);
    }
    await proc.drained;
    if (this.#proc === proc) this.#proc = undefined;
  }

  #trySignal(proc: Proc, signal: Deno.Signal): void {
    if (proc.exited) return;
    try {
      proc.child.kill(signal);
    } catch {
      // Exited between the check and the kill.
    }
  }

  async #removeOwnedStoreDir(): Promise<void> {
    const c = this.config;
    if (!c.ownsStoreDir || c.storeDir === undefined) return;
    try {
      await Deno.remove(c.storeDir, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/**
 * Starts `nats-server -a 127.0.0.1 -p PORT [-js -sd STOREDIR] ...args` and
 * resolves once it accepts clients (at most 10 s).
 *
 * @throws {NatsServerNotFoundError} if the binary is not on `PATH`.
 * @throws {Error} if the server exits early or is not ready in 10 s; the
 * message includes its last output lines.
 */
export async function startNatsServer(
  options: NatsServerOptions = {},
): Promise<NatsServer> {
  const server = new NatsServerProcess(await natsServerConfig(options));
  await server.start();
  return server;
}

/** The configuration of `options`: a free port and a new store directory unless given. */
export async function natsServerConfig(options: NatsServerOptions): Promise<NatsServerConfig> {
  const jetstream = options.jetstream ?? true;
  const args = options.args ?? [];
  const port = options.port ?? freeLoopbackPort();
  let storeDir = options.storeDir;
  let ownsStoreDir = false;
  if (jetstream && storeDir === undefined) {
    storeDir = await Deno.makeTempDir({ prefix: "walnats-clock-nats-" });
    ownsStoreDir = true;
  }
  return {
    binary: options.binary ?? "nats-server",
    port,
    jetstream,
    storeDir,
    ownsStoreDir,
    serverName: `walnats-clock-${crypto.randomUUID()}`,
    checkName: !args.some((a) => /^--?(n|name|server_name)(=|$)/.test(a)),
    args,
    detached: options.detached ?? false,
  };
}

/**
 * Starts `sh` in a session of its own to send SIGTERM to `pid` once its
 * stdin closes: when {@linkcode endWatchdog} is not called first, that is
 * when this process ends, the kernel closing its end of the pipe.
 */
function watchdog(pid: number): Deno.ChildProcess {
  return new Deno.Command("sh", {
    args: ["-c", 'read -r _; kill -TERM "$1"', "walnats-nats-server-watchdog", String(pid)],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
}

/** Ends a {@linkcode watchdog} without letting it signal anything. */
async function endWatchdog(watchdog: Deno.ChildProcess): Promise<void> {
  try {
    watchdog.kill("SIGKILL");
  } catch {
    // It ended already.
  }
  await watchdog.status;
  await watchdog.stdin.close();
}

/** A loopback TCP port that was free a moment ago. */
function freeLoopbackPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    return listener.addr.port;
  } finally {
    listener.close();
  }
}

/** Reads `stream` to its end, calling `onLine` for each line. */
async function drainLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line.trimEnd());
    }
  } catch {
    // The stream broke; nothing more to read.
  }
  pending += decoder.decode();
  if (pending !== "") onLine(pending.trimEnd());
}

/**
 * Connects to 127.0.0.1:`port` and parses the first line if it is
 * `INFO {json}`; `undefined` if the connection or the read fails, or if no
 * full line arrives within `timeoutMs` milliseconds.
 */
async function probeInfo(
  port: number,
  timeoutMs: number,
): Promise<Record<string, unknown> | undefined> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return undefined;
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    conn.close();
  };
  // Closing the connection makes a pending read fail, so no read outlives us.
  const timer = setTimeout(close, timeoutMs);
  try {
    const buf = new Uint8Array(4096);
    let text = "";
    while (!text.includes("\n") && text.length < 65_536) {
      const n = await conn.read(buf);
      if (n === null) return undefined;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const line = text.split("\n")[0]?.trimEnd() ?? "";
    if (!line.startsWith("INFO ")) return undefined;
    const info: unknown = JSON.parse(line.slice("INFO ".length));
    return typeof info === "object" && info !== null ? info as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    close();
  }
}
