// `skiff server`: the control plane alone (API server and, later, controllers and scheduler), no node agent.

import type { Command } from '../command.js';
import { controlPlaneOptions } from '../options.js';
import { serve } from './serve.js';

export const serverCommand: Command = {
  name: 'server',
  summary: 'run the control plane only (no workloads on this machine)',
  options: controlPlaneOptions,
  run: (opts, ctx) => serve(opts, ctx, { agent: false }),
};
