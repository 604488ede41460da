// A whole node on this machine: the runtime (auto|process|containerd, chosen by src/runtime/select.ts once
// the node's pod CIDR is known), the node's HTTPS server (src/agent/server) and the agent, with the
// credentials it was given. Shared by `skiff agent` and the node embedded in `skiff up`. It wires; it
// decides nothing itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../client/client.js';
import type { RuntimeChoice } from '../runtime/select.js';
import { parseResolvConf } from '../network/dns/pod-dns-config.js';
import { cgroupRootFor, startAgent, type Agent } from './agent.js';
import type { Reservation } from './node-status.js';

export interface NodeConfig {
  client: ApiClient;
  nodeName: string;
  dataDir: string;
  runtime: RuntimeChoice;
  /** Address the node reports (InternalIP) and the server listens on unless serverHost is given. */
  nodeIP: string;
  /** Where the node server listens (default nodeIP); with advertiseEndpoint its URL goes in an annotation. */
  serverHost?: string;
  kubeletPort: number;
  advertiseEndpoint?: boolean;
  /** Cluster CA (verifies clients of the node server) and the server's own certificate. */
  tls: { ca: string; cert: string; key: string };
  clusterDns: string[];
  clusterDomain: string;
  /** CNI bridge of this node's pod network (unique per cluster on one host). */
  bridge: string;
  containerdSocket?: string;
  reservation: Reservation;
  maxPods: number;
  labels?: Record<string, string>;
  /** Upstream --sync-frequency (default 1 min). */
  syncFrequencyMs?: number;
  /** Container log rotation (--container-log-max-size/--container-log-max-files; default 10Mi, 5). */
  logRotation?: { maxSizeBytes?: number; maxFiles?: number };
  /**
   * Service proxy and cluster DNS on this node (src/network/proxy/node-service-networking.ts); absent = none.
   * clusterCidr: the cluster's pod addresses (traffic to cluster IPs from elsewhere is masqueraded).
   */
  serviceNetworking?: { clusterCidr?: string };
  log: (line: string) => void;
}

export interface NodeHandle {
  agent: Agent;
  /** removePods: stop and remove every pod (and what the runtime set up for them), as `skiff up` does. */
  stop(opts?: { removePods?: boolean }): Promise<void>;
}

function hostResolvConf() {
  try {
    return parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8'));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}

export async function startNode(c: NodeConfig): Promise<NodeHandle> {
  const [{ selectRuntime }, { startAgentServer }] = await Promise.all([import('../runtime/select.js'), import('./server/index.js')]);
  // Services and DNS first: pods started by the agent resolve names and reach Services from the start.
  let networking: { stop(): Promise<void> } | undefined;
  const warnings: { reason: string; message: string }[] = [];
  if (c.serviceNetworking && c.clusterDns[0]) {
    const { startNodeServiceNetworking } = await import('../network/proxy/node-service-networking.js');
    try {
      const n = await startNodeServiceNetworking({
        client: c.client,
        nodeName: c.nodeName,
        nodeIPs: [c.nodeIP],
        instanceId: cgroupRootFor(c.dataDir).slice('skiff-'.length),
        clusterCIDR: c.serviceNetworking.clusterCidr,
        clusterDns: c.clusterDns[0],
        clusterDomain: c.clusterDomain,
        log: c.log,
      });
      for (const w of n.warnings) c.log(`agent: service networking degraded (${w.reason}): ${w.message}`);
      warnings.push(...n.warnings);
      networking = n;
    } catch (e) {
      // Degrade loudly: pods still run, but Services and cluster DNS do not work on this node.
      const message = `service networking did not start, Services and cluster DNS will not work on node ${c.nodeName}: ${(e as Error).message}`;
      c.log(`agent: ${message}`);
      warnings.push({ reason: 'ServiceNetworkingFailed', message });
    }
  }
  // Pods reach pods on other nodes: routes to their pod CIDRs via their InternalIPs (needs root).
  const routes = process.getuid?.() === 0 ? await import('../network/routes/index.js').then((m) => m.startNodeRoutes({ client: c.client, nodeName: c.nodeName, log: c.log })) : undefined;
  let agent: Agent;
  try {
    agent = await startAgent({
    client: c.client,
    nodeName: c.nodeName,
    dataDir: c.dataDir,
    nodeIP: c.nodeIP,
    labels: c.labels,
    reservation: c.reservation,
    maxPods: c.maxPods,
    clusterDns: { servers: c.clusterDns, domain: c.clusterDomain, host: hostResolvConf() },
    log: c.log,
    advertiseEndpoint: c.advertiseEndpoint,
    syncFrequencyMs: c.syncFrequencyMs,
    ...(c.logRotation ? { logRotation: c.logRotation } : {}),
    warnings,
    runtime: async ({ podCIDR }) => {
      const choice = await selectRuntime({
        choice: c.runtime,
        containerdSocket: c.containerdSocket,
        process: { stateDir: join(c.dataDir, 'runtime', 'process'), bridge: c.bridge, podCIDR, hostIPs: [c.nodeIP], cgroupRoot: cgroupRootFor(c.dataDir), log: c.log },
        // Files under <agent dir>/runtime/containerd, registries.yaml read from <agent dir>/runtime.
        startContainerd: async (socket) => {
          const { containerdStarter } = await import('../runtime/containerd/index.js');
          return containerdStarter({ dataDir: join(c.dataDir, 'runtime'), podCidr: podCIDR, bridge: c.bridge, log: c.log })(socket);
        },
        log: c.log,
      });
      c.log(`agent: node ${c.nodeName} runs pods with the ${choice.runtime.name} runtime (${choice.reason})`);
      return choice.runtime;
    },
    startServer: (runtime) =>
      startAgentServer({ runtime, nodeName: c.nodeName, host: c.serverHost ?? c.nodeIP, port: c.kubeletPort, tls: c.tls, log: c.log }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EADDRINUSE') throw e;
        throw new Error(`the node server cannot listen on ${c.serverHost ?? c.nodeIP}:${c.kubeletPort}: the port is in use (another skiff node or a kubelet?); choose another with --kubelet-port (0 = any free port)`);
      }),
    });
  } catch (e) {
    await networking?.stop().catch(() => undefined);
    await routes?.stop().catch(() => undefined);
    throw e;
  }
  return {
    agent,
    stop: async (opts = {}) => {
      await agent.stop(opts);
      await networking?.stop().catch((e: unknown) => c.log(`agent: stopping service networking: ${(e as Error).message}`));
      await routes?.stop({ removeRoutes: opts.removePods === true }).catch((e: unknown) => c.log(`agent: stopping node routes: ${(e as Error).message}`));
    },
  };
}
