// Table-driven tests of the Job controller's pure decisions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import {
  backoffDelayMs,
  deletionOrder,
  duplicateIndexPods,
  formatIndexes,
  isPodFailed,
  jobSucceeded,
  matchPodFailurePolicy,
  parseIndexes,
  pendingIndexes,
  remainingBackoffMs,
  setCondition,
  ttlExpiresAt,
  wantActive,
} from '../../../src/controllers/job/decisions.js';

const job = (spec: Partial<NonNullable<Job['spec']>>, status?: Job['status']): Job => ({
  metadata: { name: 'j', namespace: 'default' },
  spec: { template: { spec: { containers: [] } }, ...spec },
  status,
});

const pod = (name: string, o: { phase?: string; node?: string; ready?: boolean; created?: string; deleting?: boolean; index?: number; exit?: Array<[string, number]>; conds?: Array<[string, string]> } = {}): Pod => ({
  metadata: {
    name,
    namespace: 'default',
    creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
    deletionTimestamp: o.deleting ? '2024-01-01T00:01:00Z' : undefined,
    annotations: o.index !== undefined ? { 'batch.kubernetes.io/job-completion-index': String(o.index) } : undefined,
  },
  spec: { containers: [], nodeName: o.node },
  status: {
    phase: o.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }, ...(o.conds ?? []).map(([type, status]) => ({ type, status }))],
    containerStatuses: (o.exit ?? []).map(([n, code]) => ({ name: n, image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code } } })),
  },
});

