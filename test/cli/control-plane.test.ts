import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startControlPlane, type ControlPlaneDeps } from '../../src/cli/control-plane.js';
import { createProgress } from '../../src/cli/progress.js';
import { CliError } from '../../src/cli/errors.js';
import type { Store } from '../../src/storage/store.js';
import type { ApiServer } from '../../src/apiserver/server.js';

// A stand-in API server: real HTTPS with the given TLS and authenticator, answering /readyz.
function fakeDeps(events: string[], opts: { readyAfter?: number } = {}): ControlPlaneDeps {
  return {
    openStore(cfg) {
      events.push(`open ${cfg.kind === 'sqlite' && cfg.path.endsWith(join('db', 'state.db')) ? 'db/state.db' : cfg.kind}`);
      return { close: async () => void events.push('store closed') } as unknown as Store;
    },
    startApiServer(o) {
      let calls = 0;
      const server = createHttpsServer(
        { key: o.tls.key, cert: o.tls.cert, ca: o.tls.ca, requestCert: true, rejectUnauthorized: false },
        (req, res) => {
          const user = o.authenticator.authenticate(req);
          if (!user) return void res.writeHead(401).end();
          const ready = req.url === '/readyz' && ++calls > (opts.readyAfter ?? 0);
          res.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'not yet');
        },
      );
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => {
          const port = (server.address() as AddressInfo).port;
          events.push('server started');
          const fake = {
            url: `https://127.0.0.1:${port}`,
            port,
            close: () => new Promise<void>((r) => server.close(() => (events.push('server closed'), r()))),
          };
          resolve(fake as unknown as ApiServer);
        });
      });
    },
  };
}

const quiet = createProgress({ write: () => true }, { tty: false });

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('starts, writes a 0600 kubeconfig that authenticates, waits for /readyz, and stops cleanly', async (t) => {
  const dir = join(tmp(t), 'data');
  const events: string[] = [];
  const cp = await startControlPlane(
    { dataDir: dir, apiPort: 0, bindAddress: '127.0.0.1', components: false, deps: fakeDeps(events, { readyAfter: 2 }) },
    quiet,
  );
  assert.match(cp.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(cp.kubeconfigPath, join(dir, 'kubeconfig.yaml'));
  assert.equal(statSync(cp.kubeconfigPath).mode & 0o777, 0o600);
  assert.ok(existsSync(join(dir, 'skiff.lock')));

  const kc = parseYaml(readFileSync(cp.kubeconfigPath, 'utf8'));
  assert.equal(kc['current-context'], 'skiff');
  assert.equal(kc.clusters[0].cluster.server, cp.url);
  assert.equal(kc.contexts[0].context.user, 'skiff-admin');
  const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  const cert = Buffer.from(kc.users[0].user['client-certificate-data'], 'base64').toString();
  const key = Buffer.from(kc.users[0].user['client-key-data'], 'base64').toString();
  assert.match(ca, /BEGIN CERTIFICATE/);
  assert.match(key, /BEGIN PRIVATE KEY/);

  // The kubeconfig's credentials are accepted by the server.
  const { request } = await import('node:https');
  const status = await new Promise<number>((resolve, reject) => {
    request(new URL('/readyz', cp.url), { ca, cert, key, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
  assert.equal(status, 200);

  await cp.close();
  assert.deepEqual(events, ['open db/state.db', 'server started', 'server closed', 'store closed']);
  assert.ok(!existsSync(join(dir, 'skiff.lock')), 'lock released');
});

test('port in use: a clear message, and everything started is undone', async (t) => {
  const dir = tmp(t);
  const blocker = createNetServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const events: string[] = [];
  await assert.rejects(
    startControlPlane({ dataDir: dir, apiPort: port, bindAddress: '127.0.0.1', components: false, deps: fakeDeps(events) }, quiet),
    (e: unknown) => e instanceof CliError && e.message === `port ${port} is in use; pick another with --api-port`,
  );
  assert.deepEqual(events, ['open db/state.db', 'store closed']);
  assert.ok(!existsSync(join(dir, 'skiff.lock')));
});

test('another live skiff holding the data dir is reported', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'skiff.lock'), `${process.ppid}\n`);
  await assert.rejects(
    startControlPlane({ dataDir: dir, apiPort: 0, bindAddress: '127.0.0.1', components: false, deps: fakeDeps([]) }, quiet),
    (e: unknown) =>
      e instanceof CliError && e.message.includes(`another skiff (pid ${process.ppid}) is using ${dir}`),
  );
  // A stale lock (dead pid) is taken over.
  writeFileSync(join(dir, 'skiff.lock'), '999999999\n');
  const cp = await startControlPlane({ dataDir: dir, apiPort: 0, bindAddress: '127.0.0.1', components: false, deps: fakeDeps([]) }, quiet);
  await cp.close();
});

test('a data dir that cannot be created is reported with what to do', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'file'), '');
  await assert.rejects(
    startControlPlane({ dataDir: join(dir, 'file', 'sub'), apiPort: 0, bindAddress: '127.0.0.1', components: false, deps: fakeDeps([]) }, quiet),
    (e: unknown) => e instanceof CliError && /is not writable \(ENOTDIR\); .*--data-dir/.test(e.message),
  );
});
