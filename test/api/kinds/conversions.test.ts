import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANNOTATION_BEHAVIOR,
  ANNOTATION_CONDITIONS,
  ANNOTATION_CURRENT_METRICS,
  ANNOTATION_METRICS,
  defaultHpaV2,
  hpaV1ToV2,
  hpaV2ToV1,
} from '../../../src/api/kinds/autoscaling.js';
import { coreEventStrategy, coreToEventsV1, eventsV1Strategy, eventsV1ToCore } from '../../../src/api/kinds/events.js';
import type { KubeObject } from '../../../src/api/types.js';

const hpaV2 = (): KubeObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default', annotations: { keep: 'me' } },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 30 }] } },
  },
  status: {
    currentReplicas: 3,
    desiredReplicas: 4,
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 75, averageValue: '150m' } } }],
    conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', lastTransitionTime: '2024-01-01T00:00:00Z' }],
  },
});

test('HPA v2 → v1 keeps v2-only parts in annotations', () => {
  const v1 = hpaV2ToV1(hpaV2()) as any;
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.deepEqual(v1.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 60 });
  assert.deepEqual(v1.status, { currentReplicas: 3, desiredReplicas: 4, currentCPUUtilizationPercentage: 75 });
  const ann = v1.metadata.annotations;
  assert.equal(ann.keep, 'me');
  assert.deepEqual(JSON.parse(ann[ANNOTATION_METRICS]), [
    { type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } },
    { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } },
  ]);
  assert.deepEqual(JSON.parse(ann[ANNOTATION_CURRENT_METRICS]), [{ type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 75, currentAverageValue: '150m' } }]);
  assert.equal(JSON.parse(ann[ANNOTATION_CONDITIONS])[0].type, 'AbleToScale');
  assert.deepEqual(JSON.parse(ann[ANNOTATION_BEHAVIOR]), {
    ScaleUp: null,
    ScaleDown: { StabilizationWindowSeconds: 60, SelectPolicy: 'Max', Policies: [{ Type: 'Percent', Value: 50, PeriodSeconds: 30 }] },
  });
});

test('HPA v2 → v1 → v2 round-trips', () => {
  const original = hpaV2();
  const back = hpaV1ToV2(hpaV2ToV1(original)) as any;
  const want = structuredClone(original) as any;
  // v1 puts the CPU target last when re-assembling, as upstream does
  want.spec.metrics = [want.spec.metrics[1], want.spec.metrics[2], want.spec.metrics[0]];
  assert.deepEqual(back.spec, want.spec);
  assert.deepEqual(back.status, want.status);
  assert.deepEqual(back.metadata.annotations, { keep: 'me' });
});

test('HPA v1 without a target gets the 80% CPU default; v1 edits apply', () => {
  const v1: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'a' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'a' }, maxReplicas: 3 } };
  const v2 = hpaV1ToV2(v1) as any;
  assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  const edited = hpaV2ToV1(hpaV2()) as any;
  edited.spec.targetCPUUtilizationPercentage = 90;
  const stored = hpaV1ToV2(edited) as any;
  assert.equal(stored.spec.metrics.at(-1).resource.target.averageUtilization, 90);
  assert.equal(stored.spec.metrics.length, 3);
  // behavior written by other clients in lower-case is accepted as well
  const lower = structuredClone(v1) as any;
  lower.metadata.annotations = { [ANNOTATION_BEHAVIOR]: '{"scaleUp":{"stabilizationWindowSeconds":30}}' };
  assert.deepEqual((hpaV1ToV2(lower) as any).spec.behavior, { scaleUp: { stabilizationWindowSeconds: 30 } });
});

test('HPA v2 defaults fill behavior only when set', () => {
  const h = hpaV2() as any;
  delete h.spec.minReplicas;
  defaultHpaV2(h);
  assert.equal(h.spec.minReplicas, 1);
  assert.deepEqual(h.spec.behavior.scaleUp, {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  });
  assert.equal(h.spec.behavior.scaleDown.stabilizationWindowSeconds, 60);
  const bare = { metadata: { name: 'b' }, spec: { maxReplicas: 2 } } as any;
  defaultHpaV2(bare);
  assert.equal(bare.spec.behavior, undefined);
  assert.equal(bare.spec.metrics[0].resource.target.averageUtilization, 80);
});

test('events.k8s.io ↔ core events', () => {
  const ev: KubeObject = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'e1', namespace: 'default' },
    eventTime: '2024-01-01T00:00:00.000000Z',
    reportingController: 'skiff/scheduler',
    reportingInstance: 'skiff-1',
    action: 'Binding',
    reason: 'Scheduled',
    regarding: { kind: 'Pod', name: 'p', namespace: 'default', uid: 'u' },
    note: 'assigned default/p to n1',
    type: 'Normal',
    deprecatedCount: 2,
    deprecatedSource: { component: 'default-scheduler' },
  };
  const core = eventsV1ToCore(ev) as any;
  assert.equal(core.apiVersion, 'v1');
  assert.deepEqual(core.involvedObject, { kind: 'Pod', name: 'p', namespace: 'default', uid: 'u' });
  assert.equal(core.message, 'assigned default/p to n1');
  assert.equal(core.reportingComponent, 'skiff/scheduler');
  assert.equal(core.count, 2);
  assert.deepEqual(core.source, { component: 'default-scheduler' });
  assert.deepEqual(coreToEventsV1(core), ev);
  const fs = coreEventStrategy.fieldSelectors!;
  assert.equal(fs['involvedObject.name']!(core), 'p');
  assert.equal(fs['involvedObject.kind']!(core), 'Pod');
  assert.equal(fs['source']!(core), 'default-scheduler');
  assert.equal(fs['reportingComponent']!(core), 'skiff/scheduler');
  assert.equal(eventsV1Strategy.fieldSelectors!['regarding.name']!(ev), 'p');
  assert.equal(eventsV1Strategy.fieldSelectors!['regarding.name']!(core), 'p', 'works on the stored shape too');
  assert.deepEqual(eventsV1Strategy.validate!(ev, {}), []);
});
