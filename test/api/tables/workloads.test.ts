// Tables for apps/v1 and batch/v1 workloads: deployments, replica sets, stateful sets, daemon sets,
// controller revisions, jobs and cron jobs — cells as upstream printers.go (and printers_test.go) print them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { tableFor } from '../../../src/api/tables/index.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

function obj(o: Record<string, unknown>): KubeObject {
  return o as unknown as KubeObject;
}
function table(group: string, kind: string) {
  const t = tableFor(group, kind);
  assert.ok(t, `${group}/${kind} has a table`);
  return t;
}
const header = (group: string, kind: string) => table(group, kind).columns.map((c) => (c.priority ? `${c.name}*` : c.name));

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] },
};

test('deployment: READY n/m, UP-TO-DATE, AVAILABLE, wide containers/images/selector', () => {
  assert.deepEqual(header('apps', 'Deployment'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['rolled out', {
      metadata: { name: 'web', creationTimestamp: ago(2 * D + 3 * H) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', tier: 'fe' } }, template },
      status: { replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 },
    }, ['web', '3/3', 3, 3, '2d3h', 'web,log', 'nginx:1.27,busybox', 'app=web,tier=fe']],
    ['fresh, no status', {
      metadata: { name: 'new', creationTimestamp: ago(5 * S) },
      spec: { replicas: 2, selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }, { key: 'app', operator: 'Exists' }] }, template },
    }, ['new', '0/2', 0, 0, '5s', 'web,log', 'nginx:1.27,busybox', 'app,env in (dev,prod)']],
    ['invalid selector', {
      metadata: { name: 'bad' },
      spec: { replicas: 1, selector: { matchExpressions: [{ key: 'x', operator: 'Sometimes' }] }, template },
    }, ['bad', '0/1', 0, 0, '<unknown>', 'web,log', 'nginx:1.27,busybox', '<invalid>']],
  ];
  for (const [what, o, want] of cases) assert.deepEqual(table('apps', 'Deployment').row(obj(o), NOW), want, what);
});

test('replica set, stateful set, daemon set', () => {
  assert.deepEqual(header('apps', 'ReplicaSet'), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
  assert.deepEqual(
    table('apps', 'ReplicaSet').row(obj({
      metadata: { name: 'web-5d8f', creationTimestamp: ago(70 * M) },
      spec: { replicas: 5, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d8f' } }, template },
      status: { replicas: 5, readyReplicas: 4 },
    }), NOW),
    ['web-5d8f', 5, 5, 4, '70m', 'web,log', 'nginx:1.27,busybox', 'app=web,pod-template-hash=5d8f'],
  );

  assert.deepEqual(header('apps', 'StatefulSet'), ['Name', 'Ready', 'Age', 'Containers*', 'Images*']);
  assert.deepEqual(
    table('apps', 'StatefulSet').row(obj({
      metadata: { name: 'db', creationTimestamp: ago(49 * H) },
      spec: { replicas: 3, template },
      status: { replicas: 2, readyReplicas: 1 },
    }), NOW),
    ['db', '1/3', '2d1h', 'web,log', 'nginx:1.27,busybox'],
  );

  assert.deepEqual(header('apps', 'DaemonSet'), [
    'Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*',
  ]);
  const ds = table('apps', 'DaemonSet');
  assert.deepEqual(
    ds.row(obj({
      metadata: { name: 'agent', creationTimestamp: ago(8 * D) },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'a', image: 'agent:1' }] } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    }), NOW),
    ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '8d', 'a', 'agent:1', 'app=agent'],
  );
  assert.deepEqual(
    ds.row(obj({ metadata: { name: 'empty' }, spec: { template: { spec: { containers: [] } } } }), NOW),
    ['empty', 0, 0, 0, 0, 0, '<none>', '<unknown>', '', '', '<none>'],
  );
});

