// The collector stores a scrape's nodes together (as metrics-server stores one batch per scrape): while one
// node is still answering, the snapshot keeps the previous scrape of every node. Real loopback HTTP stats
// servers (the plain-http endpoint annotation the test fleets use).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Node } from 'kubernetes-types/core/v1.js';
import { startCollector } from '../../src/metrics/collector.js';
import { LocalSummaries } from '../../src/metrics/local-summaries.js';
import type { Summary } from '../../src/metrics/summary.js';
import { nodeEndpointAnnotation } from '../../src/agent/endpoint.js';

function summary(node: string, pod: string, cpuNano: number) {
  const time = new Date().toISOString();
  return {
    node: { nodeName: node, cpu: { time, usageNanoCores: cpuNano }, memory: { time, workingSetBytes: 1 << 20 } },
    pods: [
      {
        podRef: { name: pod, namespace: 'default', uid: `uid-${pod}` },
        cpu: { time, usageNanoCores: cpuNano },
        memory: { time, workingSetBytes: 1 << 20 },
        containers: [{ name: 'c', cpu: { time, usageNanoCores: cpuNano }, memory: { time, workingSetBytes: 1 << 20 } }],
      },
    ],
  };
}

/** A stats server whose answers wait until release() (when gated), with the CPU figure it reports. */
async function statsServer(node: string, pod: string) {
  let cpuNano = 1_000_000;
  let gate: Promise<void> | undefined;
  let release = () => {};
  const server = http.createServer(async (req, res) => {
    if (gate) await gate;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(summary(node, pod, cpuNano)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    node: { metadata: { name: node, annotations: { [nodeEndpointAnnotation]: `http://127.0.0.1:${port}` } } } as Node,
    setCpu(n: number) {
      cpuNano = n;
    },
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release() {
      gate = undefined;
      release();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A collector over two nodes' stats servers (no periodic scrape within the test). */
async function twoNodes() {
  const a = await statsServer('node-a', 'pod-a');
  const b = await statsServer('node-b', 'pod-b');
  const collector = startCollector({
    listNodes: () => [a.node, b.node],
    tls: { ca: '', cert: '', key: '' },
    resolutionMs: 3_600_000,
    log: () => {},
  });
  return { a, b, collector };
}

test('a scrape is stored when every node has answered, not node by node', async () => {
  const { a, b, collector } = await twoNodes();
  try {
    await collector.scrapeOnce(); // the first scrape, started with the collector
    await collector.scrapeOnce();
    assert.equal(collector.snapshot.pod('default', 'pod-a')?.containers[0]?.cpuNano, 1_000_000);
    assert.equal(collector.snapshot.pod('default', 'pod-b')?.containers[0]?.cpuNano, 1_000_000);

    a.setCpu(2_000_000);
    b.setCpu(3_000_000);
    b.hold();
    const generation = collector.snapshot.generation;
    const scrape = collector.scrapeOnce();
    // node-a answers at once; node-b is held: nothing of this scrape is visible yet.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(collector.snapshot.generation, generation);
    assert.equal(collector.snapshot.pod('default', 'pod-a')?.containers[0]?.cpuNano, 1_000_000);
    b.release();
    await scrape;
    assert.equal(collector.snapshot.pod('default', 'pod-a')?.containers[0]?.cpuNano, 2_000_000);
    assert.equal(collector.snapshot.pod('default', 'pod-b')?.containers[0]?.cpuNano, 3_000_000);
  } finally {
    b.release();
    collector.stop();
    await a.close();
    await b.close();
  }
});

test('a node that stops answering loses its pods when the scrape is stored', async () => {
  const { a, b, collector } = await twoNodes();
  try {
    await collector.scrapeOnce();
    await collector.scrapeOnce();
    assert.ok(collector.snapshot.pod('default', 'pod-b'));
    await b.close();
    await collector.scrapeOnce();
    assert.equal(collector.snapshot.pod('default', 'pod-b'), undefined);
    assert.ok(collector.snapshot.pod('default', 'pod-a'));
  } finally {
    collector.stop();
    await a.close();
  }
});

test('nodes served in this process are read from their local source, not over the network', async () => {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(summary('sim-1', 'pod-remote', 5_000_000)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const prefix = `http://127.0.0.1:${(server.address() as AddressInfo).port}/nodes/`;
  const node = (name: string) => ({ metadata: { name, annotations: { [nodeEndpointAnnotation]: `${prefix}${name}` } } }) as Node;
  const local = new LocalSummaries();
  const logs: string[] = [];
  const remove = local.add(prefix, (names) => names.map((name) => (name === 'sim-1' ? (summary('sim-1', 'pod-local', 7_000_000) as unknown as Summary) : undefined)));
  const collector = startCollector({ listNodes: () => [node('sim-1'), node('sim-gone')], tls: { ca: '', cert: '', key: '' }, resolutionMs: 3_600_000, local, log: (l) => logs.push(l) });
  try {
    await collector.scrapeOnce();
    await collector.scrapeOnce();
    assert.equal(requests, 0);
    assert.equal(collector.snapshot.pod('default', 'pod-local')?.containers[0]?.cpuNano, 7_000_000);
    // A node its source does not serve fails as the HTTP 404 would: no samples, one log line.
    assert.deepEqual(collector.snapshot.nodeNames().sort(), ['sim-1']);
    assert.ok(logs.some((l) => l.includes('sim-gone') && l.includes('404')), logs.join('\n'));
    remove();
    await collector.scrapeOnce();
    assert.equal(requests, 2);
    assert.equal(collector.snapshot.pod('default', 'pod-remote')?.containers[0]?.cpuNano, 5_000_000);
    assert.equal(collector.snapshot.pod('default', 'pod-local'), undefined);
  } finally {
    collector.stop();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
