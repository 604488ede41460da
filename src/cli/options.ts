// Option rows shared by several commands. A command's table is a list of these plus its own rows; later
// features (runtimes, nodes, etcd) add rows here or in their command.

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { OptionSpec } from './args.js';
import { backupScheduleOptions, datastoreOptions } from './datastore.js';
import { leaderElectionOptions } from './leader-election-options.js';
import { nodeLifecycleOptions } from './node-lifecycle-options.js';
import { autoscalingOptions } from './autoscaling-options.js';
import { clusterCidrOption } from './agent-options.js';
import { serviceCidrOption } from './service-cidr-option.js';

export const DEFAULT_API_PORT = 6443;

export const dataDirOption: OptionSpec = {
  name: 'data-dir',
  short: 'd',
  type: 'string',
  valueName: 'DIR',
  description: 'where the cluster keeps its state, certificates and kubeconfig',
  default: () => join(homedir(), '.skiff'),
  env: 'SKIFF_DATA_DIR',
};

export const apiPortOption: OptionSpec = {
  name: 'api-port',
  type: 'int',
  valueName: 'N',
  description: 'HTTPS port of the API server (0 = any free port)',
  default: DEFAULT_API_PORT,
  min: 0,
  max: 65535,
  env: 'SKIFF_API_PORT',
};

export const bindAddressOption: OptionSpec = {
  name: 'bind-address',
  type: 'string',
  valueName: 'ADDR',
  description: 'address the API server listens on',
  default: '0.0.0.0',
};

export const runtimeOption: OptionSpec = {
  name: 'runtime',
  type: 'string',
  valueName: 'NAME',
  description: 'how pods run on this machine: auto picks containerd when available, else process',
  choices: ['auto', 'containerd', 'process', 'sim'],
  default: 'auto',
  env: 'SKIFF_RUNTIME',
};

/** Simulated nodes for `skiff up --runtime sim` (like KWOK: Node objects and a simulated kubelet). */
export const simOptions: readonly OptionSpec[] = [
  { name: 'sim-nodes', type: 'int', valueName: 'N', description: 'with --runtime sim: how many simulated nodes to register', default: 3, min: 0, max: 100_000 },
  { name: 'sim-node-cpu', type: 'string', valueName: 'Q', description: 'allocatable CPU of each simulated node', default: '4' },
  { name: 'sim-node-memory', type: 'string', valueName: 'Q', description: 'allocatable memory of each simulated node', default: '16Gi' },
  { name: 'sim-node-pods', type: 'int', valueName: 'N', description: 'pod capacity of each simulated node', default: 110, min: 1, max: 100_000 },
];

/** Run the control plane without one of its components (as k3s's flags of the same names). */
export const disableOptions: readonly OptionSpec[] = [
  { name: 'disable-controller-manager', type: 'boolean', description: 'do not run the controllers (namespace lifecycle, garbage collector, ...)' },
  { name: 'disable-scheduler', type: 'boolean', description: 'do not run the scheduler' },
];

/** Options of the control-plane commands (`up`, `server`). */
export const controlPlaneOptions: readonly OptionSpec[] = [dataDirOption, apiPortOption, bindAddressOption, ...disableOptions, ...nodeLifecycleOptions, ...autoscalingOptions, clusterCidrOption, serviceCidrOption, ...datastoreOptions,
  ...backupScheduleOptions, ...leaderElectionOptions];
