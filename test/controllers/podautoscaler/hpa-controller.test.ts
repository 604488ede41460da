// The HPA controller against a real API server whose metrics APIs scrape simulated nodes: Deployments scaled
// through /scale from simulated CPU usage, status and conditions with upstream's reasons and messages,
// events, missing requests, Object and External metrics, and a fleet of 200 HPAs over 200 Deployments whose
// outcome is predicted by the pure algorithm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import { resources } from '../../../src/client/index.js';
import { InformerFactory } from '../../../src/client/informer-factory.js';
import { startControllerManager, type ControllerManager } from '../../../src/controllers/manager.js';
import { HpaController } from '../../../src/controllers/podautoscaler/hpa-controller.js';
import { convertDesiredReplicasWithRules } from '../../../src/controllers/podautoscaler/normalize.js';
import { cpuUsageAnnotation } from '../../../src/runtime/sim/index.js';
import { startMetricsEnv, type MetricsEnv } from '../../metrics/env.js';
import { eventually } from '../support.js';

let env: MetricsEnv;
let manager: ControllerManager;
let informers: InformerFactory;
let hpa: HpaController;
const ns = 'default';

function deployment(name: string, replicas: number, cpuUsage: string, o: { request?: string | null; node?: string } = {}): Deployment {
  const labels = { app: name };
  const request = o.request === null ? {} : { resources: { requests: { cpu: o.request ?? '100m' } } };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { [cpuUsageAnnotation]: cpuUsage } },
        spec: { nodeName: o.node ?? 'sim-node-0', containers: [{ name: 'app', image: 'busybox', ...request }] },
      },
    },
  };
}

function cpuHpa(name: string, target: number, min: number, max: number, extra: Partial<HorizontalPodAutoscaler['spec']> = {}): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: ns },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: min,
      maxReplicas: max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }],
      ...extra,
    },
  };
}

const running = async (app: string, n: number) =>
  eventually(
    () => env.client.list<Pod>(resources.pods, { namespace: ns, labelSelector: `app=${app}` }),
    (l) => l.items.filter((p) => p.status?.phase === 'Running').length === n,
    `${n} running pods of ${app}`,
    20_000,
  );

before(async () => {
  env = await startMetricsEnv({ nodes: 4 });
  manager = await startControllerManager({ client: env.client, controllers: ['deployment', 'replicaset'], log: () => {}, syncTimeoutMs: 10_000 });
  informers = new InformerFactory(env.client, { log: () => {} });
  // Sim pods report Ready at once: without an initialization period their first samples count.
  hpa = new HpaController({ client: env.client, informers, syncPeriodMs: 300, calculator: { cpuInitializationPeriodMs: 0 }, log: () => {} });
  informers.start();
  await hpa.start();
});
after(async () => {
  await hpa?.stop();
  await informers?.stop();
  await manager?.stop();
  await env?.close();
});

const getHpa = (name: string) => env.client.get<HorizontalPodAutoscaler>(resources.horizontalPodAutoscalers, name, { namespace: ns });
const cond = (h: HorizontalPodAutoscaler, type: string) => h.status?.conditions?.find((c) => c.type === type);

