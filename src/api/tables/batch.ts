// Tables for batch/v1: jobs (STATUS Complete/Failed/Terminating/Suspended/FailureTarget/Running, COMPLETIONS,
// DURATION) and cron jobs (SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE), as upstream printers.go.
// Pure over object and `now`.
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { TableConvertor } from '../resource.js';
import { ageSince, humanDuration, parseTimestamp } from '../../util/human-duration.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  age,
  boolPtr,
  column,
  formatLabelSelector,
  layoutContainers,
  nameOf,
} from './format.js';

function hasJobCondition(conditions: JobCondition[] | undefined, type: string): boolean {
  for (const c of conditions ?? []) {
    if (c.type === type) return c.status === 'True';
  }
  return false;
}

export function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasJobCondition(conditions, 'Complete')) return 'Complete';
  if (hasJobCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasJobCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

export function jobDuration(job: Job, now: Date): string {
  const start = parseTimestamp(job.status?.startTime);
  if (start === undefined || Number.isNaN(start)) return '';
  const end = parseTimestamp(job.status?.completionTime);
  if (end === undefined || Number.isNaN(end)) return humanDuration(now.getTime() - start);
  return humanDuration(end - start);
}

export const jobTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', { text: 'Status of the job.' }),
    column('Completions', 'string', 'batch.v1.JobStatus.succeeded'),
    column('Duration', 'string', { text: 'Time required to complete the job.' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'batch.v1.JobSpec.selector', { priority: 1 }),
  ],
  row(obj, now) {
    const job = obj as unknown as Job;
    const [names, images] = layoutContainers(job.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, now),
      age(obj, now),
      names,
      images,
      formatLabelSelector(job.spec?.selector),
    ];
  },
};

export const cronJobTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'batch.v1.CronJobSpec.schedule'),
    column('Timezone', 'string', 'batch.v1.CronJobSpec.timeZone'),
    column('Suspend', 'boolean', 'batch.v1.CronJobSpec.suspend'),
    column('Active', 'integer', 'batch.v1.CronJobStatus.active'),
    column('Last Schedule', 'string', 'batch.v1.CronJobStatus.lastScheduleTime'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'batch.v1.JobSpec.selector', { priority: 1 }),
  ],
  row(obj, now) {
    const cj = obj as unknown as CronJob;
    const last = cj.status?.lastScheduleTime;
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [names, images] = layoutContainers(jobSpec?.template?.spec?.containers);
    return [
      nameOf(obj),
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? '<none>',
      boolPtr(cj.spec?.suspend),
      (cj.status?.active ?? []).length,
      last ? ageSince(last, now) : '<none>',
      age(obj, now),
      names,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};
