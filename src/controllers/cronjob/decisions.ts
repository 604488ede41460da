// Pure decisions of the CronJob controller, as upstream's pkg/controller/cronjob (controller v2): the
// most recent unmet schedule time (with startingDeadlineSeconds and the "too many missed start times"
// rule), whether it is too late to start, job names (<cronjob>-<scheduled time in minutes>), the job built
// from the template, and which finished jobs the history limits remove. No I/O; "now" is a parameter.
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Schedule } from './schedule.js';
import { zoneOffsetMs } from './schedule.js';

export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Upstream's nextScheduleDelta: requeue this long after the next run is due. */
export const nextScheduleDeltaMs = 100;
const tooManyMissed = 100;

export type Missed = 'none' | 'few' | 'many';

export interface MostRecent {
  /** The latest schedule time in (earliest, now], if any. */
  time?: number;
  missed: Missed;
  /** Number of schedule times in (earliest, now]. */
  count: number;
}

/**
 * Upstream mostRecentScheduleTime: schedule times after max(lastScheduleTime ?? creationTimestamp,
 * now − startingDeadlineSeconds) up to now; more than 100 of them is "many" (an event, but still runs).
 */
export function mostRecentScheduleTime(cj: CronJob, nowMs: number, schedule: Schedule, includeStartingDeadline = true): MostRecent {
  const tz = cj.spec?.timeZone ?? undefined;
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? '') || nowMs;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && sds !== undefined && sds !== null) earliest = Math.max(earliest, nowMs - sds * 1000);
  const t1 = schedule.next(earliest, tz);
  if (t1 === undefined || t1 > nowMs) return { missed: 'none', count: 0 };
  const t2 = schedule.next(t1, tz);
  if (t2 === undefined || t2 > nowMs) return { time: t1, missed: 'few', count: 1 };
  // Jump close to now with the interval between the first two runs, then walk to the exact last one.
  const interval = t2 - t1;
  let count = Math.floor((nowMs - t1) / interval) + 1;
  let t = t1 + Math.max(0, count - 2) * interval;
  // Non-uniform schedules (months, DST): fall back to walking from t1.
  if (schedule.next(t - 1, tz) !== t) {
    t = t1;
    count = 1;
    for (let n = schedule.next(t, tz); n !== undefined && n <= nowMs; n = schedule.next(t, tz)) {
      t = n;
      count++;
    }
    return { time: t, missed: count > tooManyMissed ? 'many' : 'few', count };
  }
  for (let n = schedule.next(t, tz); n !== undefined && n <= nowMs; n = schedule.next(t, tz)) t = n;
  return { time: t, missed: count > tooManyMissed ? 'many' : 'few', count };
}

/** startingDeadlineSeconds passed since the scheduled time: the run is missed. */
export function isTooLate(cj: CronJob, scheduledMs: number, nowMs: number): boolean {
  const sds = cj.spec?.startingDeadlineSeconds;
  if (sds === undefined || sds === null) return false;
  return scheduledMs + sds * 1000 < nowMs;
}

/** Upstream getJobName: <cronjob>-<scheduled time in minutes since the epoch>. */
export function jobName(cj: CronJob, scheduledMs: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 with the zone's offset, as upstream writes the scheduled-timestamp annotation. */
export function formatInZone(ms: number, tz: string | undefined): string {
  const off = zoneOffsetMs(ms, tz);
  const wall = new Date(ms + off).toISOString().replace(/\.\d+Z$/, '');
  if (off === 0) return `${wall}Z`;
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off) / 60_000;
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Upstream getJobFromTemplate2. */
export function jobFromTemplate(cj: CronJob, scheduledMs: number): Job {
  const tpl = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduledMs),
      namespace: cj.metadata?.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}) },
      annotations: { ...(tpl.metadata?.annotations ?? {}), [scheduledTimestampAnnotation]: formatInZone(scheduledMs, cj.spec?.timeZone ?? undefined) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata?.name ?? '', uid: cj.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(tpl.spec ?? { template: {} }),
  };
}

/** The Complete or Failed condition type of a finished job, else undefined. */
export function jobFinished(job: Job): 'Complete' | 'Failed' | undefined {
  const c = (job.status?.conditions ?? []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type as 'Complete' | 'Failed' | undefined;
}

/** Finished jobs beyond the history limits, oldest first (upstream sorts by startTime, nil last, then name). */
export function historyVictims(cj: CronJob, jobs: Job[]): Job[] {
  const byStart = (a: Job, b: Job) => {
    const sa = a.status?.startTime;
    const sb = b.status?.startTime;
    if (sa && !sb) return -1;
    if (!sa && sb) return 1;
    if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
    return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  };
  const out: Job[] = [];
  const limits: Array<['Complete' | 'Failed', number | undefined | null]> = [
    ['Complete', cj.spec?.successfulJobsHistoryLimit],
    ['Failed', cj.spec?.failedJobsHistoryLimit],
  ];
  for (const [kind, limit] of limits) {
    if (limit === undefined || limit === null) continue;
    const finished = jobs.filter((j) => jobFinished(j) === kind && !j.metadata?.deletionTimestamp).sort(byStart);
    if (finished.length > limit) out.push(...finished.slice(0, finished.length - limit));
  }
  return out;
}

/** RFC 1123 with numeric zone, as upstream's MissSchedule message uses (always UTC here). */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
