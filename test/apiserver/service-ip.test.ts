import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import type { AdmissionPlugin } from '../../src/apiserver/admission/admission.js';
import { parseIpv4Cidr, type Ipv4Cidr } from '../../src/network/service-cidr.js';
import { allocate, defaultAllocatorConfig, HeldValues, pickIP, serviceIpPlugin, type Allocated } from '../../src/apiserver/admission/service-ip.js';
import { startTestServer, type TestServer } from './harness.js';

const cfg = defaultAllocatorConfig();
const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 's', namespace: 'default' }, spec }) as unknown as KubeObject;
const none = (): Allocated => ({ ips: new Set(), ports: new Set() });
const messages = (r: { causes: { field?: string; message?: string }[] }) => r.causes.map((c) => `${c.field}: ${c.message}`);

test('allocation decisions', () => {
  const cases: { name: string; spec: Record<string, unknown>; old?: Record<string, unknown>; taken?: Allocated; ip?: string | null; nodePorts?: (number | undefined)[]; errors?: string[] }[] = [
    { name: 'ClusterIP gets an address in range', spec: { type: 'ClusterIP', ports: [{ port: 80 }] }, ip: 'any' },
    { name: 'headless gets none', spec: { clusterIP: 'None', ports: [{ port: 80 }] }, ip: 'None' },
    { name: 'ExternalName gets none', spec: { type: 'ExternalName', externalName: 'x.example.com' }, ip: null },
    { name: 'user IP free', spec: { clusterIP: '10.43.0.5', ports: [{ port: 80 }] }, ip: '10.43.0.5' },
    { name: 'reserved DNS IP when asked', spec: { clusterIP: '10.43.0.10', ports: [{ port: 53 }] }, ip: '10.43.0.10' },
    {
      name: 'user IP taken',
      spec: { clusterIP: '10.43.0.5', ports: [{ port: 80 }] },
      taken: { ips: new Set(['10.43.0.5']), ports: new Set() },
      errors: ['spec.clusterIPs: Invalid value: ["10.43.0.5"]: failed to allocate IP 10.43.0.5: provided IP is already allocated'],
    },
    {
      name: 'user IP out of range',
      spec: { clusterIP: '10.0.0.5', ports: [{ port: 80 }] },
      errors: ['spec.clusterIPs: Invalid value: ["10.0.0.5"]: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.43.0.0/16'],
    },
    { name: 'NodePort allocates per port', spec: { type: 'NodePort', ports: [{ port: 80, name: 'a' }, { port: 81, name: 'b' }] }, ip: 'any', nodePorts: [-1, -1] },
    {
      name: 'NodePort taken',
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] },
      taken: { ips: new Set(), ports: new Set([30080]) },
      errors: ['spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'],
    },
    {
      name: 'NodePort out of range',
      spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] },
      errors: ['spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767'],
    },
    {
      name: 'update keeps own values even though they are "taken" by itself',
      spec: { clusterIP: '10.43.0.7', type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] },
      old: { clusterIP: '10.43.0.7', clusterIPs: ['10.43.0.7'], type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] },
      ip: '10.43.0.7',
      nodePorts: [30001],
    },
    { name: 'LoadBalancer without node ports', spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] }, ip: 'any', nodePorts: [undefined] },
    { name: 'ClusterIP service gets no node port', spec: { ports: [{ port: 80 }] }, ip: 'any', nodePorts: [undefined] },
  ];
  for (const c of cases) {
    const obj = svc(structuredClone(c.spec));
    const r = allocate(cfg, obj, c.old ? svc(c.old) : undefined, c.taken ?? none());
    if (c.errors) {
      assert.deepEqual(messages(r), c.errors, c.name);
      continue;
    }
    assert.deepEqual(r.causes, [], c.name);
    const spec = (obj as unknown as { spec: { clusterIP?: string; clusterIPs?: string[]; ports?: { nodePort?: number }[] } }).spec;
    if (c.ip === 'any') {
      assert.match(spec.clusterIP!, /^10\.43\.\d+\.\d+$/, c.name);
      assert.notEqual(spec.clusterIP, '10.43.0.1');
      assert.deepEqual(spec.clusterIPs, [spec.clusterIP], c.name);
    } else if (c.ip === null) assert.equal(spec.clusterIP, undefined, c.name);
    else if (c.ip !== undefined) assert.equal(spec.clusterIP, c.ip, c.name);
    c.nodePorts?.forEach((want, i) => {
      const got = spec.ports![i]!.nodePort;
      if (want === -1) assert.ok(got! >= 30000 && got! <= 32767, `${c.name}: port ${i} = ${got}`);
      else assert.equal(got, want, c.name);
    });
    if (c.nodePorts && c.nodePorts.length > 1 && c.nodePorts.every((p) => p === -1)) {
      assert.equal(new Set(spec.ports!.map((p) => p.nodePort)).size, spec.ports!.length, 'distinct node ports');
    }
  }
});

