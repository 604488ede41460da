// `skiff kubeconfig --servers`: the data dir's admin credentials for every server of the cluster (a context per
// server, the default one listing all), refused for URLs that are not https and for kubeconfigs without inline
// credentials. Table-driven; no servers needed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../../src/cli/main.js';
import { renderKubeconfig } from '../../../src/cli/kubeconfig.js';
import { parseKubeconfig } from '../../../src/client/config.js';
import { cliContext as ctx } from '../../support/cli-context.js';


test('kubeconfig --servers lists every server with the data dir credentials', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cli-kubeconfig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'kubeconfig.yaml'), renderKubeconfig({ server: 'https://127.0.0.1:6443', caCert: 'CA', clientCert: 'CRT', clientKey: 'KEY' }));

  const ok = ctx();
  assert.equal(await main(['kubeconfig', '--data-dir', dir, '--servers', 'https://10.0.0.1:6443,https://10.0.0.2:6443'], ok.c), 0, ok.err());
  const all = parseKubeconfig(ok.out());
  assert.deepEqual(all.servers, ['https://10.0.0.1:6443', 'https://10.0.0.2:6443']);
  assert.deepEqual([all.ca, all.cert, all.key], ['CA', 'CRT', 'KEY']);
  assert.deepEqual(parseKubeconfig(ok.out(), { context: 'skiff-2' }).servers, ['https://10.0.0.2:6443']);

  const refused: [string[], RegExp][] = [
    [['--servers', 'http://10.0.0.1:6443'], /is not an https:\/\/HOST:PORT URL/],
    [['--servers', '10.0.0.1:6443'], /is not an https:\/\/HOST:PORT URL/],
  ];
  for (const [args, re] of refused) {
    const r = ctx();
    assert.notEqual(await main(['kubeconfig', '--data-dir', dir, ...args], r.c), 0, args.join(' '));
    assert.match(r.err(), re);
  }

  writeFileSync(join(dir, 'kubeconfig.yaml'), 'apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters: [{name: x, cluster: {server: "https://a:1"}}]\ncontexts: [{name: x, context: {cluster: x}}]\n');
  const noCreds = ctx();
  assert.equal(await main(['kubeconfig', '--data-dir', dir, '--servers', 'https://10.0.0.1:6443'], noCreds.c), 1);
  assert.match(noCreds.err(), /has no inline CA and client certificate/);
});
