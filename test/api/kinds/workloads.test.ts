import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonSetStrategy, deploymentStrategy, replicaSetStrategy, statefulSetStrategy } from '../../../src/api/kinds/apps.js';
import { cronJobStrategy, jobStrategy } from '../../../src/api/kinds/batch.js';
import type { KubeObject } from '../../../src/api/types.js';

const tpl = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
const obj = (kind: string, spec: Record<string, unknown>, name = 'x'): KubeObject => ({ kind, metadata: { name, namespace: 'default', uid: 'u-1' }, spec });
const messages = (causes: { field?: string; message?: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

test('deployment defaults', () => {
  const d = obj('Deployment', { selector: { matchLabels: { app: 'x' } }, template: tpl({ app: 'x' }) });
  deploymentStrategy.defaults!(d);
  const spec = d['spec'] as any;
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  assert.equal(spec.template.spec.restartPolicy, 'Always');
  assert.equal(spec.template.spec.enableServiceLinks, undefined, 'templates do not get SetDefaults_Pod fields');
  assert.deepEqual(deploymentStrategy.validate!(d, {}), []);
});

test('deployment validation messages', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ template: tpl({ app: 'x' }) }, 'spec.selector: Required value'],
    [{ selector: { matchLabels: { app: 'x' } }, template: tpl({ app: 'y' }) }, 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`'],
    [{ selector: {}, template: tpl({ app: 'y' }) }, 'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
    [{ replicas: -1, selector: { matchLabels: { app: 'x' } }, template: tpl({ app: 'x' }) }, 'spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    [
      { selector: { matchLabels: { app: 'x' } }, template: tpl({ app: 'x' }), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } },
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ],
    [
      { selector: { matchLabels: { app: 'x' } }, template: tpl({ app: 'x' }), strategy: { type: 'Recreate', rollingUpdate: {} } },
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ],
    [
      { selector: { matchLabels: { app: 'x' } }, template: { ...tpl({ app: 'x' }), spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } },
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
  ];
  for (const [spec, want] of cases) {
    const d = obj('Deployment', spec);
    deploymentStrategy.defaults!(d);
    const got = messages(deploymentStrategy.validate!(d, {}));
    assert.ok(got.includes(want), `want ${want}\n got ${JSON.stringify(got)}`);
  }
});

test('selector is immutable on update', () => {
  for (const strategy of [deploymentStrategy, replicaSetStrategy, daemonSetStrategy]) {
    const old = obj('X', { selector: { matchLabels: { app: 'x' } }, template: tpl({ app: 'x', b: 'y' }) });
    strategy.defaults!(old);
    const next = structuredClone(old);
    (next['spec'] as any).selector = { matchLabels: { b: 'y' } };
    const got = messages(strategy.validate!(next, { old }));
    assert.ok(
      got.includes('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"b":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'),
      JSON.stringify(got),
    );
  }
});

test('statefulset defaults and forbidden updates', () => {
  const s = obj('StatefulSet', {
    serviceName: 'web',
    selector: { matchLabels: { app: 'x' } },
    template: tpl({ app: 'x' }),
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
  });
  statefulSetStrategy.defaults!(s);
  const spec = s['spec'] as any;
  assert.equal(spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(spec.replicas, 1);
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
  assert.deepEqual(statefulSetStrategy.validate!(s, {}), []);
  const next = structuredClone(s);
  (next['spec'] as any).serviceName = 'other';
  assert.match(messages(statefulSetStrategy.validate!(next, { old: s })).join('\n'), /spec: Forbidden: updates to statefulset spec for fields other than 'replicas'/);
  const scaled = structuredClone(s);
  (scaled['spec'] as any).replicas = 3;
  assert.deepEqual(statefulSetStrategy.validate!(scaled, { old: s }), []);
});

test('daemonset defaults', () => {
  const d = obj('DaemonSet', { selector: { matchLabels: { app: 'x' } }, template: tpl({ app: 'x' }) });
  daemonSetStrategy.defaults!(d);
  assert.deepEqual((d['spec'] as any).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal((d['spec'] as any).revisionHistoryLimit, 10);
});

test('job defaults, generated selector and restartPolicy rule', () => {
  const j = obj('Job', { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } }, 'pi');
  jobStrategy.defaults!(j);
  jobStrategy.prepareForCreate!(j);
  const spec = j['spec'] as any;
  assert.equal(spec.completions, 1);
  assert.equal(spec.parallelism, 1);
  assert.equal(spec.backoffLimit, 6);
  assert.equal(spec.completionMode, 'NonIndexed');
  assert.equal(spec.suspend, false);
  assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.deepEqual(spec.template.metadata.labels, {
    'job-name': 'pi',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'u-1',
    'batch.kubernetes.io/controller-uid': 'u-1',
  });
  assert.deepEqual(jobStrategy.validate!(j, {}), []);
  const bad = obj('Job', { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
  jobStrategy.defaults!(bad);
  assert.ok(
    messages(jobStrategy.validate!(bad, {})).includes('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'),
  );
  assert.equal(jobStrategy.fieldSelectors!['status.successful']!({ ...j, status: { succeeded: 2 } }), '2');
});

test('cronjob defaults and schedule required', () => {
  const c = obj('CronJob', { jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'x' }] } } } } });
  cronJobStrategy.defaults!(c);
  const spec = c['spec'] as any;
  assert.equal(spec.concurrencyPolicy, 'Allow');
  assert.equal(spec.suspend, false);
  assert.equal(spec.successfulJobsHistoryLimit, 3);
  assert.equal(spec.failedJobsHistoryLimit, 1);
  assert.equal(spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.deepEqual(messages(cronJobStrategy.validate!(c, {})), ['spec.schedule: Required value']);
});

test('StatefulSet containers may mount their volumeClaimTemplates', async () => {
  const { builtinResources } = await import('../../../src/api/kinds/index.js');
  const rt = builtinResources().find((r) => r.resource === 'statefulsets')!;
  const sts = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  rt.strategy.defaults?.(sts as never);
  assert.deepEqual(rt.strategy.validate?.(sts as never, {}) ?? [], []);
  sts.spec.template.spec.containers[0]!.volumeMounts[0]!.name = 'missing';
  assert.match(JSON.stringify(rt.strategy.validate?.(sts as never, {})), /volumeMounts\[0\]\.name/);
});
