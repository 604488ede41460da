// The shared body of `skiff up` and `skiff server`: start the control plane, print the ready line, run until
// SIGINT/SIGTERM, stop cleanly. `up` will also start the node agent here once it exists.

import type { ParsedOptions } from '../args.js';
import type { CliContext } from '../command.js';
import { createProgress } from '../progress.js';
import { startControlPlane } from '../control-plane.js';
import { backupSchedule, datastoreConfig } from '../datastore.js';
import { leaderElectionTimings } from '../leader-election-options.js';
import { nodeLifecycleTimings } from '../node-lifecycle-options.js';
import { resolve } from 'node:path';

const STOP_TIMEOUT_MS = 10_000;

export interface ServeMode {
  /** "up" runs a node agent too (later); "server" never does. */
  agent: boolean;
}

export async function serve(opts: ParsedOptions, ctx: CliContext, mode: ServeMode): Promise<number> {
  const progress = createProgress(ctx.stderr);
  const dataDir = resolve(opts.string('data-dir'));
  const started = performance.now();
  const signalled = ctx.waitForSignal(); // listen from the start: a Ctrl-C during start-up still cleans up
  const cp = await startControlPlane(
    {
      dataDir,
      datastore: datastoreConfig(opts, dataDir),
      backups: backupSchedule(opts, dataDir),
      leaderElection: leaderElectionTimings(opts),
      nodeLifecycle: nodeLifecycleTimings(opts),
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
  const ms = Math.round(performance.now() - started);
  ctx.stdout.write(
    `skiff is ready at ${cp.url} in ${ms} ms; kubeconfig: ${cp.kubeconfigPath} ` +
      `(export KUBECONFIG=${cp.kubeconfigPath})\n`,
  );
  const signal = await signalled;
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
  const outcome = await progress.step(`stopping (${signal})`, () => Promise.race([cp.close(), timeout]));
  if (outcome === 'timeout') {
    progress.warn(`did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting anyway`);
    return 1;
  }
  return 0;
}
