// Captures the protobuf request bodies the real kubectl sends, for the golden decoder test. Not a test itself:
// run it by hand after a kubectl upgrade (needs `npm run build`):
//   node --import tsx test/apiserver/protobuf/capture-kubectl-bodies.ts
// It starts `skiff up` through the e2e harness, runs each command with -v=9 (client-go hex-dumps binary
// request bodies at that level, before sending them, so the server's answer does not matter), and runs the
// same command with --dry-run=client -o json where kubectl supports it: that JSON is what Go's encoding/json
// makes of the very object kubectl encodes, i.e. the decoder's expected output. Writes
// test/apiserver/protobuf/fixtures/kubectl-bodies.json.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../../e2e/harness.js';

const out = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'kubectl-bodies.json');

interface Case {
  name: string;
  args: string[];
  /** whether `--dry-run=client -o json` works for this command */
  dryRun: boolean;
  /** which request to keep when the command sends several bodies (a substring of the URL) */
  url?: string;
}

const ns = ['-n', 'pb'];
const cases: Case[] = [
  { name: 'namespace', args: ['create', 'namespace', 'pb-other'], dryRun: true },
  { name: 'configmap', args: ['create', 'configmap', 'cm', ...ns, '--from-literal=a=1', '--from-literal=empty='], dryRun: true },
  { name: 'secret-generic', args: ['create', 'secret', 'generic', 's', ...ns, '--from-literal=k=v', '--from-file=bin=BINFILE'], dryRun: true },
  { name: 'deployment-replicas-0', args: ['create', 'deployment', 'd0', ...ns, '--image=nginx:1.27', '--replicas=0', '--port=80'], dryRun: true },
  { name: 'deployment-command', args: ['create', 'deployment', 'd3', ...ns, '--image=busybox', '--replicas=3', '--', 'sleep', '10'], dryRun: true },
  { name: 'service-clusterip', args: ['create', 'service', 'clusterip', 'svc', ...ns, '--tcp=80:8080'], dryRun: true },
  { name: 'service-nodeport', args: ['create', 'service', 'nodeport', 'np', ...ns, '--tcp=80:http', '--node-port=30080'], dryRun: true },
  { name: 'job', args: ['create', 'job', 'j', ...ns, '--image=busybox', '--', 'echo', 'hi'], dryRun: true },
  { name: 'cronjob', args: ['create', 'cronjob', 'cj', ...ns, '--image=busybox', '--schedule=*/5 * * * *', '--', 'echo', 'hi'], dryRun: true },
  { name: 'role', args: ['create', 'role', 'r', ...ns, '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=x'], dryRun: true },
  { name: 'rolebinding', args: ['create', 'rolebinding', 'rb', ...ns, '--role=r', '--user=alice', '--serviceaccount=pb:sa'], dryRun: true },
  { name: 'clusterrole', args: ['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/logs/*'], dryRun: true },
  { name: 'clusterrolebinding', args: ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--group=devs'], dryRun: true },
  { name: 'serviceaccount', args: ['create', 'serviceaccount', 'sa', ...ns], dryRun: true },
  { name: 'quota', args: ['create', 'quota', 'q', ...ns, '--hard=cpu=1,memory=1G,pods=2', '--scopes=BestEffort'], dryRun: true },
  { name: 'priorityclass', args: ['create', 'priorityclass', 'pc', '--value=1000', '--description=test', '--preemption-policy=Never'], dryRun: true },
  { name: 'pdb-min-available', args: ['create', 'poddisruptionbudget', 'pdb1', ...ns, '--selector=app=d', '--min-available=1'], dryRun: true },
  { name: 'pdb-max-unavailable', args: ['create', 'poddisruptionbudget', 'pdb2', ...ns, '--selector=app=d', '--max-unavailable=50%'], dryRun: true },
  { name: 'ingress', args: ['create', 'ingress', 'ing', ...ns, '--class=nginx', '--rule=foo.com/bar*=svc:80,tls=my-cert'], dryRun: true },
  // `kubectl run` and `kubectl expose` send JSON (they use the dynamic client), so they have no fixture here.
  { name: 'autoscale', args: ['autoscale', 'deployment', 'base', ...ns, '--min=2', '--max=5', '--cpu-percent=70'], dryRun: true },
  { name: 'can-i', args: ['auth', 'can-i', 'list', 'deployments.apps', ...ns, '--subresource=scale'], dryRun: false },
  { name: 'token', args: ['create', 'token', 'sa', ...ns, '--duration=1h', '--audience=a1'], dryRun: false },
  { name: 'drain-eviction', args: ['drain', 'node1', '--force', '--timeout=3s', '--grace-period=5'], dryRun: false, url: '/pods/victim' },
];

const base = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"base","namespace":"pb","labels":{"app":"base"}},
 "spec":{"replicas":1,"selector":{"matchLabels":{"app":"base"}},"template":{"metadata":{"labels":{"app":"base"}},
 "spec":{"containers":[{"name":"main","image":"nginx","ports":[{"containerPort":8080}]}]}}}}`;
const node = `{"apiVersion":"v1","kind":"Node","metadata":{"name":"node1"}}`;
const pod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"victim","namespace":"pb"},
 "spec":{"nodeName":"node1","containers":[{"name":"main","image":"busybox"}]}}`;

