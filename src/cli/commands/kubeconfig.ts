// `skiff kubeconfig`: print the admin kubeconfig that `skiff up` wrote to the data directory; with --servers,
// the same credentials for a cluster behind several servers (every server listed, one context each).

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../args.js';
import { CliError } from '../errors.js';
import { dataDirOption } from '../options.js';
import { renderKubeconfig } from '../kubeconfig.js';

export const kubeconfigCommand: Command = {
  name: 'kubeconfig',
  summary: 'print the admin kubeconfig of the cluster in --data-dir',
  details:
    'With several servers on one etcd, list them all:\n' +
    '  skiff kubeconfig --servers https://10.0.0.1:6443,https://10.0.0.2:6443 > ~/.kube/config\n' +
    'Skiff clients fail over along the list; kubectl uses the first (context "skiff") or the one you pick\n' +
    'with --context skiff-2 / kubectl config use-context skiff-2.',
  options: [
    dataDirOption,
    {
      name: 'servers',
      type: 'list',
      valueName: 'URL,...',
      description: 'every API server of the cluster (https://HOST:PORT), in the order clients try them',
    },
  ],
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
    const servers = opts.list('servers');
    if (servers.length === 0) {
      ctx.stdout.write(text);
      return 0;
    }
    for (const s of servers) {
      if (!/^https:\/\/[^/]+/.test(s)) throw new UsageError(`--servers: ${s} is not an https://HOST:PORT URL`);
    }
    const { parseKubeconfig } = await import('../../client/config.js');
    const cfg = parseKubeconfig(text, { baseDir: dir });
    if (!cfg.ca || !cfg.cert || !cfg.key) throw new CliError(`${path} has no inline CA and client certificate; is it the one skiff up wrote?`);
    ctx.stdout.write(renderKubeconfig({ server: servers[0]!, servers, caCert: cfg.ca, clientCert: cfg.cert, clientKey: cfg.key }));
    return 0;
  },
};
