// API server memory per stored pod, and list latency at that size: `npm run bench -- server-memory
// [--pods 50000] [--churn 10000]`. Writes P realistic pods (as a Deployment's pods look once the scheduler
// bound them and a kubelet reported them Running: managedFields of three managers, a projected token volume,
// status with conditions; ~5 KB of JSON each) straight into the SQLite store of an in-process API server,
// then measures the heap after GC before and after the pod watch cache loads them (heap per pod), list
// latencies at that size (limit=1 with remainingItemCount, a 500-item page and its continuation, a
// label-selected page, a node's pods by spec.nodeName), and the heap after C pod status updates (the cache's
// event history keeps the replaced objects), each heap figure once the watch cache has shared the values of
// what it holds (20 s after a write, src/util/deferred-interner.ts). Needs --expose-gc (npm run bench passes it).
// Prints human-readable figures; the last line is one JSON object with them.
import { performance } from 'node:perf_hooks';
import { startTestServer, type TestServer } from '../test/apiserver/harness.js';
import { WatchCache } from '../src/storage/watch-cache.js';
import { benchArgs } from './_args.js';

const args = benchArgs();
const podCount = Number(args.get('pods') ?? 50_000);
const churn = Number(args.get('churn') ?? 10_000);
const deployments = 50;
const nodes = 100;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (npm run bench -- server-memory does)');

