// The scheduler's handling of pod watch events, in process (`npm run bench -- scheduler-events`): CPU per
// pod of what its pod informer and handlers do with the four events each pod of the scheduler benchmark's
// basic phase brings (added pending; bound; ContainerCreating; Running), without the API server, the wire
// and the scheduling algorithm (`bench/scheduler.ts --algorithm true` measures that). The events are
// decoded objects, as the watch decoder hands them over, shaped as the server sends them (defaults,
// managedFields, a service account token volume, the simulated kubelet's statuses); they go through the
// scheduler's real informer (transform, cache, deferred value sharing's bookkeeping), its event handlers,
// cache and queue, with each pod popped and assumed on a node between its first two events, as the
// scheduling loop does. `--pods` (default 20,000), `--nodes` (default 5,000), `--rounds` (default 3).
// Prints CPU µs and GC per pod per round; the last line is one JSON object with the best round.
import { PerformanceObserver } from 'node:perf_hooks';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Informer, resources, type ApiClient } from '../src/client/index.js';
import type { WatchEvent } from '../src/client/watch-event.js';
import { simNodeSpecs } from '../src/runtime/sim/index.js';
import { buildNode } from '../src/runtime/sim/node-object.js';
import { creatingStatus, runningStatus } from '../src/runtime/sim/pod-status.js';
import { SchedulerCache } from '../src/scheduler/cache.js';
import type { ClusterEvent } from '../src/scheduler/framework/types.js';
import { podEventHandlers } from '../src/scheduler/pod-events.js';
import { schedulerPodView } from '../src/scheduler/pod-view.js';
import { buildFramework, defaultProfile } from '../src/scheduler/profile.js';
import { SchedulingQueue } from '../src/scheduler/queue.js';
import { benchArgs } from './_args.js';

const args = benchArgs();
const podCount = Number(args.get('pods') ?? 20_000);
const nodeCount = Number(args.get('nodes') ?? 5_000);
const rounds = Number(args.get('rounds') ?? 3);

const time = '2026-01-01T00:00:00Z';
const field = (manager: string, subresource?: string) => ({
  manager,
  operation: 'Update',
  apiVersion: 'v1',
  time,
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': { 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } } } } } },
  ...(subresource ? { subresource } : {}),
});

