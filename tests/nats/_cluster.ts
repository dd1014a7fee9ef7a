/**
 * A 3-node nats-server cluster on loopback (JetStream, R3 streams), for
 * what a single server cannot show: a stream without a leader.
 *
 * @module
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type NatsServer, startNatsServer } from "../_nats_server_supervisor.ts";
import { waitUntil } from "../_wait.ts";

/** The three servers, by server name (`n1`, `n2`, `n3`); stopped by `await using`. */
export interface Cluster extends AsyncDisposable {
  readonly servers: ReadonlyMap<string, NatsServer>;
  /** Every client URL, comma-separated. */
  readonly urls: string;
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    return listener.addr.port;
  } finally {
    listener.close();
  }
}

/** Starts the cluster and resolves once JetStream answers on every server (it takes a few seconds). */
export async function startCluster(): Promise<Cluster> {
  const names = ["n1", "n2", "n3"];
  const routePorts = names.map(() => freePort());
  const routes = routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(",");
  const servers = new Map<string, NatsServer>();
  const cluster: Cluster = {
    servers,
    get urls() {
      return [...servers.values()].map((server) => server.url).join(",");
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([...servers.values()].map((server) => server.stop()));
    },
  };
  try {
    await Promise.all(names.map(async (name, i) => {
      const args = ["-n", name, "--cluster_name", "walnats", "--cluster", `nats://127.0.0.1:${routePorts[i]}`];
      servers.set(name, await startNatsServer({ args: [...args, "--routes", routes] }));
    }));
    for (const server of servers.values()) {
      await waitUntil(() => hasMetaLeader(server.url), { what: `JetStream on ${server.url} to answer` });
    }
    return cluster;
  } catch (error) {
    await cluster[Symbol.asyncDispose]();
    throw error;
  }
}

async function hasMetaLeader(url: string): Promise<boolean> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1_000 });
    const info = await jsm.getAccountInfo();
    return info !== undefined;
  } catch {
    return false;
  } finally {
    await nc.close();
  }
}
