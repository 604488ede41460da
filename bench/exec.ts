// Exec round trip: `npm run bench -- exec [--runs 20] [--protocol-runs 100]`.
// Starts the real `skiff up` (built CLI) with its local node, runs one pod, then measures:
//   kubectl_ws_*   wall time of `kubectl exec pod -- true` (kubectl start-up included; WebSocket v5)
//   kubectl_spdy_* the same with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false (SPDY/3.1)
//   api_ws_*       protocol-level round trip without kubectl: WebSocket v5 exec of `true` through the API
//                  server's tunnel to the node server, from connect to the close after the exit status
//   node_ws_*      the same straight to the node server (what the API server's tunnel adds is the difference)
// Prints human-readable figures; the last line is one JSON object with all of them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Cluster, kubectlPath } from '../test/e2e/harness.js';
import { benchArgs } from './_args.js';

const args = benchArgs();
const runs = Number(args.get('runs') ?? 20);
const protocolRuns = Number(args.get('protocol-runs') ?? 100);

function stats(ms: number[]): { p50: number; p95: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
  const round = (v: number) => Math.round(v * 10) / 10;
  return { p50: round(pct(50)), p95: round(pct(95)), mean: round(s.reduce((a, v) => a + v, 0) / (s.length || 1)) };
}

function wsExecOnce(url: string, opts: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], opts);
    let status = '';
    ws.on('message', (d: Buffer) => {
      if (d[0] === 3) status += d.subarray(1).toString();
    });
    ws.on('close', () => (status.includes('Success') ? resolve(performance.now() - started) : reject(new Error(`exec did not succeed: ${status}`))));
    ws.on('error', reject);
  });
}

async function main(): Promise<void> {
  const c = await Cluster.start();
  try {
    await c.k(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=30s']);
    await c.k(
      ['apply', '-f', '-'],
      'apiVersion: v1\nkind: Pod\nmetadata: {name: bench}\nspec:\n  automountServiceAccountToken: false\n  terminationGracePeriodSeconds: 1\n  containers:\n  - {name: app, image: busybox, command: [sleep, "100000"]}\n',
    );
    await c.k(['wait', '--for=condition=Ready', 'pod/bench', '--timeout=60s']);
    const env = { ...process.env, HOME: c.home, KUBECONFIG: c.kubeconfig };
    const kubectlTimes = (extra: Record<string, string>) => {
      const out: number[] = [];
      spawnSync(kubectlPath, ['exec', 'bench', '--', 'true'], { env: { ...env, ...extra } }); // warm the discovery cache
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const r = spawnSync(kubectlPath, ['exec', 'bench', '--', 'true'], { env: { ...env, ...extra } });
        if (r.status !== 0) throw new Error(`kubectl exec failed: ${r.stderr}`);
        out.push(performance.now() - t);
      }
      return stats(out);
    };
    const kubectlWs = kubectlTimes({});
    const kubectlSpdy = kubectlTimes({ KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' });

    const tls = join(c.dataDir, 'tls');
    const ca = readFileSync(join(tls, 'ca.crt'), 'utf8');
    const admin = { ca, cert: readFileSync(join(tls, 'admin.crt'), 'utf8'), key: readFileSync(join(tls, 'admin.key'), 'utf8') };
    const kubeletClient = { ca, cert: readFileSync(join(tls, 'kubelet-client.crt'), 'utf8'), key: readFileSync(join(tls, 'kubelet-client.key'), 'utf8') };
    const query = 'command=true&container=app&stdout=true&stderr=true';
    const apiUrl = `wss://127.0.0.1:${c.port}/api/v1/namespaces/default/pods/bench/exec?${query}`;
    const nodeObj = JSON.parse(await c.k(['get', 'node', '-o', 'json'])).items[0];
    const agentUrl = nodeObj.metadata.annotations?.['skiff.dev/agent-endpoint'] as string | undefined;
    const timesOf = async (url: string, opts: WebSocket.ClientOptions) => {
      await wsExecOnce(url, opts);
      const out: number[] = [];
      for (let i = 0; i < protocolRuns; i++) out.push(await wsExecOnce(url, opts));
      return stats(out);
    };
    const api = await timesOf(apiUrl, admin);
    const direct = agentUrl ? await timesOf(`${agentUrl.replace(/^https/, 'wss')}/exec/default/bench/app?${query}`, { ...kubeletClient, rejectUnauthorized: false }) : undefined;

    const load = Math.round(loadavg()[0]! * 10) / 10;
    console.log(`exec round trip (${cpus().length} CPUs, load average ${load}, process runtime, ${runs} kubectl runs, ${protocolRuns} protocol runs)`);
    console.log(`  kubectl exec -- true, WebSocket:   p50 ${kubectlWs.p50} ms  p95 ${kubectlWs.p95} ms`);
    console.log(`  kubectl exec -- true, SPDY:        p50 ${kubectlSpdy.p50} ms  p95 ${kubectlSpdy.p95} ms`);
    console.log(`  WebSocket exec via API server:     p50 ${api.p50} ms  p95 ${api.p95} ms`);
    if (direct) console.log(`  WebSocket exec at the node server: p50 ${direct.p50} ms  p95 ${direct.p95} ms`);
    console.log(
      JSON.stringify({
        cpus: cpus().length,
        load_average: load,
        kubectl_ws_p50_ms: kubectlWs.p50,
        kubectl_ws_p95_ms: kubectlWs.p95,
        kubectl_spdy_p50_ms: kubectlSpdy.p50,
        kubectl_spdy_p95_ms: kubectlSpdy.p95,
        api_ws_p50_ms: api.p50,
        api_ws_p95_ms: api.p95,
        ...(direct ? { node_ws_p50_ms: direct.p50, node_ws_p95_ms: direct.p95 } : {}),
      }),
    );
  } finally {
    await c.stop();
  }
}

await main();
