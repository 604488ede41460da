// The scheduler's view of a pod: everything scheduling derives from the view equals what it derives from
// the whole pod, and what only a node agent needs is gone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { schedulerPodView } from '../../src/scheduler/pod-view.js';
import { PodInfo } from '../../src/scheduler/framework/node-info.js';
import { podMatchesNodeRequirements } from '../../src/scheduler/framework/node-selector.js';
import { podInfoDerived } from './pod-info-derived.js';

const heavy = {
  env: [{ name: 'A', value: 'x'.repeat(200) }],
  command: ['/bin/server'],
  args: ['--flag'],
  volumeMounts: [{ name: 'data', mountPath: '/data' }],
  readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
  terminationMessagePath: '/dev/termination-log',
  imagePullPolicy: 'IfNotPresent',
};

const base = (spec: Partial<NonNullable<Pod['spec']>>, status?: Pod['status']): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u',
    resourceVersion: '9',
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { app: 'web' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs', controller: true }],
    managedFields: [{ manager: 'kubectl', operation: 'Update' }],
  },
  spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '250m', memory: '64Mi' } }, ...heavy }], ...spec },
  status,
});

describe('schedulerPodView', () => {
  const cases: { name: string; pod: Pod }[] = [
    { name: 'a pending pod with requests', pod: base({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }) },
    {
      name: 'sidecar and init containers, overhead, host ports, priority',
      pod: base({
        initContainers: [
          { name: 'init', image: 'busybox', resources: { requests: { cpu: '2' } }, ...heavy },
          { name: 'side', image: 'envoy', restartPolicy: 'Always', resources: { requests: { memory: '1Gi' } }, ports: [{ containerPort: 9901, hostPort: 9901 }] },
        ],
        overhead: { cpu: '10m' },
        priority: 1000,
        containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }], ...heavy }],
      }),
    },
    {
      name: 'affinity, tolerations, node selector, spread, volumes; running with statuses',
      pod: base(
        {
          nodeName: 'n1',
          nodeSelector: { disk: 'ssd' },
          tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } },
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] },
            podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone' } }] },
          },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
          dnsPolicy: 'ClusterFirst',
          securityContext: { runAsUser: 1000 },
          ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
        },
        {
          phase: 'Running',
          startTime: '2026-01-01T00:00:05Z',
          nominatedNodeName: 'n1',
          podIP: '10.0.0.1',
          conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }],
          containerStatuses: [{ name: 'c', image: 'nginx', imageID: 'x', ready: true, restartCount: 0, state: { running: {} } }],
        },
      ),
    },
  ];
  const node = { metadata: { name: 'n1', labels: { disk: 'ssd', zone: 'a' } } };
  for (const c of cases) {
    it(`${c.name}: what scheduling derives is unchanged`, () => {
      const v = schedulerPodView(structuredClone(c.pod));
      const full = new PodInfo(c.pod);
      const view = new PodInfo(v);
      const derived = (p: PodInfo) => ({ ...podInfoDerived(p), nodeOk: podMatchesNodeRequirements(p.pod, node) });
      assert.deepEqual(derived(view), derived(full));
      const keep = (p: Pod) => ({
        ref: [p.apiVersion, p.kind, p.metadata?.name, p.metadata?.namespace, p.metadata?.uid, p.metadata?.resourceVersion, p.metadata?.ownerReferences],
        spec: [p.spec?.nodeName, p.spec?.nodeSelector, p.spec?.affinity, p.spec?.tolerations, p.spec?.schedulerName, p.spec?.schedulingGates, p.spec?.priority, p.spec?.preemptionPolicy, p.spec?.overhead, p.spec?.topologySpreadConstraints],
        claims: (p.spec?.volumes ?? []).filter((x) => x.persistentVolumeClaim),
        status: [p.status?.phase, p.status?.nominatedNodeName, p.status?.startTime, p.status?.conditions?.find((x) => x.type === 'PodScheduled')],
      });
      assert.deepEqual(keep(v), keep(c.pod));
      assert.equal(v.metadata?.managedFields, undefined);
      assert.equal(v.metadata?.annotations, undefined);
      assert.equal(v.status?.containerStatuses, undefined);
      assert.ok(!v.spec?.volumes?.some((x) => !x.persistentVolumeClaim), 'only claims among the volumes');
      assert.equal(v.spec?.dnsPolicy, undefined);
      for (const ct of [...(v.spec?.containers ?? []), ...(v.spec?.initContainers ?? [])]) assert.equal(ct.env, undefined);
    });
  }
});
