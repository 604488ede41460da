// The cluster DNS server against a real API server: UDP and TCP on an ephemeral loopback port, answers
// following Services and EndpointSlices as they change, truncation with TC over UDP and the full answer
// over TCP, and forwarding of other names to an upstream server this test runs on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import * as dns from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ApiClient, resources } from '../../../src/client/index.js';
import { startClusterDns, type ClusterDns } from '../../../src/network/dns/index.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';
import { rcodeOf, tcpQuery, udpQuery } from './dns-client.js';

let server: TestServer;
let client: ApiClient;
let clusterDns: ClusterDns;
const upstream = createSocket('udp4');
const upstreamQueries: string[] = [];

before(async () => {
  // The upstream: answers every A question with 192.0.2.1.
  upstream.on('message', (msg, rinfo) => {
    const q = dns.decode(msg);
    upstreamQueries.push(q.questions![0]!.name);
    const reply = dns.encode({ type: 'response', id: q.id, flags: dns.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: '192.0.2.1' }] });
    upstream.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' }, { timeoutMs: 10_000 });
  await client.create<Service>(resources.services, { metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  await client.create<Service>(resources.services, { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'upstream.example' } });
  clusterDns = await startClusterDns({ client, host: '127.0.0.1', port: 0, upstreams: [{ host: '127.0.0.1', port: upstream.address().port }], dnsIPs: ['10.43.0.10'], log: () => {} });
});

after(async () => {
  await clusterDns?.stop();
  client?.close();
  await server?.close();
  upstream.close();
});

async function eventually(fn: () => Promise<boolean>, msg: string): Promise<void> {
  const end = Date.now() + 8000;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out: ${msg}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a Service resolves to its cluster IP over UDP and TCP, authoritative, TTL 5', async () => {
  const svc = await client.get<Service>(resources.services, 'web');
  for (const r of [await udpQuery(clusterDns.port, 'web.default.svc.cluster.local', 'A'), await tcpQuery(clusterDns.port, 'web.default.svc.cluster.local', 'A')]) {
    assert.equal(rcodeOf(r), 'NOERROR');
    assert.equal(r.flag_aa, true);
    assert.deepEqual(r.answers!.map((a) => [a.type, (a as dns.StringAnswer).data, (a as dns.StringAnswer).ttl]), [['A', svc.spec!.clusterIP, 5]]);
  }
  const nx = await udpQuery(clusterDns.port, 'nope.default.svc.cluster.local', 'A');
  assert.equal(rcodeOf(nx), 'NXDOMAIN');
  assert.equal(nx.authorities![0]!.type, 'SOA');
  const nodata = await udpQuery(clusterDns.port, 'web.default.svc.cluster.local', 'AAAA');
  assert.equal(rcodeOf(nodata), 'NOERROR');
  assert.equal(nodata.answers!.length, 0);
});

test('a headless Service follows its EndpointSlices; a large answer is truncated over UDP and complete over TCP', async () => {
  await client.create<Service>(resources.services, { metadata: { name: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } });
  const endpoints = Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.3.${i + 1}`], hostname: `db-${i}`, conditions: { ready: true } }));
  await client.create<EndpointSlice>(resources.endpointSlices, {
    metadata: { name: 'db-1', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  });
  await eventually(async () => (await tcpQuery(clusterDns.port, 'db.default.svc.cluster.local', 'A')).answers!.length === 60, 'all 60 endpoints');
  const udp = await udpQuery(clusterDns.port, 'db.default.svc.cluster.local', 'A');
  assert.equal(udp.flag_tc, true);
  assert.ok(udp.answers!.length > 0 && udp.answers!.length < 60, `UDP answer kept ${udp.answers!.length} whole records`);
  const edns = await udpQuery(clusterDns.port, 'db.default.svc.cluster.local', 'A', { edns: 4096 });
  assert.equal(edns.flag_tc, false);
  assert.equal(edns.answers!.length, 60);
  const one = await udpQuery(clusterDns.port, 'db-7.db.default.svc.cluster.local', 'A');
  assert.deepEqual(one.answers!.map((a) => (a as dns.StringAnswer).data), ['10.42.3.8']);
  const srv = await tcpQuery(clusterDns.port, '_pg._tcp.db.default.svc.cluster.local', 'SRV');
  assert.equal(srv.answers!.length, 60);
});

test('names outside the cluster are forwarded upstream; ExternalName targets are chased', async () => {
  const r = await udpQuery(clusterDns.port, 'www.example.org', 'A');
  assert.equal(rcodeOf(r), 'NOERROR');
  assert.deepEqual(r.answers!.map((a) => (a as dns.StringAnswer).data), ['192.0.2.1']);
  assert.ok(upstreamQueries.includes('www.example.org'));
  const tcp = await tcpQuery(clusterDns.port, 'tcp.example.org', 'A');
  assert.deepEqual(tcp.answers!.map((a) => (a as dns.StringAnswer).data), ['192.0.2.1']);
  const ext = await udpQuery(clusterDns.port, 'ext.default.svc.cluster.local', 'A');
  assert.deepEqual(ext.answers!.map((a) => `${a.type} ${(a as dns.StringAnswer).data}`), ['CNAME upstream.example', 'A 192.0.2.1']);
});

test('a deleted Service stops resolving', async () => {
  await client.create<Service>(resources.services, { metadata: { name: 'gone' }, spec: { ports: [{ port: 80 }] } });
  await eventually(async () => rcodeOf(await udpQuery(clusterDns.port, 'gone.default.svc.cluster.local', 'A')) === 'NOERROR', 'gone resolves');
  await client.delete(resources.services, 'gone');
  await eventually(async () => rcodeOf(await udpQuery(clusterDns.port, 'gone.default.svc.cluster.local', 'A')) === 'NXDOMAIN', 'gone is NXDOMAIN');
});

test('repeated queries are answered from the cache with their own ID until the catalog changes', async () => {
  const h0 = clusterDns.stats().cacheHits;
  const a = await udpQuery(clusterDns.port, 'web.default.svc.cluster.local', 'A');
  const b = await udpQuery(clusterDns.port, 'web.default.svc.cluster.local', 'A');
  assert.notEqual(a.id, b.id);
  assert.deepEqual(b.answers, a.answers);
  assert.ok(clusterDns.stats().cacheHits > h0, 'second answer came from the cache');
  await client.delete(resources.services, 'web');
  await eventually(async () => rcodeOf(await udpQuery(clusterDns.port, 'web.default.svc.cluster.local', 'A')) === 'NXDOMAIN', 'cache invalidated by the deletion');
});

test('forwarded answers are cached for their TTL (at most 30 s) and served with the TTL counted down', async () => {
  const name = 'cached.example.net';
  const first = await udpQuery(clusterDns.port, name, 'A');
  const second = await udpQuery(clusterDns.port, name, 'A');
  assert.equal(upstreamQueries.filter((n) => n === name).length, 1, 'asked upstream once');
  assert.equal((second.answers![0] as dns.StringAnswer).data, '192.0.2.1');
  assert.notEqual(second.id, first.id);
  assert.ok((second.answers![0] as dns.StringAnswer).ttl! <= 60);
  // Another question (type) is its own entry.
  await udpQuery(clusterDns.port, name, 'AAAA');
  assert.equal(upstreamQueries.filter((n) => n === name).length, 2);
});