describe('job decisions', () => {
  it('back-off: 10 s doubling, capped at 6 min', () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [1, 10_000],
      [2, 20_000],
      [3, 40_000],
      [6, 320_000],
      [7, 360_000],
      [30, 360_000],
    ];
    for (const [failures, want] of cases) assert.equal(backoffDelayMs(failures), want, `failures=${failures}`);
    assert.equal(remainingBackoffMs(2, 1000, 5000), 16_000);
    assert.equal(remainingBackoffMs(1, 1000, 50_000), 0);
    assert.equal(remainingBackoffMs(3, 0, 0, 100, 250), 250);
  });

  it('wantActive per mode', () => {
    const cases: Array<[string, Job, { active: number; succeeded: number; completedIndexes?: number }, number]> = [
      ['fixed completions', job({ completions: 5, parallelism: 2 }), { active: 0, succeeded: 0 }, 2],
      ['near the end', job({ completions: 5, parallelism: 2 }), { active: 1, succeeded: 4 }, 1],
      ['done', job({ completions: 5, parallelism: 2 }), { active: 0, succeeded: 5 }, 0],
      ['work queue, none succeeded', job({ parallelism: 3 }), { active: 1, succeeded: 0 }, 3],
      ['work queue, one succeeded: no new pods', job({ parallelism: 3 }), { active: 1, succeeded: 1 }, 1],
      ['indexed', job({ completions: 4, parallelism: 3, completionMode: 'Indexed' }), { active: 0, succeeded: 9, completedIndexes: 2 }, 2],
      ['suspended', job({ completions: 4, parallelism: 3, suspend: true }), { active: 3, succeeded: 0 }, 0],
    ];
    for (const [name, j, c, want] of cases) assert.equal(wantActive(j, c), want, name);
  });

  it('jobSucceeded per mode', () => {
    assert.equal(jobSucceeded(job({ completions: 2 }), { active: 1, succeeded: 2 }), true);
    assert.equal(jobSucceeded(job({ completions: 2 }), { active: 1, succeeded: 1 }), false);
    assert.equal(jobSucceeded(job({}), { active: 1, succeeded: 1 }), false);
    assert.equal(jobSucceeded(job({}), { active: 0, succeeded: 1 }), true);
    assert.equal(jobSucceeded(job({ completions: 3, completionMode: 'Indexed' }), { active: 0, succeeded: 5, completedIndexes: 2 }), false);
    assert.equal(jobSucceeded(job({ completions: 3, completionMode: 'Indexed' }), { active: 0, succeeded: 3, completedIndexes: 3 }), true);
  });

  it('completedIndexes as compressed intervals', () => {
    const cases: Array<[number[], string]> = [
      [[], ''],
      [[0], '0'],
      [[0, 1, 2], '0-2'],
      [[5, 1, 3, 2, 7], '1-3,5,7'],
      [[1, 1, 2], '1-2'],
    ];
    for (const [idx, s] of cases) {
      assert.equal(formatIndexes(idx), s);
      assert.deepEqual([...parseIndexes(s, 100)].sort((a, b) => a - b), [...new Set(idx)].sort((a, b) => a - b));
    }
    assert.deepEqual([...parseIndexes('0-9', 3)], [0, 1, 2]);
    assert.deepEqual(pendingIndexes(6, new Set([0, 2]), new Set([1]), 2), [3, 4]);
    assert.deepEqual(pendingIndexes(3, new Set([0, 2]), new Set([1]), 2), []);
  });

  it('duplicate and invalid indexes are deleted, keeping the best pod', () => {
    const pods = [pod('a', { index: 0, node: 'n', ready: true }), pod('b', { index: 0, node: 'n', ready: false }), pod('c', { index: 7 }), pod('d', { index: 1 }), pod('e', { index: 2 })];
    assert.deepEqual(duplicateIndexPods(pods, 3, new Set([2])).map((p) => p.metadata?.name).sort(), ['b', 'c', 'e']);
  });

  it('deletion order: unscheduled, pending, not ready, newest first', () => {
    const pods = [
      pod('ready-old', { node: 'n', ready: true, created: '2024-01-01T00:00:00Z' }),
      pod('ready-new', { node: 'n', ready: true, created: '2024-01-02T00:00:00Z' }),
      pod('notready', { node: 'n' }),
      pod('pending', { node: 'n', phase: 'Pending' }),
      pod('unscheduled', { phase: 'Pending' }),
    ];
    assert.deepEqual(deletionOrder(pods).map((p) => p.metadata?.name), ['unscheduled', 'pending', 'notready', 'ready-new', 'ready-old']);
  });

  it('isPodFailed: terminating pods count as failed only without a podFailurePolicy', () => {
    assert.equal(isPodFailed(pod('a', { phase: 'Failed' }), job({})), true);
    assert.equal(isPodFailed(pod('a', { deleting: true }), job({})), true);
    assert.equal(isPodFailed(pod('a', { deleting: true, phase: 'Succeeded' }), job({})), false);
    assert.equal(isPodFailed(pod('a', { deleting: true }), job({ podFailurePolicy: { rules: [] } })), false);
  });

  it('pod failure policy: first matching rule wins, with upstream messages', () => {
    const j = job({
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
          { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
        ],
      },
    });
    const cases: Array<[string, Pod, string | undefined, string | undefined]> = [
      ['disruption ignored', pod('p', { phase: 'Failed', conds: [['DisruptionTarget', 'True']] }), 'Ignore', 'Pod default/p has condition DisruptionTarget matching Ignore rule at index 0'],
      ['exit 42 fails the job', pod('p', { phase: 'Failed', exit: [['main', 42]] }), 'FailJob', 'Container main for pod default/p failed with exit code 42 matching FailJob rule at index 1'],
      ['42 in another container: NotIn rule', pod('p', { phase: 'Failed', exit: [['side', 42]] }), 'Count', 'Container side for pod default/p failed with exit code 42 matching Count rule at index 2'],
      ['exit 1: no rule', pod('p', { phase: 'Failed', exit: [['main', 1]] }), undefined, undefined],
      ['exit 0 never matches', pod('p', { phase: 'Failed', exit: [['main', 0]] }), undefined, undefined],
    ];
    for (const [name, p, action, msg] of cases) {
      const m = matchPodFailurePolicy(j, p);
      assert.equal(m?.action, action, name);
      assert.equal(m?.message, msg, name);
    }
  });

  it('conditions keep lastTransitionTime unless the status changes', () => {
    const a = setCondition([], 'Suspended', 'True', 'JobSuspended', 'Job suspended', Date.parse('2024-01-01T00:00:00Z'));
    const b = setCondition(a, 'Suspended', 'True', 'JobSuspended', 'Job suspended', Date.parse('2024-01-01T01:00:00Z'));
    assert.equal(b, a);
    const c = setCondition(a, 'Suspended', 'False', 'JobResumed', 'Job resumed', Date.parse('2024-01-01T02:00:00Z'));
    assert.equal(c[0]!.lastTransitionTime, '2024-01-01T02:00:00Z');
    assert.equal(c.length, 1);
  });

  it('ttlSecondsAfterFinished counts from completion', () => {
    const done = job({ ttlSecondsAfterFinished: 30 }, { completionTime: '2024-01-01T00:00:00Z', conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] });
    assert.equal(ttlExpiresAt(done), Date.parse('2024-01-01T00:00:30Z'));
    const failed = job({ ttlSecondsAfterFinished: 0 }, { conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: '2024-01-01T00:00:05Z' }] });
    assert.equal(ttlExpiresAt(failed), Date.parse('2024-01-01T00:00:05Z'));
    assert.equal(ttlExpiresAt(job({ ttlSecondsAfterFinished: 0 }, {})), undefined);
    assert.equal(ttlExpiresAt(job({}, done.status)), undefined);
  });
});
