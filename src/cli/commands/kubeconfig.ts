// `skiff kubeconfig`: print the admin kubeconfig that `skiff up` wrote to the data directory.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { dataDirOption } from '../options.js';

export const kubeconfigCommand: Command = {
  name: 'kubeconfig',
  summary: 'print the admin kubeconfig of the cluster in --data-dir',
  options: [dataDirOption],
  async run(opts, ctx) {
    const dir = resolve(opts.string('data-dir'));
    const path = join(dir, 'kubeconfig.yaml');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new CliError(`no kubeconfig in ${dir}; start the cluster with \`skiff up --data-dir ${dir}\` first`);
      throw new CliError(`cannot read ${path} (${code ?? (e as Error).message}); check its permissions`);
    }
    ctx.stdout.write(text);
    return 0;
  },
};