test('scales a Deployment up from simulated CPU usage, with upstream status, conditions and event', async () => {
  await env.client.create(resources.deployments, deployment('web', 2, '100m'), { namespace: ns });
  await running('web', 2);
  await env.server.metrics!.scrapeNow();
  await env.client.create(resources.horizontalPodAutoscalers, cpuHpa('web', 50, 1, 10), { namespace: ns });
  const d = await eventually(() => env.client.get<Deployment>(resources.deployments, 'web', { namespace: ns }), (x) => x.spec?.replicas === 4, 'web scaled to 4', 15_000);
  assert.equal(d.spec?.replicas, 4);
  const h = await eventually(() => getHpa('web'), (x) => x.status?.desiredReplicas === 4, 'status written');
  assert.equal(h.status?.currentReplicas, 2);
  assert.ok(h.status?.lastScaleTime);
  assert.deepEqual(h.status?.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 100, averageValue: '100m' } } }]);
  assert.deepEqual(
    [cond(h, 'AbleToScale')?.status, cond(h, 'AbleToScale')?.reason, cond(h, 'AbleToScale')?.message],
    ['True', 'SucceededRescale', 'the HPA controller was able to update the target scale to 4'],
  );
  assert.deepEqual(
    [cond(h, 'ScalingActive')?.status, cond(h, 'ScalingActive')?.reason, cond(h, 'ScalingActive')?.message],
    ['True', 'ValidMetricFound', 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)'],
  );
  assert.deepEqual([cond(h, 'ScalingLimited')?.status, cond(h, 'ScalingLimited')?.reason], ['False', 'DesiredWithinRange']);
  const events = await eventually(
    () => env.client.list<Event>(resources.events, { namespace: ns, fieldSelector: 'involvedObject.name=web,involvedObject.kind=HorizontalPodAutoscaler' }),
    (l) => l.items.some((e) => e.reason === 'SuccessfulRescale'),
    'SuccessfulRescale event',
  );
  const e = events.items.find((x) => x.reason === 'SuccessfulRescale')!;
  assert.equal(e.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
  assert.equal(e.source?.component, 'horizontal-pod-autoscaler');
});

test('pods without CPU requests: ScalingActive False with FailedGetResourceMetric', async () => {
  await env.client.create(resources.deployments, deployment('norequest', 1, '100m', { request: null }), { namespace: ns });
  await running('norequest', 1);
  await env.server.metrics!.scrapeNow();
  await env.client.create(resources.horizontalPodAutoscalers, cpuHpa('norequest', 50, 1, 5), { namespace: ns });
  const h = await eventually(() => getHpa('norequest'), (x) => cond(x, 'ScalingActive')?.status === 'False', 'ScalingActive False', 15_000);
  const c = cond(h, 'ScalingActive')!;
  assert.equal(c.reason, 'FailedGetResourceMetric');
  assert.match(c.message ?? '', /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod norequest-[a-z0-9]+-[a-z0-9]+$/);
  const events = await eventually(
    () => env.client.list<Event>(resources.events, { namespace: ns, fieldSelector: 'involvedObject.name=norequest' }),
    (l) => l.items.some((x) => x.reason === 'FailedComputeMetricsReplicas'),
    'FailedComputeMetricsReplicas event',
  );
  assert.match(events.items.find((x) => x.reason === 'FailedComputeMetricsReplicas')!.message ?? '', /^invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu/);
  assert.ok(events.items.some((x) => x.reason === 'FailedGetResourceMetric' && x.type === 'Warning'));
  // The same failure every sync is one Event whose count grows (the event correlator's aggregation).
  const repeated = await eventually(
    () => env.client.list<Event>(resources.events, { namespace: ns, fieldSelector: 'involvedObject.name=norequest,reason=FailedGetResourceMetric' }),
    (l) => (l.items[0]?.count ?? 0) >= 3,
    'FailedGetResourceMetric counted',
  );
  assert.equal(repeated.items.length, 1);
  assert.equal((await env.client.get<Deployment>(resources.deployments, 'norequest', { namespace: ns })).spec?.replicas, 1);
});

test('Object and External metrics by convention scale a Deployment; the largest proposal wins', async () => {
  await env.client.create(resources.deployments, deployment('queue', 1, '10m'), { namespace: ns });
  await running('queue', 1);
  await env.server.metrics!.scrapeNow();
  await env.client.create(resources.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'queue', annotations: { 'custom.metrics.skiff.dev/requests': '30' } }, spec: { ports: [{ port: 80 }] } }, { namespace: ns });
  await env.client.create(resources.configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orders', labels: { 'external.metrics.skiff.dev/source': 'true', queue: 'orders' } }, data: { depth: '50' } }, { namespace: ns });
  await env.client.create(
    resources.horizontalPodAutoscalers,
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'queue', namespace: ns },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'queue' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          { type: 'Object', object: { describedObject: { apiVersion: 'v1', kind: 'Service', name: 'queue' }, metric: { name: 'requests' }, target: { type: 'Value', value: '10' } } },
          { type: 'External', external: { metric: { name: 'depth', selector: { matchLabels: { queue: 'orders' } } }, target: { type: 'AverageValue', averageValue: '20' } } },
        ],
      },
    },
    { namespace: ns },
  );
  // Object: 30/10 × 1 ready pod = 3; External: ceil(50/20) = 3 → 3 (scale-up limit is 4).
  const h = await eventually(() => getHpa('queue'), (x) => x.status?.desiredReplicas === 3, 'queue HPA decided', 15_000);
  assert.deepEqual(h.status?.currentMetrics, [
    { type: 'Object', object: { describedObject: { apiVersion: 'v1', kind: 'Service', name: 'queue' }, metric: { name: 'requests' }, current: { value: '30' } } },
    { type: 'External', external: { metric: { name: 'depth', selector: { matchLabels: { queue: 'orders' } } }, current: { averageValue: '50' } } },
  ]);
  assert.match(cond(h, 'ScalingActive')?.message ?? '', /calculate a replica count from Service metric requests$/);
});

