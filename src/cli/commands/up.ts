// `skiff up`: a whole cluster on this machine: the control plane and a node agent running real pods (or a
// fleet of simulated nodes with --runtime sim).

import type { Command } from '../command.js';
import { controlPlaneOptions, runtimeOption, simOptions } from '../options.js';
import { agentOptions } from '../agent-options.js';
import { serve } from './serve.js';

export const upCommand: Command = {
  name: 'up',
  summary: 'start a cluster on this machine and write its kubeconfig',
  details:
    'Creates certificates and an admin kubeconfig on first start, then serves the Kubernetes API until\n' +
    'interrupted (Ctrl-C). Point kubectl at it with the printed `export KUBECONFIG=...` line.',
  options: [...controlPlaneOptions, runtimeOption, ...agentOptions, ...simOptions],
  run: (opts, ctx) => serve(opts, ctx, { agent: true }),
};
