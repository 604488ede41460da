import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKubeconfigPath, loadKubeconfig, parseKubeconfig } from '../../src/client/config.js';
import { renderKubeconfig } from '../../src/cli/kubeconfig.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const multi = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: ca.pem
- name: c2
  cluster:
    server: https://example:6443
    certificate-authority-data: ${b64('CA2')}
    insecure-skip-tls-verify: true
    tls-server-name: api.internal
users:
- name: u1
  user:
    client-certificate: certs/u1.crt
    client-key: /abs/u1.key
- name: u2
  user:
    token: sekret
- name: u3
  user:
    tokenFile: tok
contexts:
- name: dev
  context: { cluster: c1, user: u1, namespace: team }
- name: prod
  context: { cluster: c2, user: u2 }
- name: tokfile
  context: { cluster: c2, user: u3 }
- name: broken
  context: { cluster: missing, user: u2 }
`;

const files: Record<string, string> = { '/cfg/ca.pem': 'CA1', '/cfg/certs/u1.crt': 'CERT1', '/abs/u1.key': 'KEY1', '/cfg/tok': 'tok3\n' };
const readFile = (p: string) => {
  const v = files[p];
  if (v === undefined) throw new Error(`ENOENT ${p}`);
  return v;
};

test('contexts resolve to server, credentials and namespace; file paths are relative to the kubeconfig', () => {
  const table = [
    { context: undefined, want: { servers: ['https://10.0.0.1:6443'], ca: 'CA1', cert: 'CERT1', key: 'KEY1', namespace: 'team' } },
    {
      context: 'prod',
      want: { servers: ['https://example:6443'], ca: 'CA2', token: 'sekret', namespace: 'default', insecureSkipTLSVerify: true, tlsServerName: 'api.internal' },
    },
    { context: 'tokfile', want: { servers: ['https://example:6443'], ca: 'CA2', token: 'tok3', namespace: 'default', insecureSkipTLSVerify: true, tlsServerName: 'api.internal' } },
  ];
  for (const { context, want } of table) {
    assert.deepEqual(parseKubeconfig(multi, { context, baseDir: '/cfg', readFile }), want, context ?? 'current');
  }
  assert.deepEqual(loadKubeconfig('/cfg/kubeconfig', { readFile: (p) => (p === '/cfg/kubeconfig' ? multi : readFile(p)) }).ca, 'CA1');
});

test('broken kubeconfigs are refused with a BadRequest naming the problem', () => {
  const table: Array<[string, string | undefined, RegExp]> = [
    [multi, 'broken', /cluster "missing" not found/],
    [multi, 'nope', /context "nope" not found/],
    ['clusters: []', undefined, /no current-context/],
    [': : :', undefined, /invalid kubeconfig/],
  ];
  for (const [text, context, re] of table) {
    assert.throws(() => parseKubeconfig(text, { context, readFile }), (e: Error & { code?: number }) => re.test(e.message) && e.code === 400);
  }
});

test("reads the kubeconfig skiff up writes", () => {
  const text = renderKubeconfig({ server: 'https://127.0.0.1:6443', caCert: 'CA', clientCert: 'CRT', clientKey: 'KEY' });
  assert.deepEqual(parseKubeconfig(text), { servers: ['https://127.0.0.1:6443'], ca: 'CA', cert: 'CRT', key: 'KEY', namespace: 'default' });
});

test('KUBECONFIG picks the first non-empty entry', () => {
  assert.equal(defaultKubeconfigPath({ KUBECONFIG: ':/a/b:/c' }), '/a/b');
  assert.match(defaultKubeconfigPath({}), /\.kube\/config$/);
});