test('any target with a scale subresource: a custom resource (labelSelectorPath) is scaled', async () => {
  const crds = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' };
  await env.client.create(crds, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'workers.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'workers', singular: 'worker', kind: 'Worker' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
                status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
              },
            },
          },
        },
      ],
    },
  } as never);
  const workers = { group: 'example.com', version: 'v1', resource: 'workers', namespaced: true, kind: 'Worker' };
  await eventually(() => env.client.list(workers, { namespace: ns }).then(() => true, () => false), (ok) => ok, 'workers served');
  await env.client.create(workers, { apiVersion: 'example.com/v1', kind: 'Worker', metadata: { name: 'crunch', namespace: ns }, spec: { replicas: 2 } } as never, { namespace: ns });
  await env.client.patch(workers, 'crunch', { status: { replicas: 2, selector: 'app=crunch' } }, 'merge', { namespace: ns, subresource: 'status' });
  // The "operator" of this resource is the test: it runs two pods with the selector's label.
  for (const i of [0, 1]) {
    await env.client.create(resources.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `crunch-${i}`, namespace: ns, labels: { app: 'crunch' }, annotations: { [cpuUsageAnnotation]: '150m' } },
      spec: { nodeName: 'sim-node-1', containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
    }, { namespace: ns });
  }
  await running('crunch', 2);
  await env.server.metrics!.scrapeNow();
  await env.client.create(
    resources.horizontalPodAutoscalers,
    { ...cpuHpa('crunch', 50, 1, 10), spec: { ...cpuHpa('crunch', 50, 1, 10).spec!, scaleTargetRef: { apiVersion: 'example.com/v1', kind: 'Worker', name: 'crunch' } } },
    { namespace: ns },
  );
  // 150% of the request against 50%: 2 → 6, limited to max(2×2, 4) = 4 in the first sync (later syncs go on,
  // since nothing runs the new pods).
  await eventually(() => env.client.get<{ metadata: object; spec: { replicas: number } }>(workers, 'crunch', { namespace: ns }), (x) => x.spec.replicas >= 4, 'worker scaled', 15_000);
  const events = await eventually(
    () => env.client.list<Event>(resources.events, { namespace: ns, fieldSelector: 'involvedObject.name=crunch,reason=SuccessfulRescale' }),
    (l) => l.items.length > 0,
    'SuccessfulRescale for the worker',
  );
  const first = [...events.items].sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))[0]!;
  assert.equal(first.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
});

/** Like eventually, polling slowly: the fleet's lists are large. */
async function poll<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 400));
  }
}

