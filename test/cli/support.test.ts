import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress } from '../../src/cli/progress.js';
import { explainStartupError, CliError } from '../../src/cli/errors.js';
import { renderKubeconfig, serverUrl } from '../../src/cli/kubeconfig.js';

function sink(tty: boolean) {
  const chunks: string[] = [];
  let t = 0;
  const p = createProgress({ write: (s: string) => chunks.push(s) }, { tty, now: () => (t += 5) });
  return { p, text: () => chunks.join('') };
}

test('progress: plain lines off a terminal, an updating line on one', async () => {
  const plain = sink(false);
  await plain.p.step('certificates', async () => 1);
  plain.p.info('created CA');
  await assert.rejects(plain.p.step('store', async () => Promise.reject(new Error('x'))));
  assert.equal(plain.text(), 'certificates ...\ncreated CA\nstore ...\nstore: failed\n');
  assert.ok(!plain.text().includes('\x1b'));

  const tty = sink(true);
  assert.equal(await tty.p.step('certificates', async () => 42), 42);
  assert.match(tty.text(), /\r\x1b\[2K⠋ certificates/);
  assert.match(tty.text(), /✓ certificates \(5 ms\)\n$/);
});

test('startup errors are explained', () => {
  const ctx = { port: 6443, host: '0.0.0.0', dataDir: '/d' };
  const cases: [unknown, RegExp | undefined][] = [
    [Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:6443'), { code: 'EADDRINUSE' }), /^port 6443 is in use; pick another with --api-port$/],
    [Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:443'), { code: 'EACCES' }), /needs root privileges/],
    [Object.assign(new Error("EACCES: permission denied, open '/d/x'"), { code: 'EACCES', path: '/d/x' }), /data directory \/d is not writable .*--data-dir/],
    [Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }), /locked by another skiff/],
    [Object.assign(new Error('token file line 2 must have at least 3 columns'), { name: 'TokenFileError' }), /^\/d\/tokens\.csv: token file line 2 .*delete the file/],
    [new Error('something else'), undefined],
  ];
  for (const [err, re] of cases) {
    const got = explainStartupError(err, ctx);
    if (!re) assert.equal(got, undefined);
    else assert.ok(got instanceof CliError && re.test(got.message), String(err));
  }
});

test('kubeconfig rendering and server URL', () => {
  const text = renderKubeconfig({ server: 'https://127.0.0.1:6443', caCert: 'CA', clientCert: 'C', clientKey: 'K' });
  assert.match(text, /certificate-authority-data: Q0E=\n    server: https:\/\/127\.0\.0\.1:6443\n/);
  assert.match(text, /current-context: skiff\n/);
  assert.match(text, /client-key-data: Sw==\n/);
  assert.equal(serverUrl('0.0.0.0', 6443), 'https://127.0.0.1:6443');
  assert.equal(serverUrl('::', 1), 'https://127.0.0.1:1');
  assert.equal(serverUrl('::1', 1), 'https://[::1]:1');
  assert.equal(serverUrl('192.0.2.1', 1), 'https://192.0.2.1:1');
});
