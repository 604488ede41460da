// The kernel service proxies (nftables, and iptables as its fallback) end to end, as root, in network namespaces this test creates: a Service's
// cluster IP reaches every ready endpoint, readiness changes and endpoint removal are followed, ClientIP
// affinity sticks, a NodePort answers on the node address and on 127.0.0.1, externalTrafficPolicy Local
// keeps the client's address, a Service without endpoints is rejected at once, a pod reaches itself through
// its Service (hairpin), and stop removes the table.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient, resources } from '../../../src/client/index.js';
import { runHostCommand } from '../../../src/network/proxy/host-command.js';
import type { ServiceProxy } from '../../../src/network/proxy/index.js';
import { labSkipReason, NetnsLab, startLabProxy, type LabProxy } from './netns-lab.js';

const skip = labSkipReason();

for (const mode of ['nftables', 'iptables'] as const) {
  describe(mode, () => suite(mode));
}

function suite(mode: 'nftables' | 'iptables'): void {
  let client: ApiClient;
  let lab: NetnsLab;
  let proxy: ServiceProxy;
  let env: LabProxy | undefined;

  before(async () => {
    if (skip) return;
    lab = new NetnsLab('10.99.0');
    await lab.create(3);
    await lab.startServers(8080);
    env = await startLabProxy(lab, { mode, tableSuffix: `t${lab.tag}`, fullResyncMs: 3000 });
    ({ client, proxy } = env);
  });

  after(async () => {
    await env?.stop();
    await lab?.destroy();
  });

  async function makeService(name: string, spec: Service['spec']): Promise<Service> {
    return client.create<Service>(resources.services, { metadata: { name }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec } });
  }

  /** Writes the Service's one EndpointSlice: pods by index, with ready flags and node names. */
  async function setEndpoints(svc: string, eps: Array<{ pod: number; ready?: boolean; serving?: boolean; terminating?: boolean; node?: string }>): Promise<void> {
    const body: EndpointSlice = {
      metadata: { name: `${svc}-slice`, labels: { 'kubernetes.io/service-name': svc } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: eps.map((e) => ({
        addresses: [lab.pods[e.pod]!.ip],
        nodeName: e.node ?? 'node-a',
        conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      })),
    };
    const cur = await client.get<EndpointSlice>(resources.endpointSlices, `${svc}-slice`).catch(() => undefined);
    const before = env!.syncs;
    if (cur) await client.update<EndpointSlice>(resources.endpointSlices, { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata!.resourceVersion } });
    else await client.create<EndpointSlice>(resources.endpointSlices, body);
    await waitFor(() => env!.syncs > before, 'a proxy sync after the endpoint change');
  }

  async function waitFor(cond: () => boolean, msg: string): Promise<void> {
    const end = Date.now() + 8000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out: ${msg}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  test('cluster IP balances over every ready endpoint and follows readiness', { skip }, async () => {
    const svc = await makeService('web', {});
    await setEndpoints('web', [{ pod: 0 }, { pod: 1 }, { pod: 2 }]);
    const url = `http://${svc.spec!.clusterIP}/`;
    const r = await lab.request(url, 60);
    assert.equal(r.errors, 0, JSON.stringify(r));
    assert.deepEqual(Object.keys(r.counts).sort(), ['pod0', 'pod1', 'pod2']);
    // The client is inside the pod network: no masquerade, the pod sees the client's address.
    assert.deepEqual(r.from, [lab.clientIP]);

    await setEndpoints('web', [{ pod: 0 }, { pod: 1, ready: false }, { pod: 2 }]);
    const r2 = await lab.request(url, 40);
    assert.equal(r2.errors, 0);
    assert.deepEqual(Object.keys(r2.counts).sort(), ['pod0', 'pod2']);

    // Only terminating-but-serving endpoints left: they are used (as upstream), not-serving ones never.
    await setEndpoints('web', [{ pod: 0, ready: false, serving: true, terminating: true }, { pod: 1, ready: false, serving: false, terminating: true }]);
    const r3 = await lab.request(url, 20);
    assert.deepEqual(r3.counts, { pod0: 20 });
  });

  test('a Service without endpoints is rejected at once (no timeout)', { skip }, async () => {
    const svc = await makeService('empty', {});
    await setEndpoints('empty', []);
    assert.equal(await lab.curlCode(`http://${svc.spec!.clusterIP}/`), 7, 'connection refused');
  });

  test('ClientIP session affinity keeps a client on one endpoint', { skip }, async () => {
    const svc = await makeService('sticky', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } });
    await setEndpoints('sticky', [{ pod: 0 }, { pod: 1 }, { pod: 2 }]);
    const r = await lab.request(`http://${svc.spec!.clusterIP}/`, 30);
    assert.equal(r.errors, 0);
    assert.equal(Object.keys(r.counts).length, 1, JSON.stringify(r.counts));
  });

  test('NodePort answers on the node address (masqueraded) and on 127.0.0.1 of the node', { skip }, async () => {
    const svc = await makeService('np', { type: 'NodePort' });
    await setEndpoints('np', [{ pod: 0 }, { pod: 1 }]);
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    assert.ok(nodePort >= 30000 && nodePort <= 32767);
    const fromClient = await lab.request(`http://${lab.gateway}:${nodePort}/`, 20);
    assert.equal(fromClient.errors, 0, JSON.stringify(fromClient));
    assert.deepEqual(Object.keys(fromClient.counts).sort(), ['pod0', 'pod1']);
    assert.deepEqual(fromClient.from, [lab.gateway], 'external traffic is masqueraded to the node address');
    const onNode = await lab.request(`http://127.0.0.1:${nodePort}/`, 10, lab.node);
    assert.equal(onNode.errors, 0, JSON.stringify(onNode));
  });

  test('externalTrafficPolicy Local: only this node\'s endpoints, client address kept', { skip }, async () => {
    const svc = await makeService('local', { type: 'NodePort', externalTrafficPolicy: 'Local' });
    await setEndpoints('local', [{ pod: 0, node: 'node-b' }, { pod: 1 }, { pod: 2, node: 'node-b' }]);
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    // The client namespace's own address is inside the pod CIDR (cluster traffic); give it an address
    // outside the pod network to play an outside client.
    await runHostCommand('ip', ['addr', 'add', '10.98.0.2/32', 'dev', 'eth0'], { netns: lab.client });
    await runHostCommand('ip', ['route', 'add', '10.98.0.2/32', 'via', lab.clientIP], { netns: lab.node });
    const curl = await runHostCommand('ip', ['netns', 'exec', lab.client, 'curl', '-s', '--max-time', '2', '--interface', '10.98.0.2', `http://${lab.gateway}:${nodePort}/`]);
    const seen = JSON.parse(curl) as { name: string; from: string };
    assert.deepEqual(seen, { name: 'pod1', from: '10.98.0.2' });
    // Cluster traffic (from the pod network) to the same Service uses every endpoint.
    const r = await lab.request(`http://${svc.spec!.clusterIP}/`, 40);
    assert.deepEqual(Object.keys(r.counts).sort(), ['pod0', 'pod1', 'pod2']);
  });

  test('hairpin: a pod reaches itself through its Service', { skip }, async () => {
    const svc = await makeService('self', {});
    await setEndpoints('self', [{ pod: 0 }]);
    const r = await lab.request(`http://${svc.spec!.clusterIP}/`, 5, lab.pods[0]!.netns);
    assert.equal(r.errors, 0, JSON.stringify(r));
    assert.deepEqual(r.counts, { pod0: 5 });
  });

  test('rules removed behind the proxy\'s back come back with the periodic full resync', { skip }, async () => {
    const svc = await makeService('repair', {});
    await setEndpoints('repair', [{ pod: 1 }]);
    const url = `http://${svc.spec!.clusterIP}/`;
    assert.equal(await lab.curlCode(url), 0);
    if (mode === 'nftables') await runHostCommand('nft', ['delete', 'table', 'ip', `skiff-t${lab.tag}`], { netns: lab.node });
    else await runHostCommand('iptables', ['-t', 'nat', '-F', 'PREROUTING'], { netns: lab.node });
    assert.notEqual(await lab.curlCode(url), 0, 'broken');
    const end = Date.now() + 10_000;
    while ((await lab.curlCode(url)) !== 0) {
      if (Date.now() > end) throw new Error('not repaired within 10 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  test('a deleted Service stops routing and stop() removes the table', { skip }, async () => {
    const svc = await makeService('gone', {});
    await setEndpoints('gone', [{ pod: 0 }]);
    assert.equal(await lab.curlCode(`http://${svc.spec!.clusterIP}/`), 0);
    const before = env!.syncs;
    await client.delete(resources.services, 'gone');
    await waitFor(() => env!.syncs > before, 'sync after delete');
    assert.notEqual(await lab.curlCode(`http://${svc.spec!.clusterIP}/`), 0);
    const st = proxy.stats();
    assert.ok(st.syncs > st.fullSyncs, `endpoint changes were applied incrementally: ${JSON.stringify(st)}`);
    await proxy.stop();
    const tables = await runHostCommand('nft', ['list', 'tables'], { netns: lab.node });
    assert.doesNotMatch(tables, /skiff-/);
    const chains = await runHostCommand('iptables-save', [], { netns: lab.node });
    assert.doesNotMatch(chains, /SKIFF/);
  });
}