test('two HPAs over the same pods: ScalingActive False with AmbiguousSelector until one is deleted', async () => {
  await env.client.create(resources.deployments, deployment('shared', 1, '50m'), { namespace: ns });
  await running('shared', 1);
  await env.server.metrics!.scrapeNow();
  for (const name of ['shared-a', 'shared-b']) {
    await env.client.create(resources.horizontalPodAutoscalers, { ...cpuHpa('shared', 50, 1, 5), metadata: { name, namespace: ns } }, { namespace: ns });
  }
  const msg = 'pods by selector app=shared are controlled by multiple HPAs: [default/shared-a default/shared-b]';
  for (const name of ['shared-a', 'shared-b']) {
    const h = await eventually(() => getHpa(name), (x) => cond(x, 'ScalingActive')?.reason === 'AmbiguousSelector', `${name} AmbiguousSelector`, 15_000);
    assert.deepEqual([cond(h, 'ScalingActive')?.status, cond(h, 'ScalingActive')?.message], ['False', msg]);
  }
  await eventually(
    () => env.client.list<Event>(resources.events, { namespace: ns, fieldSelector: 'involvedObject.name=shared-a,reason=AmbiguousSelector' }),
    (l) => l.items[0]?.message === msg && l.items[0]?.type === 'Warning',
    'AmbiguousSelector event',
  );
  await env.client.delete(resources.horizontalPodAutoscalers, 'shared-b', { namespace: ns });
  const h = await eventually(() => getHpa('shared-a'), (x) => cond(x, 'ScalingActive')?.reason === 'ValidMetricFound', 'shared-a active again', 15_000);
  assert.equal(cond(h, 'ScalingActive')?.status, 'True');
});

test('200 HPAs over 200 Deployments make the first decisions the pure algorithm predicts', async () => {
  const n = 200;
  const plan = Array.from({ length: n }, (_, i) => {
    const usage = 20 + ((i * 37) % 280); // millicores per pod; the request is 100m, so this is the utilization %
    const replicas = 1 + (i % 2);
    const target = 60;
    const max = 6;
    const ratio = usage / target;
    const proposal = Math.abs(1 - ratio) <= 0.1 ? replicas : Math.ceil(ratio * replicas);
    // No behavior: a scale-down waits for the 5-minute window (its highest recommendation is the current
    // size); a scale-up is limited by min/max and max(2×current, 4).
    const expected = proposal < replicas ? replicas : convertDesiredReplicasWithRules(replicas, proposal, 1, max).replicas;
    return { name: `fleet-${i}`, node: `sim-node-${i % 4}`, usage, replicas, target, max, expected };
  });
  for (let i = 0; i < n; i += 25) {
    await Promise.all(plan.slice(i, i + 25).map((p) => env.client.create(resources.deployments, deployment(p.name, p.replicas, `${p.usage}m`, { node: p.node }), { namespace: ns })));
  }
  const total = plan.reduce((a, p) => a + p.replicas, 0);
  await poll(
    () => env.client.list<Pod>(resources.pods, { namespace: ns, labelSelector: 'app' }),
    (l) => l.items.filter((p) => p.metadata?.name?.startsWith('fleet-') && p.status?.phase === 'Running').length === total,
    `${total} fleet pods running`,
    60_000,
  );
  await env.server.metrics!.scrapeNow();
  for (let i = 0; i < n; i += 25) {
    await Promise.all(plan.slice(i, i + 25).map((p) => env.client.create(resources.horizontalPodAutoscalers, cpuHpa(p.name, p.target, 1, p.max), { namespace: ns })));
  }
  const byName = new Map(plan.map((p) => [p.name, p]));
  await poll(
    () => env.client.list<HorizontalPodAutoscaler>(resources.horizontalPodAutoscalers, { namespace: ns }),
    (l) => l.items.filter((h) => byName.has(h.metadata!.name!) && h.status?.conditions?.some((c) => c.type === 'ScalingActive')).length === n,
    'every fleet HPA synced',
    60_000,
  );
  // The first SuccessfulRescale of each HPA (event names order by creation time) is its first decision;
  // an HPA without one kept its size.
  const events = await env.client.list<Event>(resources.events, { namespace: ns, fieldSelector: 'reason=SuccessfulRescale' });
  const first = new Map<string, string>();
  for (const e of [...events.items].sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))) {
    const name = e.involvedObject.name!;
    if (byName.has(name) && !first.has(name)) first.set(name, e.message ?? '');
  }
  const wrong: string[] = [];
  for (const p of plan) {
    const msg = first.get(p.name);
    const got = msg ? Number(/^New size: (\d+);/.exec(msg)?.[1]) : p.replicas;
    if (got !== p.expected) wrong.push(`${p.name}: ${p.usage}m ×${p.replicas} → ${got} (expected ${p.expected})`);
  }
  assert.deepEqual(wrong, []);
  assert.ok(plan.some((p) => p.expected > p.replicas) && plan.some((p) => p.expected === p.replicas), 'the fleet covers scale-ups and holds');
});