function heapMiB(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/**
 * Waits until the pod watch cache has shared the values of every object it holds (watched objects are
 * interned once they stayed current for 20 s: src/util/deferred-interner.ts), so the heap is measured as it
 * settles, not with the last 20 s of writes still unshared. Returns the seconds waited.
 */
async function sharingSettled(s: TestServer): Promise<number> {
  const rt = s.server.deps.registry.lookup('', 'v1', 'pods')!;
  const cache = await s.server.deps.storage.cache(rt);
  const t0 = performance.now();
  while (cache.sharing.pending > 0) {
    if (performance.now() - t0 > 120_000) throw new Error(`the pod watch cache still has ${cache.sharing.pending} objects to share after 120 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return (performance.now() - t0) / 1000;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);
const uid = (n: number, salt: number) => `${hex(salt, 8)}-${hex(n >>> 16, 4)}-4${hex(n, 3)}-8${hex(n * 7, 3)}-${hex(n * 2654435761, 12)}`;

/** A Deployment's pod as stored after binding and a kubelet's status update (captured from `skiff up`). */
function podJson(i: number, phase: 'Running' | 'Succeeded' = 'Running'): { key: string; value: string } {
  const d = i % deployments;
  const node = i % nodes;
  const hash = hex(d * 99991 + 0x5d3c1a, 10);
  const name = `scale-${d}-${hash}-${hex(i * 48271, 5)}`;
  const rsUid = uid(d, 0xfeed);
  const ip = `10.42.${node}.${(i >> 7) % 250 + 2}`;
  const t = new Date(Date.UTC(2026, 10, 22, 15, 0, 0) + i * 20).toISOString().replace(/\.\d+Z$/, 'Z');
  const token = `kube-api-access-${hex(i * 69621, 5)}`;
  const cond = (type: string) => ({ '.': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {}, ...(type === 'PodScheduled' ? { 'f:lastProbeTime': {} } : {}) });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      creationTimestamp: t,
      generateName: `scale-${d}-${hash}-`,
      labels: { app: `scale-${d}`, 'pod-template-hash': hash },
      managedFields: [
        {
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': {
              'f:generateName': {},
              'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} },
              'f:ownerReferences': { '.': {}, [`k:{"uid":"${rsUid}"}`]: {} },
            },
            'f:spec': {
              'f:containers': {
                '.': {},
                'k:{"name":"c"}': {
                  '.': {},
                  'f:image': {},
                  'f:imagePullPolicy': {},
                  'f:name': {},
                  'f:resources': {},
                  'f:terminationMessagePath': {},
                  'f:terminationMessagePolicy': {},
                  'f:volumeMounts': { '.': {}, 'k:{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}': { '.': {}, 'f:mountPath': {}, 'f:name': {}, 'f:readOnly': {} } },
                },
              },
              'f:dnsPolicy': {},
              'f:enableServiceLinks': {},
              'f:preemptionPolicy': {},
              'f:priority': {},
              'f:restartPolicy': {},
              'f:schedulerName': {},
              'f:securityContext': {},
              'f:serviceAccount': {},
              'f:serviceAccountName': {},
              'f:terminationGracePeriodSeconds': {},
              'f:tolerations': {},
              'f:volumes': { '.': {}, [`k:{"name":"${token}"}`]: { '.': {}, 'f:name': {}, 'f:projected': { 'f:defaultMode': {}, 'f:sources': {} } } },
            },
            'f:status': { 'f:qosClass': {} },
          },
          manager: 'kube-controller-manager',
          operation: 'Update',
          time: t,
        },
        {
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:nodeName': {} }, 'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"PodScheduled"}': cond('PodScheduled') } } },
          manager: 'kube-scheduler',
          operation: 'Update',
          subresource: 'binding',
          time: t,
        },
        {
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:status': {
              'f:conditions': {
                'k:{"type":"ContainersReady"}': cond('ContainersReady'),
                'k:{"type":"Initialized"}': cond('Initialized'),
                'k:{"type":"PodReadyToStartContainers"}': cond('PodReadyToStartContainers'),
                'k:{"type":"Ready"}': cond('Ready'),
              },
              'f:containerStatuses': {},
              'f:hostIP': {},
              'f:hostIPs': {},
              'f:phase': {},
              'f:podIP': {},
              'f:podIPs': { '.': {}, [`k:{"ip":"${ip}"}`]: { '.': {}, 'f:ip': {} } },
              'f:startTime': {},
            },
          },
          manager: 'skiff-sim-kubelet',
          operation: 'Update',
          subresource: 'status',
          time: t,
        },
      ],
      name,
      namespace: 'default',
      ownerReferences: [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'ReplicaSet', name: `scale-${d}-${hash}`, uid: rsUid }],
      uid: uid(i, 0xbeef),
    },
    spec: {
      containers: [
        {
          image: 'pause:1',
          imagePullPolicy: 'IfNotPresent',
          name: 'c',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: token, readOnly: true }],
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      nodeName: `sim-node-${node}`,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
      volumes: [
        {
          name: token,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
              { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
            ],
          },
        },
      ],
    },
    status: {
      conditions: [
        { lastProbeTime: null, lastTransitionTime: t, status: 'True', type: 'PodReadyToStartContainers' },
        { lastProbeTime: null, lastTransitionTime: t, status: 'True', type: 'Initialized' },
        { lastProbeTime: null, lastTransitionTime: t, status: phase === 'Running' ? 'True' : 'False', type: 'Ready' },
        { lastProbeTime: null, lastTransitionTime: t, status: phase === 'Running' ? 'True' : 'False', type: 'ContainersReady' },
        { lastProbeTime: null, lastTransitionTime: t, status: 'True', type: 'PodScheduled' },
      ],
      containerStatuses: [
        {
          containerID: `sim://${uid(i, 0xbeef).slice(0, 23)}-c-0`,
          image: 'pause:1',
          imageID: 'sim://pause:1',
          name: 'c',
          ready: phase === 'Running',
          restartCount: 0,
          started: phase === 'Running',
          state: { running: { startedAt: t } },
        },
      ],
      hostIP: `172.16.${node >> 8}.${node & 255}`,
      hostIPs: [{ ip: `172.16.${node >> 8}.${node & 255}` }],
      phase,
      podIP: ip,
      podIPs: [{ ip }],
      qosClass: 'BestEffort',
      startTime: t,
    },
  };
  return { key: `/registry/pods/default/${name}`, value: JSON.stringify(pod) };
}

