// `skiff up`: a whole cluster on this machine (control plane now; the node agent joins when it exists).

import type { Command } from '../command.js';
import { controlPlaneOptions, runtimeOption, simOptions } from '../options.js';
import { serve } from './serve.js';

export const upCommand: Command = {
  name: 'up',
  summary: 'start a cluster on this machine and write its kubeconfig',
  details:
    'Creates certificates and an admin kubeconfig on first start, then serves the Kubernetes API until\n' +
    'interrupted (Ctrl-C). Point kubectl at it with the printed `export KUBECONFIG=...` line.',
  options: [...controlPlaneOptions, runtimeOption, ...simOptions],
  run: (opts, ctx) => serve(opts, ctx, { agent: true }),
};
