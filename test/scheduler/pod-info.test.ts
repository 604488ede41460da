// PodInfo.next: a new version of a pod takes over the derived fields of the previous PodInfo only when what
// they derive from is unchanged, and always ends up equal to a PodInfo worked out afresh.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { PodInfo, sameDerivedInputs } from '../../src/scheduler/framework/node-info.js';
import { podInfoDerived } from './pod-info-derived.js';

const base = (spec: Partial<PodSpec> = {}, meta: Record<string, unknown> = {}, status?: Pod['status']): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: '1', labels: { app: 'web' }, ...meta },
  spec: {
    containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } }, ports: [{ containerPort: 80, hostPort: 8080 }] }],
    tolerations: [{ key: 'k', operator: 'Exists' }],
    priority: 10,
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    ...spec,
  },
  status: status ?? { phase: 'Pending' },
});

const derived = podInfoDerived;

describe('sameDerivedInputs and PodInfo.next', () => {
  const prev = base();
  const cases: { name: string; pod: Pod; same: boolean }[] = [
    { name: 'the same object', pod: prev, same: true },
    { name: 'a status update', pod: base({}, { resourceVersion: '2' }, { phase: 'Running', startTime: '2026-01-01T00:00:05Z' }), same: true },
    { name: 'bound to a node', pod: base({ nodeName: 'n1' }, { resourceVersion: '2' }), same: true },
    { name: 'relabelled (labels are read from the pod)', pod: base({}, { labels: { app: 'db' } }), same: true },
    { name: 'tolerations added (read from the pod)', pod: base({ tolerations: [{ key: 'k', operator: 'Exists' }, { key: 'x', operator: 'Exists' }] }), same: true },
    { name: 'priority changed (read from the pod)', pod: base({ priority: 20 }), same: true },
    { name: 'being deleted (read from the pod)', pod: base({}, { deletionTimestamp: '2026-01-01T00:00:09Z' }), same: true },
    { name: 'requests resized', pod: base({ containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '200m', memory: '64Mi' } }, ports: [{ containerPort: 80, hostPort: 8080 }] }] }), same: false },
    { name: 'host port changed', pod: base({ containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } }, ports: [{ containerPort: 80, hostPort: 9090 }] }] }), same: false },
    { name: 'a sidecar init container', pod: base({ initContainers: [{ name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '1' } } }] }), same: false },
    { name: 'overhead', pod: base({ overhead: { cpu: '10m' } }), same: false },
    { name: 'anti-affinity removed', pod: base({ affinity: undefined }), same: false },
    { name: 'node affinity only changes (not derived)', pod: base({ affinity: { ...prev.spec!.affinity, nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } }), same: true },
    { name: 'another pod name', pod: base({}, { name: 'q' }), same: false },
    { name: 'another namespace (namespaced terms)', pod: base({}, { namespace: 'other' }), same: false },
  ];
  const prevInfo = new PodInfo(prev);
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(sameDerivedInputs(prev, c.pod), c.same);
      const next = PodInfo.next(prevInfo, c.pod);
      assert.equal(next.pod, c.pod);
      assert.deepEqual(derived(next), derived(new PodInfo(c.pod)));
      // Taken over, not recomputed, when the inputs are the same.
      assert.equal(next.requiredAntiAffinity === prevInfo.requiredAntiAffinity, c.same && prevInfo.requiredAntiAffinity.length > 0);
      // Nothing of the old object is kept by the new PodInfo.
      assert.equal(next.tolerations, c.pod.spec?.tolerations);
      assert.equal(next.labels, c.pod.metadata?.labels);
    });
  }
});
