// Table-driven tests of the CronJob controller's decisions: most recent unmet time, missed-start rules,
// job names and template, history limits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { formatInZone, historyVictims, isTooLate, jobFromTemplate, jobName, mostRecentScheduleTime, rfc1123z } from '../../../src/controllers/cronjob/decisions.js';
import { parseSchedule } from '../../../src/controllers/cronjob/schedule.js';

const cj = (spec: Partial<NonNullable<CronJob['spec']>>, status: CronJob['status'] = {}): CronJob => ({
  metadata: { name: 'cj', namespace: 'default', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: { schedule: '* * * * *', jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: { spec: { containers: [] } } } }, ...spec },
  status,
});
const t = (s: string) => Date.parse(s);

describe('cronjob decisions', () => {
  it('most recent schedule time', () => {
    const every = parseSchedule('* * * * *');
    const hourly = parseSchedule('@hourly');
    const cases: Array<[string, CronJob, string, ReturnType<typeof parseSchedule>, { time?: string; missed: string; count?: number }]> = [
      ['nothing due yet', cj({}), '2024-01-01T00:00:59Z', every, { missed: 'none' }],
      ['first run due', cj({}), '2024-01-01T00:01:05Z', every, { time: '2024-01-01T00:01:00Z', missed: 'few', count: 1 }],
      ['after last schedule', cj({}, { lastScheduleTime: '2024-01-01T00:05:00Z' }), '2024-01-01T00:05:30Z', every, { missed: 'none' }],
      ['a few missed: the latest', cj({}, { lastScheduleTime: '2024-01-01T00:05:00Z' }), '2024-01-01T00:09:10Z', every, { time: '2024-01-01T00:09:00Z', missed: 'few', count: 4 }],
      ['too many missed', cj({}), '2024-01-01T03:00:10Z', every, { time: '2024-01-01T03:00:00Z', missed: 'many', count: 180 }],
      ['startingDeadlineSeconds bounds the look-back', cj({ startingDeadlineSeconds: 200 }), '2024-01-01T03:00:10Z', every, { time: '2024-01-01T03:00:00Z', missed: 'few', count: 4 }],
      ['deadline excludes all', cj({ startingDeadlineSeconds: 5 }), '2024-01-01T03:00:10Z', every, { missed: 'none' }],
      ['hourly, 2 missed', cj({}), '2024-01-01T02:30:00Z', hourly, { time: '2024-01-01T02:00:00Z', missed: 'few', count: 2 }],
    ];
    for (const [name, c, now, s, want] of cases) {
      const got = mostRecentScheduleTime(c, t(now), s);
      assert.equal(got.missed, want.missed, name);
      assert.equal(got.time === undefined ? undefined : new Date(got.time).toISOString().replace('.000Z', 'Z'), want.time, name);
      if (want.count !== undefined) assert.equal(got.count, want.count, name);
    }
    // Non-uniform: monthly runs found exactly.
    const monthly = mostRecentScheduleTime(cj({}), t('2024-05-20T00:00:00Z'), parseSchedule('0 0 31 * *'));
    assert.equal(new Date(monthly.time!).toISOString(), '2024-03-31T00:00:00.000Z');
    assert.equal(monthly.count, 2);
  });

  it('too late only with startingDeadlineSeconds', () => {
    assert.equal(isTooLate(cj({}), t('2024-01-01T00:00:00Z'), t('2024-01-01T05:00:00Z')), false);
    assert.equal(isTooLate(cj({ startingDeadlineSeconds: 10 }), t('2024-01-01T00:00:00Z'), t('2024-01-01T00:00:10Z')), false);
    assert.equal(isTooLate(cj({ startingDeadlineSeconds: 10 }), t('2024-01-01T00:00:00Z'), t('2024-01-01T00:00:11Z')), true);
  });

  it('job name, template, annotation', () => {
    const s = t('2024-01-01T00:05:00Z');
    assert.equal(jobName(cj({}), s), `cj-${s / 60000}`);
    const j = jobFromTemplate(cj({ timeZone: 'Europe/Berlin' }), s);
    assert.equal(j.metadata?.name, 'cj-28401125');
    assert.deepEqual(j.metadata?.labels, { a: 'b' });
    assert.equal(j.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2024-01-01T01:05:00+01:00');
    assert.deepEqual(j.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    assert.equal(formatInZone(s, undefined), '2024-01-01T00:05:00Z');
    assert.equal(formatInZone(s, 'America/New_York'), '2023-12-31T19:05:00-05:00');
    assert.equal(rfc1123z(s), 'Mon, 01 Jan 2024 00:05:00 +0000');
  });

  it('history limits remove the oldest finished jobs', () => {
    const job = (name: string, type: 'Complete' | 'Failed' | undefined, start?: string): Job => ({
      metadata: { name },
      status: { startTime: start, conditions: type ? [{ type, status: 'True' }] : [] },
    });
    const jobs = [
      job('s1', 'Complete', '2024-01-01T00:01:00Z'),
      job('s3', 'Complete', '2024-01-01T00:03:00Z'),
      job('s2', 'Complete', '2024-01-01T00:02:00Z'),
      job('f1', 'Failed', '2024-01-01T00:01:00Z'),
      job('f2', 'Failed', '2024-01-01T00:02:00Z'),
      job('running', undefined, '2024-01-01T00:00:00Z'),
    ];
    const names = (c: CronJob) => historyVictims(c, jobs).map((j) => j.metadata?.name);
    assert.deepEqual(names(cj({ successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 })), ['s1', 's2', 'f1']);
    assert.deepEqual(names(cj({ successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 0 })), ['f1', 'f2']);
    assert.deepEqual(names(cj({})), []);
  });
});