test('dynamic allocation skips reserved addresses and fills a small range exactly', () => {
  const small = { ...cfg, cidr: parseIpv4Cidr('10.43.0.0/29') as Ipv4Cidr, reservedIPs: new Set([0x0a2b0001]) };
  const taken = new Set<string>();
  for (let i = 0; i < 5; i++) taken.add(pickIP(small, taken, () => 0)!);
  assert.deepEqual([...taken].sort(), ['10.43.0.2', '10.43.0.3', '10.43.0.4', '10.43.0.5', '10.43.0.6']);
  assert.equal(pickIP(small, taken), undefined);
});

let server: TestServer;
before(async () => {
  server = await startTestServer();
  const admission = server.server.deps.admission as unknown as { plugins: AdmissionPlugin[]; register(p: AdmissionPlugin): void };
  if (!admission.plugins.some((p) => p.name === 'ServiceIPAllocation')) admission.register(serviceIpPlugin(server.server.deps.registry, server.server.deps.storage));
});
after(async () => server?.close());

const create = (name: string, spec: Record<string, unknown>) => server.request('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec } });

test('API server: concurrent creates get distinct IPs and node ports; explicit duplicates get 422', async () => {
  // The same explicit IP and port requested concurrently: exactly one wins. (First, so that no randomly
  // allocated service below can already hold one of these values.)
  for (let round = 0; round < 5; round++) {
    const race = await Promise.all([0, 1, 2].map((i) => create(`race${round}-${i}`, { type: 'NodePort', clusterIP: `10.43.1.${round + 1}`, ports: [{ port: 80, nodePort: 31000 + round }] })));
    assert.deepEqual(race.map((r) => r.status).sort(), [201, 422, 422], `round ${round}`);
  }

  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => create(`np${i}`, { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80 }] })));
  for (const r of rs) assert.equal(r.status, 201, r.body);
  const specs = rs.map((r) => r.json().spec);
  assert.equal(new Set(specs.map((s) => s.clusterIP)).size, 20);
  assert.equal(new Set(specs.map((s) => s.ports[0].nodePort)).size, 20);


  // Explicit values the random allocations above did not take (they may take any free value).
  const usedPorts = new Set<number>(specs.map((x) => x.ports[0].nodePort));
  const usedIPs = new Set<string>(specs.map((x) => x.clusterIP));
  const freePort = (from: number, not: number[] = []) => {
    let p = from;
    while (usedPorts.has(p) || not.includes(p)) p++;
    return p;
  };
  let last = 5;
  while (usedIPs.has(`10.43.0.${last}`)) last++;
  const ip = `10.43.0.${last}`;
  const port = freePort(30080);
  const quickPort = freePort(30500, [port]);

  const a = await create('fixed', { clusterIP: ip, ports: [{ port: 80 }] });
  assert.equal(a.status, 201, a.body);
  const dup = await create('fixed2', { clusterIP: ip, ports: [{ port: 80 }] });
  assert.equal(dup.status, 422);
  assert.equal(dup.json().message, `Service "fixed2" is invalid: spec.clusterIPs: Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated`);

  const p1 = await create('port1', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] });
  assert.equal(p1.status, 201, p1.body);
  const p2 = await create('port2', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] });
  assert.equal(p2.status, 422);
  assert.equal(p2.json().message, `Service "port2" is invalid: spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated`);

  const headless = await create('headless', { clusterIP: 'None', selector: { app: 'x' }, ports: [{ port: 80 }] });
  assert.equal(headless.json().spec.clusterIP, 'None');
  const ext = await create('ext', { type: 'ExternalName', externalName: 'db.example.com' });
  assert.equal(ext.status, 201, ext.body);
  assert.equal(ext.json().spec.clusterIP, undefined);

  // Update without the allocated values keeps them; deleting frees the port for reuse.
  const cur = (await server.request('GET', '/api/v1/namespaces/default/services/port1')).json();
  delete cur.spec.clusterIP;
  delete cur.spec.clusterIPs;
  delete cur.spec.ports[0].nodePort;
  cur.metadata.labels = { x: 'y' };
  const upd = await server.request('PUT', '/api/v1/namespaces/default/services/port1', { body: cur });
  assert.equal(upd.status, 200, upd.body);
  assert.equal(upd.json().spec.ports[0].nodePort, port);
  assert.equal(upd.json().spec.clusterIP, p1.json().spec.clusterIP);
  assert.equal((await server.request('DELETE', '/api/v1/namespaces/default/services/port1')).status, 200);
  let again;
  for (let i = 0; i < 40; i++) {
    again = await create('port3', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] });
    if (again.status === 201) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(again!.status, 201, again!.body);
  // Create then delete at once: the value is free again as soon as the deletion is stored.
  const quick = await create('quick', { type: 'NodePort', ports: [{ port: 80, nodePort: quickPort }] });
  assert.equal(quick.status, 201, quick.body);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await server.request('DELETE', '/api/v1/namespaces/default/services/quick')).status, 200);
  let reuse;
  for (let i = 0; i < 120; i++) {
    reuse = await create('quick2', { type: 'NodePort', ports: [{ port: 80, nodePort: quickPort }] });
    if (reuse.status === 201) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(reuse!.status, 201, reuse!.body);

  // ClusterIP → NodePort on update allocates a node port.
  const c = (await create('grow', { ports: [{ port: 80 }] })).json();
  c.spec.type = 'NodePort';
  const grown = await server.request('PUT', '/api/v1/namespaces/default/services/grow', { body: c });
  assert.equal(grown.status, 200, grown.body);
  assert.ok(grown.json().spec.ports[0].nodePort >= 30000);
});