/** A pod as the server returns it after creation (defaults applied), version `rv`. */
function created(round: number, i: number, rv: number): Pod {
  return {
    metadata: { name: `basic-${round}-${i}`, namespace: 'default', uid: `uid-${round}-${i}`, creationTimestamp: time, managedFields: [field('bench')], resourceVersion: String(rv) },
    spec: {
      volumes: [{ name: 'kube-api-access', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } }],
      containers: [
        {
          name: 'c',
          image: 'pause',
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
          volumeMounts: [{ name: 'kube-api-access', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      serviceAccountName: 'default',
      serviceAccount: 'default',
    },
    apiVersion: 'v1',
    kind: 'Pod',
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
}

/** The four versions of one pod the scheduler's watch delivers in the basic phase. */
function versions(round: number, i: number, node: string, rv: number): Pod[] {
  const now = Date.parse(time);
  const v0 = created(round, i, rv);
  const v1 = created(round, i, rv + 1);
  v1.spec!.nodeName = node;
  v1.status!.conditions = [{ type: 'PodScheduled', status: 'True', lastProbeTime: null as unknown as undefined, lastTransitionTime: time }];
  const v2 = created(round, i, rv + 2);
  v2.spec!.nodeName = node;
  v2.metadata!.managedFields!.push(field('skiff-sim', 'status'));
  (v2 as { status: Pod['status'] }).status = { ...creatingStatus(v2, '10.0.0.1', now), qosClass: 'Burstable' };
  v2.status!.conditions!.push(v1.status!.conditions[0]!);
  const v3 = created(round, i, rv + 3);
  v3.spec!.nodeName = node;
  v3.metadata!.managedFields!.push(field('skiff-sim', 'status'));
  (v3 as { status: Pod['status'] }).status = { ...runningStatus(v3, '10.0.0.1', `10.1.${(i >> 8) & 255}.${i & 255}`, now, now, 0), qosClass: 'Burstable' };
  v3.status!.conditions!.push(v1.status!.conditions[0]!);
  return [v0, v1, v2, v3];
}

const profile = defaultProfile();
const cache = new SchedulerCache();
const nodeNames: string[] = [];
const now = Date.now();
simNodeSpecs({ count: nodeCount, cpu: '32', memory: '256Gi', pods: 110 }).forEach((spec, i) => {
  const n = buildNode(spec, i, now);
  nodeNames.push(n.metadata!.name!);
  cache.addNode(n);
});
// The queue's event → plugins map as the scheduler builds it (the binder and preemption are never reached).
const client0 = { close() {} } as unknown as ApiClient;
const fwk = buildFramework(profile, { client: client0, handle: cache.handle(), preemption: { pdbs: () => [], evict: async () => {} } });
const queue = new SchedulingQueue({ less: fwk.queueSort!.less, pluginsFor: (e: ClusterEvent) => fwk.eventPlugins.get(e) ?? new Set() });

let gcCount = 0;
let gcMs = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++;
    gcMs += e.duration;
  }
});
obs.observe({ entryTypes: ['gc'] });

let rv = 100;
const results: { usPerPod: number; gcPerPod: number; gcMsPer1000: number }[] = [];
for (let round = 0; round < rounds; round++) {
  // The events are made as the stream goes (as decoded ones arrive, garbage once handled); what making them
  // costs is measured alone first and taken off.
  const base = rv;
  rv += podCount * 4;
  const make = (i: number) => versions(round, i, nodeNames[(i * 7) % nodeCount]!, base + i * 4);
  const m0 = process.cpuUsage();
  for (let i = 0; i < podCount; i++) make(i);
  const m = process.cpuUsage(m0);
  const makeUs = (m.user + m.system) / podCount;
  let rejected = 0;
  let go!: () => void;
  const started = new Promise<void>((r) => (go = r));
  // A client whose list is empty and whose one watch delivers the round's events; between a pod's added
  // and bound events the scheduling loop pops it and assumes it on the node the bound event names.
  const client = {
    list: async () => ({ items: [], resourceVersion: String(rv) }),
    watch: async (_r: unknown, { signal }: { signal?: AbortSignal }) => {
      async function* stream(): AsyncGenerator<WatchEvent<Pod>> {
        await started;
        for (let i = 0; i < podCount; i++) {
          const [v0, v1, v2, v3] = make(i);
          yield { type: 'ADDED', object: v0! };
          const q = queue.tryPop();
          if (!q) rejected++;
          else cache.assumePod(q.podInfo, v1!.spec!.nodeName!);
          yield { type: 'MODIFIED', object: v1! };
          if (q) queue.done(q.key);
          yield { type: 'MODIFIED', object: v2! };
          yield { type: 'MODIFIED', object: v3! };
        }
        // The watch stays open until the informer stops.
        await new Promise((r) => signal?.addEventListener('abort', r, { once: true }));
      }
      const it = stream();
      return { [Symbol.asyncIterator]: () => it, close: () => void it.return(undefined) };
    },
  } as unknown as ApiClient;
  const inf = new Informer<Pod>(client, resources.pods, { transform: schedulerPodView, log: () => {} });
  inf.addEventHandler(podEventHandlers({ cache, queue, responsible: (p) => (p.spec?.schedulerName ?? 'default-scheduler') === profile.schedulerName, forget: () => {} }));
  inf.start();
  await inf.waitForSync();
  await new Promise((r) => setTimeout(r, 50)); // the GC observer reports what came before
  const gc0 = { n: gcCount, ms: gcMs };
  const cpu0 = process.cpuUsage();
  go();
  const target = podCount;
  let seen = 0;
  while (seen < target) {
    await new Promise((r) => setImmediate(r));
    seen = 0;
    const last = inf.indexer.get(`default/basic-${round}-${podCount - 1}`);
    if (last?.status?.phase === 'Running') seen = target;
  }
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 50)); // let the GC observer report
  const usPerPod = (cpu.user + cpu.system) / podCount - makeUs;
  const gcPerPod = (gcCount - gc0.n) / podCount;
  const gcMsPer1000 = ((gcMs - gc0.ms) / podCount) * 1000;
  results.push({ usPerPod, gcPerPod, gcMsPer1000 });
  console.log(
    `round ${round + 1}: ${podCount} pods × 4 events on ${nodeCount} nodes: ${usPerPod.toFixed(1)} µs CPU per pod (making the events: ${makeUs.toFixed(1)} µs more), ` +
      `${(gcCount - gc0.n)} GCs (${gcMsPer1000.toFixed(1)} ms GC per 1,000 pods)${rejected ? `, ${rejected} not queued` : ''}; cache ${cache.podCount} pods`,
  );
  await inf.stop();
}
obs.disconnect();
const best = results.reduce((a, b) => (b.usPerPod < a.usPerPod ? b : a));
console.log(JSON.stringify({ pods: podCount, nodes: nodeCount, usPerPod: +best.usPerPod.toFixed(1), gcMsPer1000Pods: +best.gcMsPer1000.toFixed(1) }));
process.exit(0);