/** Flags go before a `--`, after which everything is the container's command. */
function withFlags(args: string[], flags: string[]): string[] {
  const i = args.indexOf('--');
  return i < 0 ? [...args, ...flags] : [...args.slice(0, i), ...flags, ...args.slice(i)];
}

/** The hex dumps client-go prints for binary bodies, in order, each with the URL of the request that followed. */
function bodies(stderr: string): { method: string; url: string; body: Buffer }[] {
  const found: { method: string; url: string; body: Buffer }[] = [];
  const lines = stderr.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.includes('"Request Body"')) continue;
    const bytes: number[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const m = /^\s*[0-9a-f]{8}  ((?:[0-9a-f]{2} {1,2})+)/.exec(lines[j]!);
      if (!m) break;
      for (const h of m[1]!.trim().split(/\s+/)) bytes.push(parseInt(h, 16));
    }
    const curl = lines.slice(j, j + 5).find((l) => l.includes('curl -v -X'));
    if (bytes.length && curl) {
      found.push({ method: /-X([A-Z]+)/.exec(curl)?.[1] ?? '', url: /'(https?:[^']+)'/.exec(curl)?.[1] ?? '', body: Buffer.from(bytes) });
    }
  }
  return found;
}

const c = await Cluster.start();
try {
  const binFile = c.writeFile('bin', '');
  writeFileSync(binFile, Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0a]));
  await c.k(['create', '-f', c.writeFile('ns.json', '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"pb"}}')]);
  await c.k(['create', '-f', c.writeFile('base.json', base)]);
  await c.k(['create', '-f', c.writeFile('node.json', node)]);
  await c.k(['create', '-f', c.writeFile('pod.json', pod)]);
  const fixtures: unknown[] = [];
  for (const k of cases) {
    const args = k.args.map((a) => a.replace('BINFILE', binFile));
    const r = await c.kubectl(withFlags(args, ['-v=9']), { timeoutMs: 30_000 });
    const sent = bodies(r.stderr).filter((b) => !k.url || b.url.includes(k.url));
    if (!sent.length) {
      console.error(`${k.name}: no protobuf body seen (exit ${r.code})\n${r.stderr.split('\n').slice(-5).join('\n')}`);
      continue;
    }
    let dryRun: unknown;
    if (k.dryRun) {
      const d = await c.kubectl(withFlags(args, ['--dry-run=client', '-o', 'json']));
      if (d.code !== 0) throw new Error(`${k.name} --dry-run=client: ${d.stderr}`);
      dryRun = JSON.parse(d.stdout);
    }
    const url = new URL(sent[0]!.url);
    fixtures.push({ name: k.name, args: k.args, method: sent[0]!.method, path: url.pathname, body: sent[0]!.body.toString('base64'), ...(k.dryRun ? { dryRun } : {}) });
    console.error(`${k.name}: ${sent[0]!.body.length} bytes → ${url.pathname}`);
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ kubectl: (await c.k(['version', '--client', '-o', 'json'])).match(/"gitVersion": "([^"]+)"/)?.[1], fixtures }, null, 1)}\n`);
  console.error(`wrote ${fixtures.length} fixtures to ${out}`);
} finally {
  await c.stop();
}
