// The Job controller against a real in-process API server, simulated nodes and the scheduler: pods run to
// completion (completions/parallelism), failures are retried then fail the job at backoffLimit, Indexed
// mode, activeDeadlineSeconds, a FailJob pod failure policy, suspend/resume, ttlSecondsAfterFinished, and
// the tracking finalizer never outlives a counted pod.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { resources } from '../../../src/client/index.js';
import { JobController } from '../../../src/controllers/job/job-controller.js';
import { eventually, getOrUndefined } from '../support.js';
import { startWorkloadEnv, type WorkloadEnv } from './workload-env.js';

let env: WorkloadEnv;
let ctrl: JobController;

function job(name: string, spec: Partial<NonNullable<Job['spec']>>, pod: { after?: number; exit?: number; restartPolicy?: string } = {}): Job {
  const annotations: Record<string, string> = {};
  if (pod.after !== undefined) annotations['sim.skiff.dev/complete-after-seconds'] = String(pod.after);
  if (pod.exit !== undefined) annotations['sim.skiff.dev/exit-code'] = String(pod.exit);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      ...spec,
      template: { metadata: { annotations }, spec: { restartPolicy: pod.restartPolicy ?? 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
    },
  };
}

const getJob = (name: string) => env.client.typed(resources.jobs).get(name, { namespace: 'default' });
const podsOf = async (name: string) =>
  (await env.client.typed(resources.pods).list({ namespace: 'default', labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
const cond = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

describe('job controller', () => {
  before(async () => {
    env = await startWorkloadEnv();
    ctrl = new JobController({ client: env.client, informers: env.informers, log: (l) => env.logs.push(l), backoffBaseMs: 50, backoffMaxMs: 200 });
    env.informers.start();
    await ctrl.start();
  });
  after(async () => {
    await ctrl.stop();
    await env.close();
  });

  it('runs completions pods with at most parallelism at once, then Complete', async () => {
    await env.client.typed(resources.jobs).create(job('pi', { completions: 3, parallelism: 2 }, { after: 0.2 }));
    let maxActive = 0;
    const j = await eventually(
      async () => {
        const j = await getJob('pi');
        maxActive = Math.max(maxActive, j.status?.active ?? 0);
        return j;
      },
      (j) => !!cond(j, 'Complete'),
      'pi complete',
      15_000,
    );
    assert.ok(maxActive <= 2);
    assert.equal(j.status?.succeeded, 3);
    assert.equal(j.status?.failed ?? 0, 0);
    assert.equal(j.status?.active, 0);
    assert.ok(j.status?.startTime && j.status.completionTime);
    assert.equal(cond(j, 'SuccessCriteriaMet')?.reason, 'CompletionsReached');
    assert.equal(cond(j, 'Complete')?.message, 'Reached expected number of succeeded pods');
    const pods = await eventually(() => podsOf('pi'), (ps) => ps.every((p) => !(p.metadata?.finalizers ?? []).includes('batch.kubernetes.io/job-tracking')), 'finalizers removed');
    assert.equal(pods.filter((p) => p.status?.phase === 'Succeeded').length, 3);
    assert.ok(pods.every((p) => p.metadata?.ownerReferences?.[0]?.kind === 'Job' && p.metadata.ownerReferences[0].controller));
    const evs = (await env.client.typed(resources.events).list({ namespace: 'default' })).items.filter((e: Event) => e.involvedObject.name === 'pi');
    assert.ok(evs.some((e) => e.reason === 'SuccessfulCreate' && e.source?.component === 'job-controller'));
    assert.ok(evs.some((e) => e.reason === 'Completed' && e.message === 'Job completed'));
  });

  it('retries failing pods, then fails with BackoffLimitExceeded', async () => {
    await env.client.typed(resources.jobs).create(job('bad', { backoffLimit: 2 }, { after: 0.05, exit: 1 }));
    const j = await eventually(() => getJob('bad'), (j) => !!cond(j, 'Failed'), 'bad failed', 15_000);
    assert.equal(j.status?.failed, 3);
    assert.equal(cond(j, 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(cond(j, 'Failed')?.message, 'Job has reached the specified backoff limit');
    assert.equal(cond(j, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
    assert.equal(j.status?.completionTime, undefined);
    assert.equal((await podsOf('bad')).length, 3);
  });

  it('Indexed mode: one pod per index with hostname and index annotation, completedIndexes', async () => {
    await env.client.typed(resources.jobs).create(job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }, { after: 0.1 }));
    const j = await eventually(() => getJob('idx'), (j) => !!cond(j, 'Complete'), 'idx complete', 15_000);
    assert.equal(j.status?.completedIndexes, '0-2');
    assert.equal(j.status?.succeeded, 3);
    const pods = await podsOf('idx');
    const byIndex = pods.map((p) => [p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], p.spec?.hostname, p.metadata?.labels?.['batch.kubernetes.io/job-completion-index']]);
    assert.deepEqual(byIndex.sort(), [['0', 'idx-0', '0'], ['1', 'idx-1', '1'], ['2', 'idx-2', '2']]);
    assert.ok(pods.every((p) => p.metadata?.name?.startsWith(`idx-${p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']}-`)));
  });

  it('activeDeadlineSeconds: running pods are terminated and the job fails with DeadlineExceeded', async () => {
    await env.client.typed(resources.jobs).create(job('slow', { activeDeadlineSeconds: 1, parallelism: 2, completions: 2 }));
    const j = await eventually(() => getJob('slow'), (j) => !!cond(j, 'Failed'), 'slow failed', 15_000);
    assert.equal(cond(j, 'Failed')?.reason, 'DeadlineExceeded');
    assert.equal(cond(j, 'Failed')?.message, 'Job was active longer than specified deadline');
    assert.equal(j.status?.active, 0);
    await eventually(() => podsOf('slow'), (ps) => ps.length === 0 || ps.every((p) => p.status?.phase === 'Failed' || !!p.metadata?.deletionTimestamp), 'pods terminated');
  });

  it('podFailurePolicy FailJob on an exit code fails the job at once', async () => {
    const j0 = job('pfp', { backoffLimit: 6, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }, { after: 0.05, exit: 42 });
    await env.client.typed(resources.jobs).create(j0);
    const j = await eventually(() => getJob('pfp'), (j) => !!cond(j, 'Failed'), 'pfp failed', 15_000);
    assert.equal(cond(j, 'Failed')?.reason, 'PodFailurePolicy');
    assert.match(cond(j, 'Failed')?.message ?? '', /^Container main for pod default\/pfp-\w+ failed with exit code 42 matching FailJob rule at index 0$/);
    assert.equal(j.status?.failed, 1);
  });

  it('suspend keeps pods away; resume starts them', async () => {
    await env.client.typed(resources.jobs).create(job('sus', { suspend: true, completions: 1 }, { after: 0.1 }));
    const j = await eventually(() => getJob('sus'), (j) => !!cond(j, 'Suspended'), 'suspended condition');
    assert.equal(cond(j, 'Suspended')?.reason, 'JobSuspended');
    assert.equal(j.status?.startTime, undefined);
    assert.equal((await podsOf('sus')).length, 0);
    await env.client.typed(resources.jobs).patch('sus', { spec: { suspend: false } }, 'merge', { namespace: 'default' });
    const done = await eventually(() => getJob('sus'), (j) => !!cond(j, 'Complete'), 'sus complete', 15_000);
    const s = done.status?.conditions?.find((c) => c.type === 'Suspended');
    assert.equal(s?.status, 'False');
    assert.equal(s?.reason, 'JobResumed');
  });

  it('ttlSecondsAfterFinished deletes the finished job and its pods', async () => {
    await env.client.typed(resources.jobs).create(job('ttl', { ttlSecondsAfterFinished: 0 }, { after: 0.05 }));
    await eventually(() => getOrUndefined(getJob('ttl')), (j) => j === undefined, 'ttl job deleted', 15_000);
    await eventually(() => podsOf('ttl'), (ps) => ps.length === 0, 'ttl pods deleted', 10_000);
  });

  it('a deleted pod is replaced and counted as failed', async () => {
    await env.client.typed(resources.jobs).create(job('heal', { completions: 1 }));
    const [p] = await eventually(() => podsOf('heal'), (ps) => ps.length === 1 && ps[0]!.status?.phase === 'Running', 'heal pod running', 10_000);
    await env.client.typed(resources.pods).delete(p!.metadata!.name!, { namespace: 'default' });
    const j = await eventually(() => getJob('heal'), (j) => j.status?.failed === 1 && j.status.active === 1, 'replacement', 10_000);
    assert.equal(j.status?.failed, 1);
    await eventually(() => getOrUndefined(env.client.typed(resources.pods).get(p!.metadata!.name!, { namespace: 'default' })), (x: Pod | undefined) => x === undefined, 'old pod gone');
  });
});
