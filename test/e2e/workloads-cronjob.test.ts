// CronJob concurrencyPolicy end to end: real kubectl against `skiff up --runtime sim --sim-nodes 1`, real wall
// clock. To need only one schedule time (at most a minute) instead of two, the first run is brought forward:
// right after creating the CronJobs, `kubectl patch --subresource=status` sets status.lastScheduleTime two
// minutes back, so the controller sees this minute's schedule time unmet and starts its Job at once (as
// upstream's controller would). At the next minute that Job still runs (simulated pods run until deleted):
// Forbid starts nothing (JobAlreadyActive) and Replace deletes it and starts the next one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, e2eSkipReason } from './harness.js';
import { eventually } from './wait.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping CronJob e2e: ${skip}`);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const cronJob = (name: string, policy: string) => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
  schedule: "* * * * *"
  concurrencyPolicy: ${policy}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: c
            image: busybox:1
            command: [sleep, "3600"]
`;

interface JobList {
  items: { metadata: { name: string; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] } }[];
}
interface EventList {
  items: { reason?: string; message?: string; involvedObject: { kind?: string; name?: string } }[];
}

describe('CronJob concurrencyPolicy with kubectl', { skip }, () => {
  let c: Cluster;
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await c.k([...args, '-o', 'json'])) as T;
  /** Live (not terminating) Jobs controlled by the CronJob. */
  const jobsOf = async (cj: string) =>
    (await getJson<JobList>(['get', 'jobs'])).items
      .filter((j) => !j.metadata.deletionTimestamp && j.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'CronJob' && r.name === cj))
      .map((j) => j.metadata.name)
      .sort();
  const active = async (cj: string) => (await c.k(['get', 'cronjob', cj, '-o', 'jsonpath={.status.active[*].name}'])).split(' ').filter(Boolean).sort();
  const events = async (cj: string) =>
    (await getJson<EventList>(['get', 'events'])).items.filter((e) => e.involvedObject.kind === 'CronJob' && e.involvedObject.name === cj);

  before(async () => {
    c = await Cluster.start({ extraArgs: ['--runtime', 'sim', '--sim-nodes', '1'] });
  });
  after(async () => {
    await c?.stop();
  });

  test('at the next schedule time Forbid skips while a Job runs and Replace replaces it', { timeout: 120_000 }, async () => {
    // Too close to a minute boundary the first Job could fall in the next minute: start after the boundary.
    const second = new Date().getUTCSeconds();
    if (second >= 50) await sleep((61 - second) * 1000);
    await c.k(['apply', '-f', '-'], cronJob('forbid', 'Forbid') + '---\n' + cronJob('replace', 'Replace'));
    const twoMinutesAgo = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000).toISOString().replace('.000Z', 'Z');
    for (const cj of ['forbid', 'replace']) {
      await c.k(['patch', 'cronjob', cj, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { lastScheduleTime: twoMinutesAgo } })]);
    }
    const first = new Map<string, string>();
    await eventually('both CronJobs started this minute\'s Job', async () => {
      for (const cj of ['forbid', 'replace']) {
        const a = await active(cj);
        if (a.length !== 1 || !new RegExp(`^${cj}-\\d+$`).test(a[0]!)) return false;
        first.set(cj, a[0]!);
      }
      return true;
    });
    const firstForbid = first.get('forbid')!;
    const firstReplace = first.get('replace')!;

    const scheduled = /^replace-\d+$/;
    const [forbidEvent] = await Promise.all([
      eventually('Forbid: JobAlreadyActive', async () => (await events('forbid')).find((e) => e.reason === 'JobAlreadyActive'), 75_000),
      eventually('Replace: the next scheduled Job replaced the first', async () => {
        const jobs = await jobsOf('replace');
        return jobs.length === 1 && scheduled.test(jobs[0]!) && jobs[0] !== firstReplace && (await active('replace')).join() === jobs[0];
      }, 75_000),
    ]);
    assert.equal(forbidEvent.message, 'Not starting job because prior execution is running and concurrency policy is Forbid');
    assert.deepEqual(await jobsOf('forbid'), [firstForbid], 'Forbid started no second Job');
    assert.deepEqual(await active('forbid'), [firstForbid]);

    const replaceEvents = (await events('replace')).map((e) => `${e.reason}: ${e.message}`);
    assert.ok(replaceEvents.includes(`SuccessfulDelete: Deleted job ${firstReplace}`), replaceEvents.join('\n'));
    assert.ok(replaceEvents.some((e) => /^SuccessfulCreate: Created job replace-\d+$/.test(e)), replaceEvents.join('\n'));
    // The replaced Job is deleted in the background: it and its pod go away.
    await eventually('the replaced Job and its pod deleted', async () => {
      const r = await c.kubectl(['get', 'job', firstReplace]);
      const pods = await c.k(['get', 'pods', '-l', `job-name=${firstReplace}`, '-o', 'name']);
      return r.code !== 0 && /NotFound/.test(r.stderr) && pods.trim() === '';
    });
    assert.match(await c.k(['get', 'pods', '-l', `job-name=${firstForbid}`, '-o', 'name']), new RegExp(`pod/${firstForbid}-`), 'the Forbid Job still runs');
  });
});
