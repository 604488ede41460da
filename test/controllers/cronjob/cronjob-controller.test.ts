// The CronJob controller with an injected (stepped) clock, the Job controller, an in-process API server,
// simulated nodes and the scheduler: a job per schedule time named <cronjob>-<minutes>, Forbid never
// overlaps, Replace swaps the running job, history limits and lastSuccessfulTime, suspend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { FakeClock, resources } from '../../../src/client/index.js';
import { CronJobController } from '../../../src/controllers/cronjob/cronjob-controller.js';
import { JobController } from '../../../src/controllers/job/job-controller.js';
import { eventually } from '../support.js';
import { startWorkloadEnv, type WorkloadEnv } from '../job/workload-env.js';

let env: WorkloadEnv;
let jobs: JobController;
let cron: CronJobController;
let clock: FakeClock;

function cronJob(name: string, spec: Partial<NonNullable<CronJob['spec']>>, completeAfter?: number): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      ...spec,
      jobTemplate: {
        metadata: { labels: { cron: name } },
        spec: {
          template: {
            metadata: { annotations: completeAfter !== undefined ? { 'sim.skiff.dev/complete-after-seconds': String(completeAfter) } : {} },
            spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
          },
        },
      },
    },
  };
}

const jobsOf = async (name: string): Promise<Job[]> =>
  (await env.client.typed(resources.jobs).list({ namespace: 'default', labelSelector: `cron=${name}` })).items.filter((j) => !j.metadata?.deletionTimestamp);
const getCj = (name: string) => env.client.typed(resources.cronJobs).get(name, { namespace: 'default' });
const eventsFor = async (name: string) => (await env.client.typed(resources.events).list({ namespace: 'default' })).items.filter((e) => e.involvedObject.name === name);
/** Moves the controller's clock to the next minute boundary plus 1 s. */
const nextMinute = () => clock.step(60_000 - (clock.now() % 60_000) + 1000);
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('cronjob controller', () => {
  before(async () => {
    env = await startWorkloadEnv();
    clock = new FakeClock(Date.now());
    jobs = new JobController({ client: env.client, informers: env.informers, log: (l) => env.logs.push(l) });
    cron = new CronJobController({ client: env.client, informers: env.informers, clock, log: (l) => env.logs.push(l) });
    env.informers.start();
    await Promise.all([jobs.start(), cron.start()]);
  });
  after(async () => {
    await cron.stop();
    await jobs.stop();
    await env.close();
  });

  it('Forbid: one job per schedule time, never two at once', async () => {
    await env.client.typed(resources.cronJobs).create(cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
    await settle();
    assert.equal((await jobsOf('forbid')).length, 0);
    nextMinute();
    const [j] = await eventually(() => jobsOf('forbid'), (js) => js.length === 1, 'first job');
    const scheduled = Math.floor(clock.now() / 60_000) * 60_000;
    assert.equal(j!.metadata?.name, `forbid-${scheduled / 60_000}`);
    assert.equal(j!.metadata?.ownerReferences?.[0]?.kind, 'CronJob');
    const cj = await eventually(() => getCj('forbid'), (c) => (c.status?.active ?? []).length === 1, 'active');
    assert.equal(Date.parse(cj.status!.lastScheduleTime!), scheduled);
    nextMinute();
    await eventually(() => eventsFor('forbid'), (evs) => evs.some((e) => e.reason === 'JobAlreadyActive'), 'JobAlreadyActive event');
    await settle();
    assert.equal((await jobsOf('forbid')).length, 1);
    await env.client.typed(resources.cronJobs).delete('forbid', { namespace: 'default' });
  });

  it('Replace: the running job is deleted and a new one started', async () => {
    await env.client.typed(resources.cronJobs).create(cronJob('replace', { concurrencyPolicy: 'Replace' }));
    await settle();
    nextMinute();
    const [first] = await eventually(() => jobsOf('replace'), (js) => js.length === 1, 'first job');
    await eventually(() => getCj('replace'), (c) => (c.status?.active ?? []).length === 1, 'active');
    nextMinute();
    const [second] = await eventually(() => jobsOf('replace'), (js) => js.length === 1 && js[0]!.metadata?.name !== first!.metadata?.name, 'replaced');
    const cj = await eventually(() => getCj('replace'), (c) => c.status?.active?.[0]?.name === second!.metadata?.name, 'active is the new job');
    assert.equal(cj.status?.active?.length, 1);
    const evs = await eventsFor('replace');
    assert.ok(evs.some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${first!.metadata?.name}`));
    await env.client.typed(resources.cronJobs).delete('replace', { namespace: 'default' });
  });

  it('Allow with history limit 1: finished jobs beyond the limit are removed; lastSuccessfulTime', async () => {
    await env.client.typed(resources.cronJobs).create(cronJob('hist', { successfulJobsHistoryLimit: 1 }, 0.05));
    await settle();
    nextMinute();
    await eventually(() => getCj('hist'), (c) => !!c.status?.lastSuccessfulTime && !(c.status?.active ?? []).length, 'first success', 15_000);
    nextMinute();
    const firstName = (await jobsOf('hist')).map((j) => j.metadata?.name).sort()[0];
    await eventually(
      () => jobsOf('hist'),
      (js) => js.length === 1 && js[0]!.metadata?.name !== firstName && !!js[0]!.status?.conditions?.some((c) => c.type === 'Complete'),
      'only the newest successful job kept',
      15_000,
    );
    const evs = await eventsFor('hist');
    assert.ok(evs.some((e) => e.reason === 'SawCompletedJob' && /condition: Complete$/.test(e.message ?? '')));
    await env.client.typed(resources.cronJobs).delete('hist', { namespace: 'default' });
  });

  it('suspend: no jobs are started', async () => {
    await env.client.typed(resources.cronJobs).create(cronJob('sus', { suspend: true }));
    await settle();
    nextMinute();
    await settle();
    assert.equal((await jobsOf('sus')).length, 0);
    await env.client.typed(resources.cronJobs).patch('sus', { spec: { suspend: false } }, 'merge', { namespace: 'default' });
    await eventually(() => jobsOf('sus'), (js) => js.length === 1, 'job after resume (missed run started)');
    await env.client.typed(resources.cronJobs).delete('sus', { namespace: 'default' });
  });
});
