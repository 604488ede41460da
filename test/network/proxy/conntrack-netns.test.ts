// Stale UDP flows end to end, as root, in network namespaces this test creates: a client's UDP flow to a
// Service's cluster IP is DNATed to one endpoint and tracked by conntrack in the node's namespace; when that
// endpoint leaves the EndpointSlice, the service proxy deletes the flow (it would otherwise keep sending the
// client's packets to the dead endpoint for as long as the client keeps sending), and the next packet from
// the same source port goes to the remaining endpoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient, resources } from '../../../src/client/index.js';
import { runHostCommand } from '../../../src/network/proxy/host-command.js';
import { labSkipReason, NetnsLab, startLabProxy, type LabProxy } from './netns-lab.js';

const conntrackBin = ['/usr/sbin/conntrack', '/sbin/conntrack', '/usr/bin/conntrack'].find((p) => existsSync(p));
const skip = labSkipReason() ?? (conntrackBin ? undefined : 'conntrack not installed (apt-get install conntrack)');
if (skip) console.log(`# skipping the conntrack clean-up test: ${skip}`);

let client: ApiClient;
let lab: NetnsLab;
let env: LabProxy | undefined;

before(async () => {
  if (skip) return;
  lab = new NetnsLab('10.97.0');
  await lab.create(2);
  env = await startLabProxy(lab, { mode: 'nftables', tableSuffix: `ct${lab.tag}` });
  client = env.client;
});

after(async () => {
  await env?.stop();
  await lab?.destroy();
});

/** One datagram from the client namespace, always from the same source port (one conntrack flow). */
async function sendFromClient(ip: string, port: number): Promise<void> {
  const script = `const s=require('dgram').createSocket('udp4');s.bind(40053,()=>s.send('x',${port},'${ip}',()=>s.close()))`;
  await runHostCommand(process.execPath, ['-e', script], { netns: lab.client });
}

/** Reply-direction sources of the UDP flows to ip in the node namespace: where each flow was DNATed to. */
async function flowTargets(ip: string): Promise<string[]> {
  const out = await runHostCommand('conntrack', ['-L', '-p', 'udp', '--orig-dst', ip], { netns: lab.node }).catch(() => '');
  return out
    .split('\n')
    .filter((l) => l.includes('sport=40053'))
    .map((l) => /src=\S+ dst=\S+ sport=\d+ dport=\d+ .*?src=(\S+)/.exec(l)?.[1] ?? '?');
}

async function until(fn: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 8000;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a UDP flow to a removed endpoint is deleted and the next packet goes to the remaining endpoint', { skip }, async () => {
  const [pod0, pod1] = lab.pods;
  const svc = await client.create<Service>(resources.services, { metadata: { name: 'dns' }, spec: { ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] } });
  const vip = svc.spec!.clusterIP!;
  const slice = (ips: string[]): EndpointSlice => ({
    metadata: { name: 'dns-1', labels: { 'kubernetes.io/service-name': 'dns' } },
    addressType: 'IPv4',
    ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: 'node-a', conditions: { ready: true } })),
  });
  let before = env!.syncs;
  const created = await client.create<EndpointSlice>(resources.endpointSlices, slice([pod0!.ip]));
  await until(async () => env!.syncs > before, 'endpoint programmed');
  await sendFromClient(vip, 53);
  assert.deepEqual(await flowTargets(vip), [pod0!.ip], 'the flow is DNATed to the only endpoint');

  before = env!.syncs;
  await client.update(resources.endpointSlices, { ...slice([pod1!.ip]), metadata: { ...created.metadata } });
  await until(async () => env!.syncs > before, 'endpoint change programmed');
  assert.deepEqual(await flowTargets(vip), [], 'the stale flow to the removed endpoint is gone');
  await sendFromClient(vip, 53);
  assert.deepEqual(await flowTargets(vip), [pod1!.ip], 'the same client port now reaches the remaining endpoint');
});
