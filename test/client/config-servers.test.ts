// Several servers in one kubeconfig: renderKubeconfig lists every server (a context per server plus the
// default one carrying the list in the skiff.dev/servers cluster extension) and parseKubeconfig turns the
// default context into a ClientConfig whose servers the transport fails over along. Table-driven, pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubeconfig } from '../../src/client/config.js';
import { kubeconfigServers, renderKubeconfig } from '../../src/cli/kubeconfig.js';

const creds = { caCert: 'CA', clientCert: 'CRT', clientKey: 'KEY' };
const A = 'https://10.0.0.1:6443';
const B = 'https://10.0.0.2:6443';
const C = 'https://10.0.0.3:6443';

test('rendered kubeconfigs resolve per context to the servers a client tries', () => {
  const table: { name: string; servers: string[]; context?: string; want: string[] }[] = [
    { name: 'one server', servers: [A], want: [A] },
    { name: 'default context: every server, first one first', servers: [A, B, C], want: [A, B, C] },
    { name: 'duplicates collapse', servers: [A, B, A], want: [A, B] },
    { name: 'per-server context', servers: [A, B, C], context: 'skiff-2', want: [B] },
    { name: 'per-server context of the first', servers: [A, B], context: 'skiff-1', want: [A] },
  ];
  for (const c of table) {
    const text = renderKubeconfig({ server: c.servers[0]!, servers: c.servers, ...creds });
    const cfg = parseKubeconfig(text, c.context ? { context: c.context } : {});
    assert.deepEqual(cfg.servers, c.want, c.name);
    assert.deepEqual([cfg.ca, cfg.cert, cfg.key, cfg.namespace], ['CA', 'CRT', 'KEY', 'default'], c.name);
  }
});

test('one server: no per-server contexts, no extension (the kubeconfig as before)', () => {
  const text = renderKubeconfig({ server: A, ...creds });
  assert.doesNotMatch(text, /extensions|skiff-1/);
  assert.throws(() => parseKubeconfig(text, { context: 'skiff-1' }), /context "skiff-1" not found/);
});

test('kubeconfigServers puts the server first and drops repeats', () => {
  assert.deepEqual(kubeconfigServers({ server: B, servers: [A, B, C] }), [B, A, C]);
  assert.deepEqual(kubeconfigServers({ server: A }), [A]);
});

const withExtension = (extension: string) => `
apiVersion: v1
kind: Config
current-context: x
clusters:
- name: x
  cluster:
    server: ${A}/
    extensions:
    - name: other.example/thing
      extension: {a: 1}
${extension}
contexts:
- name: x
  context: {cluster: x}
`;

test('the skiff.dev/servers extension: trailing slashes trimmed, other extensions ignored, bad lists refused', () => {
  const ok = withExtension(`    - name: skiff.dev/servers\n      extension:\n        servers: ["${B}/", "${A}"]`);
  assert.deepEqual(parseKubeconfig(ok).servers, [A, B]);
  assert.deepEqual(parseKubeconfig(withExtension('')).servers, [A]);
  const bad: [string, RegExp][] = [
    [`    - name: skiff.dev/servers\n      extension: {servers: "${B}"}`, /has no servers list/],
    [`    - name: skiff.dev/servers\n      extension: {servers: ["10.0.0.2:6443"]}`, /is not an http\(s\) URL/],
  ];
  for (const [ext, re] of bad) {
    assert.throws(() => parseKubeconfig(withExtension(ext)), (e: Error & { code?: number }) => re.test(e.message) && e.code === 400);
  }
});
