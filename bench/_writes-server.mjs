// The server process of bench/writes.ts: a real API server (SQLite, HTTPS, ephemeral port) from a compiled
// tree, plain JavaScript so that no TypeScript loader runs inside the process being measured. It answers the
// parent's IPC: {type:'cpu'} → its process.cpuUsage(), {type:'stop'} → closes and exits; {type:'alloc-start'} /
// {type:'alloc-stop'} → V8's sampling heap profiler over what happens in between, every allocation counted
// (objects collected since included), answered with the bytes allocated (sampled, so within a few %).
// Usage (by bench/writes.ts): node bench/_writes-server.mjs <data dir> <compiled tree, e.g. dist>
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Session } from 'node:inspector/promises';

const [dataDir, code] = process.argv.slice(2);
const load = (m) => import(pathToFileURL(join(code, m)).href);
const [{ ensurePki }, { createAuthenticator }, { openSqliteStore }, { startApiServer }] = await Promise.all(
  ['apiserver/auth/pki.js', 'apiserver/auth/authn.js', 'storage/sqlite/sqlite-store.js', 'apiserver/server.js'].map(load),
);
const pki = await ensurePki(dataDir, { hostname: 'localhost', addresses: ['127.0.0.1'] });
const store = await openSqliteStore(join(dataDir, 'state.db'));
const server = await startApiServer({
  store,
  port: 0,
  host: '127.0.0.1',
  tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
  authenticator: createAuthenticator(pki.tokensFile),
  compactionIntervalMs: 0,
});
const marks = process.env['SKIFF_BENCH_MARKS'];
let session;
async function allocation(m) {
  session ??= new Session();
  if (m.type === 'alloc-start') {
    session.connect();
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    process.send({ type: 'alloc', id: m.id, bytes: 0 });
    return;
  }
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  let bytes = 0;
  const add = (node) => {
    bytes += node.selfSize;
    for (const c of node.children) add(c);
  };
  add(profile.head);
  process.send({ type: 'alloc', id: m.id, bytes });
}
process.on('message', (m) => {
  if (m.type === 'alloc-start' || m.type === 'alloc-stop') return void allocation(m);
  if (m.type === 'cpu') {
    // Phase boundaries on the profiler's clock, so a profile can be cut per kind.
    if (marks) appendFileSync(marks, `${process.hrtime.bigint() / 1000n}\n`);
    const u = process.cpuUsage();
    process.send({ type: 'cpu', id: m.id, micros: u.user + u.system, system: u.system });
  } else if (m.type === 'stop') {
    void server.close().then(() => store.close()).then(() => process.exit(0));
  }
});
process.send({ type: 'ready', info: { port: server.port, ca: pki.caCert, token: pki.adminToken } });
