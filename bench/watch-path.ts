// Watch path micro-benchmark: `npm run bench -- watch-path [--pods 4000] [--https 1] [--unix 2] [--inflight 32]
// [--rounds 3] [--code <repo root>]`. Starts an API server in this process (SQLite, HTTPS and its local unix
// socket; test/apiserver/harness.ts), opens pod watches from a child process (as the bench client over HTTPS,
// and the scheduler and the simulated fleet over the unix socket), then takes each pod through the writes a
// scheduled pod costs the server — create, pods/binding, and two pods/status strategic-merge PATCHes as the
// kubelet sends them — through the REST path in process (no request parsing, so the watch cache, its event
// fan-out and the watch streams are a larger share of what is measured), with `inflight` pods at a time.
// A round ends once every watcher has read every event. Reports the server process's CPU per pod
// (process.cpuUsage: only this process, the watchers run in the child) and the server isolate's young
// allocation, bytes surviving scavenges and GC time per pod (_gc-stats.ts); the least of the rounds counts (the
// first one warms the JIT up). `--code <dir>` runs another checkout's src/ (before/after comparisons; its
// node_modules must be present). Prints human-readable figures; the last line is one JSON object.
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { repoRoot } from '../test/e2e/harness.js';
import { benchArgs } from './_args.js';
import { podWritesWith } from './_pod-writes.js';
import { gcPerPod, gcText, GCProfiler, type GcPerPod } from './_gc-stats.js';

const args = benchArgs();
const pods = Number(args.get('pods') ?? 4000);
const httpsWatchers = Number(args.get('https') ?? 1);
const unixWatchers = Number(args.get('unix') ?? 2);
const inflight = Number(args.get('inflight') ?? 32);
const rounds = Number(args.get('rounds') ?? 3);
const code = args.get('code') ?? repoRoot;

// The watchers' process: opens the watches, counts event lines, answers counts over IPC.
const watcherSource = `
import https from 'node:https';
import http from 'node:http';
const [url, token, socketPath, nHttps, nUnix] = process.argv.slice(2);
const total = Number(nHttps) + Number(nUnix);
let lines = 0, open = 0;
const path = '/api/v1/pods?watch=true&resourceVersion=0';
const onResponse = (res) => {
  if (res.statusCode !== 200) { console.error('watch answered', res.statusCode); process.exit(1); }
  if (++open === total) process.send({ ready: true });
  res.on('data', (d) => { for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++; });
};
for (let i = 0; i < Number(nUnix); i++) http.get({ socketPath, path, agent: false }, onResponse);
for (let i = 0; i < Number(nHttps); i++) https.get(url + path, { headers: { authorization: 'Bearer ' + token }, rejectUnauthorized: false, agent: false }, onResponse);
process.on('message', () => process.send({ lines }));
`;

function ask(child: ChildProcess): Promise<{ lines: number }> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as { lines: number }));
    child.send('count');
  });
}

async function main(): Promise<void> {
  const { startTestServer } = await import(join(code, 'test/apiserver/harness.ts'));
  const { create } = await import(join(code, 'src/apiserver/rest/create.ts'));
  const { bind } = await import(join(code, 'src/apiserver/rest/subresources.ts'));
  const { patch } = await import(join(code, 'src/apiserver/rest/patch.ts'));
  const { systemRequest } = await import(join(code, 'src/apiserver/rest/system-request.ts'));

  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-watch-path-'));
  const script = join(dir, 'watchers.mjs');
  writeFileSync(script, watcherSource);
  const s = await startTestServer({ localSocket: unixWatchers > 0 });
  const child = fork(script, [s.url, s.token, s.socketPath ?? '', String(httpsWatchers), String(unixWatchers)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise((resolve) => child.once('message', resolve));
    const deps = s.server.deps;
    const watchers = httpsWatchers + unixWatchers;
    console.log(`watch path: ${pods} pods x 4 writes (create, binding, 2 status PATCHes) in process, ${inflight} at a time; ${httpsWatchers} HTTPS + ${unixWatchers} unix-socket pod watchers in another process (code: ${code})`);

    const writes = podWritesWith({ create, bind, patch, systemRequest });
    const podWrites = (ns: string, i: number) => writes(deps, ns, i);

    const results: { cpuMsPerPod: number; systemMsPerPod: number; seconds: number; gc: GcPerPod }[] = [];
    let expected = (await ask(child)).lines;
    for (let round = 0; round < rounds; round++) {
      const ns = `round-${round}`;
      await create(deps, systemRequest(deps.registry.lookup('', 'v1', 'namespaces')!, 'create', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } }));
      (globalThis as { gc?: () => void }).gc?.();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const gcProfiler = new GCProfiler();
      gcProfiler.start();
      let next = 0;
      await Promise.all(Array.from({ length: inflight }, async () => {
        while (next < pods) await podWrites(ns, next++);
      }));
      expected += 4 * pods * watchers;
      for (;;) {
        if ((await ask(child)).lines >= expected) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const cpu = process.cpuUsage(cpu0);
      const seconds = (performance.now() - t0) / 1000;
      const r = { cpuMsPerPod: (cpu.user + cpu.system) / 1000 / pods, systemMsPerPod: cpu.system / 1000 / pods, seconds, gc: gcPerPod(gcProfiler.stop(), pods) };
      results.push(r);
      console.log(`round ${round + 1}: server CPU ${r.cpuMsPerPod.toFixed(3)} ms per pod (system ${r.systemMsPerPod.toFixed(3)}); ${4 * pods * watchers} watch lines delivered in ${seconds.toFixed(1)} s; ${gcText(r.gc)}`);
    }
    const best = results.reduce((a, b) => (b.cpuMsPerPod < a.cpuMsPerPod ? b : a));
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`least of ${rounds}: ${best.cpuMsPerPod.toFixed(3)} ms server CPU per pod; ${gcText(best.gc)}; load average ${load}`);
    console.log(JSON.stringify({ pods, httpsWatchers, unixWatchers, inflight, rounds, serverCpuMsPerPod: +best.cpuMsPerPod.toFixed(3), systemMsPerPod: +best.systemMsPerPod.toFixed(3), gc: best.gc, roundsCpuMsPerPod: results.map((r) => +r.cpuMsPerPod.toFixed(3)), loadAverage: load }));
  } finally {
    child.kill();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