/** Median and max of `runs` timed requests, in ms. */
async function timed(s: TestServer, path: string, runs: number): Promise<{ p50: number; max: number; body: any }> {
  const times: number[] = [];
  let body: any;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    // A keep-alive socket the server closed while the store was being filled is retried once.
    const res = await s.request('GET', path).catch(() => s.request('GET', path));
    times.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body.slice(0, 300)}`);
    body = res.json();
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)]!, max: times[times.length - 1]!, body };
}

async function main(): Promise<void> {
  const s = await startTestServer();
  try {
    await timed(s, '/api/v1/namespaces/default/pods?limit=1', 1); // starts the (empty) pod watch cache
    const heap0 = heapMiB();
    const rss0 = process.memoryUsage().rss / 2 ** 20;
    const t0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < podCount; i++) {
      const { key, value } = podJson(i);
      bytes += value.length;
      await s.store.create(key, value);
    }
    const writeSeconds = (performance.now() - t0) / 1000;
    console.log(`${podCount} pods written to the store in ${writeSeconds.toFixed(1)} s (${(bytes / podCount).toFixed(0)} bytes of JSON each, ${deployments} Deployments, ${nodes} nodes)`);

    const first = await timed(s, '/api/v1/namespaces/default/pods?limit=1', 1); // the cache has applied every write
    const settle1 = await sharingSettled(s);
    const heap1 = heapMiB();
    const rss1 = process.memoryUsage().rss / 2 ** 20;
    const perPodKiB = ((heap1 - heap0) * 1024) / podCount;
    console.log(`heap after GC ${heap0.toFixed(0)} → ${heap1.toFixed(0)} MiB = ${perPodKiB.toFixed(2)} KiB per pod (watch cache, its event history, indexes; values shared ${settle1.toFixed(0)} s after the last write); RSS ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MiB`);
    // What a restarted server does: one store list decoded into a new cache.
    const load = performance.now();
    const second = new WatchCache(s.store, { prefix: '/registry/pods/', decode: (kv) => s.server.deps.storage.decode(kv) });
    await second.start();
    const loadSeconds = (performance.now() - load) / 1000;
    second.stop();
    console.log(`a second pod watch cache loads the ${podCount} pods in ${loadSeconds.toFixed(2)} s`);
    if (first.body.metadata.remainingItemCount !== podCount - 1) throw new Error(`remainingItemCount ${first.body.metadata.remainingItemCount}`);

    const one = await timed(s, '/api/v1/namespaces/default/pods?limit=1', 50);
    const page = await timed(s, '/api/v1/namespaces/default/pods?limit=500', 10);
    const next = await timed(s, `/api/v1/namespaces/default/pods?limit=500&continue=${page.body.metadata.continue}`, 10);
    const labelled = await timed(s, '/api/v1/namespaces/default/pods?limit=100&labelSelector=app%3Dscale-7', 10);
    const byNode = await timed(s, '/api/v1/pods?fieldSelector=spec.nodeName%3Dsim-node-3', 5);
    console.log(`list limit=1 (remainingItemCount ${one.body.metadata.remainingItemCount}): p50 ${one.p50.toFixed(2)} ms, max ${one.max.toFixed(1)} ms`);
    console.log(`list limit=500: p50 ${page.p50.toFixed(1)} ms; its continuation: p50 ${next.p50.toFixed(1)} ms`);
    console.log(`list limit=100 labelSelector=app=scale-7 (${labelled.body.items.length} items): p50 ${labelled.p50.toFixed(1)} ms`);
    console.log(`list fieldSelector=spec.nodeName=sim-node-3 (${byNode.body.items.length} items): p50 ${byNode.p50.toFixed(1)} ms`);

    // Churn: status updates, as kubelets write them; the cache's event history keeps replaced objects.
    const t1 = performance.now();
    for (let i = 0; i < churn; i++) {
      const { key, value } = podJson(i % podCount, 'Succeeded');
      const kv = (await s.store.get(key))!;
      await s.store.update(key, value, kv.modRevision);
    }
    await timed(s, '/api/v1/namespaces/default/pods?limit=1', 1); // waits until the cache applied them all
    const churnSeconds = (performance.now() - t1) / 1000;
    await sharingSettled(s);
    const heap2 = heapMiB();
    const rss2 = process.memoryUsage().rss / 2 ** 20;
    console.log(`after ${churn} pod updates (${churnSeconds.toFixed(1)} s): heap ${heap2.toFixed(0)} MiB (+${(heap2 - heap1).toFixed(0)} MiB), RSS ${rss2.toFixed(0)} MiB`);
    const loadavg = (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`load average ${loadavg}`);
    console.log(
      JSON.stringify({
        pods: podCount,
        jsonBytesPerPod: Math.round(bytes / podCount),
        heapBeforeMiB: +heap0.toFixed(1),
        heapWithPodsMiB: +heap1.toFixed(1),
        heapPerPodKiB: +perPodKiB.toFixed(2),
        rssWithPodsMiB: Math.round(rss1),
        cacheLoadSeconds: +loadSeconds.toFixed(2),
        listLimit1P50Ms: +one.p50.toFixed(2),
        listLimit500P50Ms: +page.p50.toFixed(1),
        listContinue500P50Ms: +next.p50.toFixed(1),
        listLabelSelectedP50Ms: +labelled.p50.toFixed(1),
        listByNodeP50Ms: +byNode.p50.toFixed(1),
        churnUpdates: churn,
        heapAfterChurnMiB: +heap2.toFixed(1),
        loadAverage: loadavg,
      }),
    );
  } finally {
    await s.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