test('controller revision names its controller as kind.group/name', () => {
  const t = table('apps', 'ControllerRevision');
  assert.deepEqual(t.columns.map((c) => c.name), ['Name', 'Controller', 'Revision', 'Age']);
  const mk = (ownerReferences: unknown[]) =>
    obj({ metadata: { name: 'web-7c9', creationTimestamp: ago(10 * M), ownerReferences }, revision: 2 });
  assert.deepEqual(
    t.row(mk([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }]), NOW),
    ['web-7c9', 'statefulset.apps/web', 2, '10m'],
  );
  assert.deepEqual(t.row(mk([{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u', controller: true }]), NOW), ['web-7c9', 'pod/p', 2, '10m']);
  assert.deepEqual(t.row(mk([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'x', uid: 'u' }]), NOW), ['web-7c9', '<none>', 2, '10m']);
});

test('job: STATUS, COMPLETIONS and DURATION', () => {
  assert.deepEqual(header('batch', 'Job'), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const t = table('batch', 'Job');
  const tmpl = { spec: { containers: [{ name: 'pi', image: 'perl' }] } };
  const sel = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } };
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['complete', {
      metadata: { name: 'pi', creationTimestamp: ago(10 * M) },
      spec: { completions: 1, parallelism: 1, selector: sel, template: tmpl },
      status: { succeeded: 1, startTime: ago(10 * M), completionTime: ago(10 * M - 75 * S), conditions: [{ type: 'Complete', status: 'True' }] },
    }, ['pi', 'Complete', '1/1', '75s', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=abc']],
    ['running, duration until now', {
      metadata: { name: 'run', creationTimestamp: ago(3 * M) },
      spec: { completions: 5, parallelism: 2, template: tmpl },
      status: { succeeded: 2, startTime: ago(3 * M + 10 * S) },
    }, ['run', 'Running', '2/5', '3m10s', '3m', 'pi', 'perl', '<none>']],
    ['work queue with parallelism', {
      metadata: { name: 'queue' },
      spec: { parallelism: 3, template: tmpl },
      status: {},
    }, ['queue', 'Running', '0/1 of 3', '', '<unknown>', 'pi', 'perl', '<none>']],
    ['failed beats terminating', {
      metadata: { name: 'f', deletionTimestamp: ago(S) },
      spec: { template: tmpl },
      status: { failed: 6, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
    }, ['f', 'Failed', '0/1', '', '<unknown>', 'pi', 'perl', '<none>']],
    ['terminating', { metadata: { name: 't', deletionTimestamp: ago(S) }, spec: { template: tmpl }, status: {} },
      ['t', 'Terminating', '0/1', '', '<unknown>', 'pi', 'perl', '<none>']],
    ['suspended', { metadata: { name: 's' }, spec: { suspend: true, template: tmpl }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } },
      ['s', 'Suspended', '0/1', '', '<unknown>', 'pi', 'perl', '<none>']],
    ['failure target', { metadata: { name: 'ft' }, spec: { template: tmpl }, status: { conditions: [{ type: 'FailureTarget', status: 'True' }] } },
      ['ft', 'FailureTarget', '0/1', '', '<unknown>', 'pi', 'perl', '<none>']],
    ['false condition ignored', { metadata: { name: 'x' }, spec: { template: tmpl }, status: { conditions: [{ type: 'Complete', status: 'False' }] } },
      ['x', 'Running', '0/1', '', '<unknown>', 'pi', 'perl', '<none>']],
  ];
  for (const [what, o, want] of cases) assert.deepEqual(t.row(obj(o), NOW), want, what);
});

test('cron job: SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE', () => {
  assert.deepEqual(header('batch', 'CronJob'), [
    'Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers*', 'Images*', 'Selector*',
  ]);
  const t = table('batch', 'CronJob');
  const jobTemplate = { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox' }] } } } };
  assert.deepEqual(
    t.row(obj({
      metadata: { name: 'hello', creationTimestamp: ago(2 * H) },
      spec: { schedule: '*/1 * * * *', timeZone: 'Europe/Paris', suspend: false, jobTemplate },
      status: { active: [{ name: 'hello-1' }], lastScheduleTime: ago(30 * S) },
    }), NOW),
    ['hello', '*/1 * * * *', 'Europe/Paris', 'False', 1, '30s', '120m', 'hello', 'busybox', '<none>'],
  );
  assert.deepEqual(
    t.row(obj({ metadata: { name: 'never' }, spec: { schedule: '@daily', jobTemplate }, status: {} }), NOW),
    ['never', '@daily', '<none>', '<unset>', 0, '<none>', '<unknown>', 'hello', 'busybox', '<none>'],
  );
  assert.equal(t.row(obj({ metadata: { name: 's' }, spec: { schedule: '@daily', suspend: true, jobTemplate } }), NOW)[3], 'True');
});
