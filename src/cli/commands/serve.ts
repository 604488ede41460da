// The shared body of `skiff up` and `skiff server`: start the control plane, print the ready line, run until
// SIGINT/SIGTERM, stop cleanly. `up` also runs a node agent (unless --runtime sim) and stops it, with its
// pods, before the control plane.

import type { ParsedOptions } from '../args.js';
import type { CliContext } from '../command.js';
import { createProgress } from '../progress.js';
import { startControlPlane } from '../control-plane.js';
import { backupSchedule, datastoreConfig } from '../datastore.js';
import { leaderElectionTimings } from '../leader-election-options.js';
import { nodeLifecycleTimings } from '../node-lifecycle-options.js';
import { autoscalingTimings } from '../autoscaling-options.js';
import { join, resolve } from 'node:path';
import { agentSettings, nodeConfigOf } from '../agent-options.js';
import { CliError } from '../errors.js';
import { localClusterDns, serviceCidrSetting } from '../service-cidr-option.js';
import type { NodeHandle } from '../../agent/node.js';
import { primaryAddress as primaryHostAddress } from '../../agent/host-facts.js';

const STOP_TIMEOUT_MS = 10_000;

export interface ServeMode {
  /** "up" runs a node agent too; "server" never does. */
  agent: boolean;
}

export async function serve(opts: ParsedOptions, ctx: CliContext, mode: ServeMode): Promise<number> {
  const progress = createProgress(ctx.stderr);
  const dataDir = resolve(opts.string('data-dir'));
  const started = performance.now();
  const serviceCidr = serviceCidrSetting(opts); // a usage error before anything starts
  const signalled = ctx.waitForSignal(); // listen from the start: a Ctrl-C during start-up still cleans up
  const cp = await startControlPlane(
    {
      dataDir,
      datastore: datastoreConfig(opts, dataDir),
      backups: backupSchedule(opts, dataDir),
      leaderElection: leaderElectionTimings(opts),
      nodeLifecycle: nodeLifecycleTimings(opts),
      ...autoscalingTimings(opts),
      clusterCidr: opts.optionalString('cluster-cidr'),
      serviceCidr: serviceCidr.text,
      disable: { controllerManager: opts.bool('disable-controller-manager'), scheduler: opts.bool('disable-scheduler') },
      sim: mode.agent && opts.string('runtime') === 'sim'
        ? { count: opts.int('sim-nodes'), cpu: opts.string('sim-node-cpu'), memory: opts.string('sim-node-memory'), pods: opts.int('sim-node-pods') }
        : undefined,
      apiPort: opts.int('api-port'),
      bindAddress: opts.string('bind-address'),
      // The server logs only warnings and errors; they always reach stderr.
      log: (line) => ctx.stderr.write(`${line}\n`),
    },
    progress,
  );
  // `skiff up` runs a node of its own (unless its nodes are simulated): the agent reaches the API server over
  // loopback and serves logs/exec/stats on loopback, which it advertises in its Node's annotation.
  let node: NodeHandle | undefined;
  // `skiff server` has no --runtime option: it never runs a node.
  if (mode.agent && opts.string('runtime') !== 'sim') {
    try {
      node = await startLocalNode(opts, dataDir, cp.url, progress, (line) => ctx.stderr.write(`${line}\n`));
    } catch (e) {
      await cp.close();
      throw new CliError(`the local node did not start: ${(e as Error).message}`);
    }
  }
  const ms = Math.round(performance.now() - started);
  ctx.stdout.write(
    `skiff is ready at ${cp.url} in ${ms} ms; kubeconfig: ${cp.kubeconfigPath} ` +
      `(export KUBECONFIG=${cp.kubeconfigPath})\n`,
  );
  ctx.stdout.write(`${joinHint(opts.string('bind-address'), cp.port, cp.joinToken)}\n`);
  const signal = await signalled;
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
  // The node goes first and takes its pods with it (nothing left running after `skiff up` ends).
  const stopAll = async () => {
    await node?.stop({ removePods: true }).catch((e: unknown) => progress.warn(`stopping the node: ${(e as Error).message}`));
    await cp.close();
  };
  const outcome = await progress.step(`stopping (${signal})`, () => Promise.race([stopAll(), timeout]));
  if (outcome === 'timeout') {
    progress.warn(`did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting anyway`);
    return 1;
  }
  return 0;
}

async function startLocalNode(opts: ParsedOptions, dataDir: string, url: string, progress: ReturnType<typeof createProgress>, log: (line: string) => void): Promise<NodeHandle> {
  const a = agentSettings(opts);
  const [{ ApiClient }, { startNode }, { localNodeCredentials }] = await Promise.all([
    import('../../client/client.js'),
    import('../../agent/node.js'),
    import('../../agent/join.js'),
  ]);
  const primaryAddress = primaryHostAddress;
  const nodeIP = a.nodeIP ?? primaryAddress();
  const agentDir = join(dataDir, 'agent');
  // Credentials of system:node:<name> straight from the local PKI (a joining agent gets the same by token).
  const creds = await localNodeCredentials(dataDir, agentDir, a.nodeName, [nodeIP, '127.0.0.1']);
  const ca = creds.caCert;
  const client = ApiClient.fromConfig({ servers: [url], ca, cert: creds.clientCert, key: creds.clientKey, namespace: 'default', userAgent: `skiff-agent/${a.nodeName}` });
  try {
    return await progress.step(`node ${a.nodeName}`, () =>
      startNode({
        ...nodeConfigOf(a, opts.optionalString('cluster-cidr')),
        clusterDns: localClusterDns(opts, a.clusterDns),
        client,
        dataDir: agentDir,
        runtime: opts.string('runtime') as 'auto' | 'process' | 'containerd',
        nodeIP,
        serverHost: '127.0.0.1',
        advertiseEndpoint: true,
        tls: { ca, cert: creds.servingCert, key: creds.servingKey },
        labels: { 'node-role.kubernetes.io/control-plane': 'true' },
        log,
      }).then((n) => ({ ...n, stop: async (o?: { removePods?: boolean }) => { await n.stop(o); client.close(); } })),
    );
  } catch (e) {
    client.close();
    throw e;
  }
}

/** How another machine joins this server as a node (the server's host address, unless bound to loopback). */
function joinHint(bindAddress: string, port: number, token: string): string {
  const loopback = /^(127\.|::1$|localhost$)/.test(bindAddress);
  if (loopback) return `nodes cannot join: the API server listens on ${bindAddress} only (see --bind-address)`;
  const any = bindAddress === '0.0.0.0' || bindAddress === '::' || bindAddress === '';
  const host = any ? primaryHostAddress() : bindAddress;
  return `to add a node, run on it: skiff agent --server https://${host.includes(':') ? `[${host}]` : host}:${port} --token ${token}`;
}