test('HeldValues: per-value counts follow creates, updates and deletes; except() leaves out the asking Service', () => {
  const svc = (name: string, clusterIP: string, nodePort?: number): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec: { type: nodePort ? 'NodePort' : 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] } }) as KubeObject;
  const h = new HeldValues();
  h.set('default/a', svc('a', '10.43.0.20', 30001));
  h.set('default/b', svc('b', '10.43.0.21'));
  const cases: Array<[string, string, string | number, boolean]> = [
    ['another Service sees a\'s IP', 'default/x', '10.43.0.20', true],
    ['another Service sees a\'s node port', 'default/x', 30001, true],
    ['a does not see its own IP', 'default/a', '10.43.0.20', false],
    ['a does not see its own node port', 'default/a', 30001, false],
    ['a sees b\'s IP', 'default/a', '10.43.0.21', true],
    ['free IP', 'default/x', '10.43.0.22', false],
  ];
  for (const [name, owner, v, want] of cases) {
    const a = h.except(owner);
    assert.equal(typeof v === 'string' ? a.ips.has(v) : a.ports.has(v), want, name);
  }
  h.set('default/a', svc('a', '10.43.0.20'));
  assert.equal(h.except('default/x').ports.has(30001), false, 'the node port is released by an update');
  h.set('default/b', undefined);
  assert.equal(h.except('default/x').ips.has('10.43.0.21'), false, 'the IP is released by a delete');
  // Two Services holding one value (only possible through races upstream repairs): it stays held for both.
  h.set('default/c', svc('c', '10.43.0.20'));
  assert.equal(h.except('default/a').ips.has('10.43.0.20'), true);
  assert.equal(h.except('default/c').ips.has('10.43.0.20'), true);
});
