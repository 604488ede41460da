// The CronJob controller (upstream pkg/controller/cronjob, controller v2): on each sync it updates
// status.active from the jobs it owns (recording finished ones and lastSuccessfulTime), starts the job of
// the most recent unmet schedule time unless it is suspended, too late (startingDeadlineSeconds) or
// forbidden by concurrencyPolicy (Forbid skips, Replace deletes the running jobs first), removes finished
// jobs beyond the history limits, and requeues itself for the next schedule time. Time comes from an
// injectable Clock so tests need not wait for real minutes. Decisions live in decisions.ts / schedule.ts.
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ApiClient } from '../../client/client.js';
import { realClock, type Clock, type TimerHandle } from '../../client/clock.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { byControllerUid, keyOf, splitKey } from '../../client/indexer.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { rfc3339 } from '../job/decisions.js';
import { historyVictims, isTooLate, jobFinished, jobFromTemplate, jobName, mostRecentScheduleTime, nextScheduleDeltaMs, rfc1123z } from './decisions.js';
import { parseSchedule, ScheduleError, validateTimeZone, type Schedule } from './schedule.js';

const controllerUidIndex = 'controller-uid';
const component = 'cronjob-controller';

export interface CronJobControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  /** Time source (tests use a FakeClock and step it). */
  clock?: Clock;
  /** Concurrent syncs (upstream --concurrent-cron-job-syncs, default 5). */
  workers?: number;
}

function controllerCronJobKey(j: Job): string | undefined {
  const ref = (j.metadata?.ownerReferences ?? []).find((r) => r.controller);
  if (!ref || ref.kind !== 'CronJob' || !ref.apiVersion.startsWith('batch/')) return undefined;
  return `${j.metadata?.namespace}/${ref.name}`;
}

function refTo(j: Job): ObjectReference {
  return { apiVersion: 'batch/v1', kind: 'Job', name: j.metadata?.name, namespace: j.metadata?.namespace, uid: j.metadata?.uid, resourceVersion: j.metadata?.resourceVersion };
}

export class CronJobController {
  private readonly cjInf: Informer<CronJob>;
  private readonly jobInf: Informer<Job>;
  private readonly queue: WorkQueue;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly recorder: EventRecorder;
  private readonly removers: Array<() => void> = [];
  private workers: Promise<void> | undefined;
  private readonly wakeups = new Map<string, { at: number; timer: TimerHandle }>();

  constructor(private readonly opts: CronJobControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.cjInf = opts.informers.informerFor(resources.cronJobs);
    this.jobInf = opts.informers.informerFor(resources.jobs);
    if (!this.jobInf.hasIndex(controllerUidIndex)) this.jobInf.addIndexers({ [controllerUidIndex]: byControllerUid });
    // Retries back off in real time; only the schedule wake-ups (wakeAt) follow the injected clock.
    this.queue = new WorkQueue({ name: 'cronjob' });
    this.recorder = newEventRecorder(opts.client, component, this.clock, this.log);
    const enqueueOwner = (j: Job) => {
      const key = controllerCronJobKey(j);
      if (key) this.queue.add(key);
    };
    this.removers.push(
      this.cjInf.addEventHandler({
        onAdd: (c) => this.queue.add(keyOf(c)),
        onUpdate: (_o, c) => this.queue.add(keyOf(c)),
      }),
      this.jobInf.addEventHandler({ onAdd: enqueueOwner, onUpdate: (_o, j) => enqueueOwner(j), onDelete: enqueueOwner }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.cjInf.waitForSync(signal), this.jobInf.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.reconcile(key), {
      onError: (key, err) => {
        if (!isConflict(err)) this.log(`cronjob controller: sync of ${key} failed: ${(err as Error)?.message ?? String(err)}`);
      },
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    for (const w of this.wakeups.values()) this.clock.clearTimeout(w.timer);
    this.wakeups.clear();
    await this.queue.shutdownWithDrain();
    await this.workers;
  }

  /** Syncs key again after ms on the controller's clock (the earlier of two requests wins). */
  private wakeAt(key: string, ms: number): void {
    const at = this.clock.now() + ms;
    const cur = this.wakeups.get(key);
    if (cur && cur.at <= at && cur.at > this.clock.now()) return;
    if (cur) this.clock.clearTimeout(cur.timer);
    const timer = this.clock.setTimeout(() => {
      this.wakeups.delete(key);
      this.queue.add(key);
    }, ms);
    this.wakeups.set(key, { at, timer });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const cj = this.cjInf.indexer.get(key);
    if (!cj) return {};
    const { namespace = 'default' } = splitKey(key);
    const now = this.clock.now();
    const jobs = this.jobInf.indexer.byIndex(controllerUidIndex, cj.metadata?.uid ?? '');
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    const jobsByUid = new Map(jobs.map((j) => [j.metadata?.uid ?? '', j]));

    // 1. status.active: drop finished and vanished jobs.
    const active: ObjectReference[] = [];
    for (const ref of status.active ?? []) {
      const j = jobsByUid.get(ref.uid ?? '');
      if (j) {
        const fin = jobFinished(j);
        if (!fin) active.push(ref);
        continue;
      }
      const live = await this.opts.client
        .typed(resources.jobs)
        .get(ref.name ?? '', { namespace })
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (live && live.metadata?.uid === ref.uid && !jobFinished(live)) active.push(ref);
      else if (!live || live.metadata?.uid !== ref.uid) this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
    }
    for (const j of jobs) {
      const fin = jobFinished(j);
      const listed = active.some((r) => r.uid === j.metadata?.uid);
      const wasListed = (status.active ?? []).some((r) => r.uid === j.metadata?.uid);
      if (fin && wasListed) {
        this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata?.name}, condition: ${fin}`);
      }
      if (fin === 'Complete' && j.status?.completionTime) {
        if (!status.lastSuccessfulTime || Date.parse(j.status.completionTime) > Date.parse(status.lastSuccessfulTime)) status.lastSuccessfulTime = j.status.completionTime;
      }
      if (!fin && !listed && !j.metadata?.deletionTimestamp) {
        // As upstream: a running Job we own but do not list is adopted only when a fresh read of the CronJob
        // lists it (our cache lagged our own write); otherwise (e.g. `kubectl create job --from=cronjob/...`)
        // it is reported and does not count for concurrencyPolicy.
        const fresh = await this.opts.client.typed(resources.cronJobs).get(cj.metadata!.name!, { namespace }).catch(() => undefined);
        if ((fresh?.status?.active ?? []).some((r) => r.uid === j.metadata?.uid)) active.push(refTo(j));
        else this.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata?.name}`);
      }
    }
    status.active = active;

    let requeueAfterMs: number | undefined;
    if (!cj.metadata?.deletionTimestamp) requeueAfterMs = await this.schedule(cj, status, now);

    // 2. History limits.
    for (const victim of historyVictims(cj, jobs)) await this.deleteJob(cj, victim);

    await this.writeStatus(cj, status);
    if (requeueAfterMs !== undefined) this.wakeAt(key, requeueAfterMs);
    return {};
  }

  /** Starts the job due now, if any; returns the delay until the next schedule time. */
  private async schedule(cj: CronJob, status: CronJobStatus, now: number): Promise<number | undefined> {
    const tz = cj.spec?.timeZone ?? undefined;
    if (tz) {
      try {
        validateTimeZone(tz);
      } catch (e) {
        this.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${tz}": ${(e as Error).message}`);
        return undefined;
      }
    }
    let sched: Schedule;
    try {
      sched = parseSchedule(cj.spec?.schedule ?? '');
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
      this.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.spec?.schedule}" : ${e.message}`);
      return undefined;
    }
    const nextDelay = () => {
      const next = sched.next(now, tz);
      return next === undefined ? undefined : next - now + nextScheduleDeltaMs;
    };
    if (cj.spec?.suspend) return undefined;

    const recent = mostRecentScheduleTime({ ...cj, status }, now, sched);
    if (recent.missed === 'many') {
      this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    const scheduled = recent.time;
    if (scheduled === undefined) return nextDelay();
    if (isTooLate(cj, scheduled, now)) {
      this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return nextDelay();
    }
    const name = jobName(cj, scheduled);
    if ((status.active ?? []).some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduled)) return nextDelay();
    if (cj.spec?.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
      this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return nextDelay();
    }
    if (cj.spec?.concurrencyPolicy === 'Replace') {
      for (const ref of status.active ?? []) {
        const j = this.jobInf.indexer.get(`${cj.metadata?.namespace}/${ref.name}`);
        if (j) await this.deleteJob(cj, j);
      }
      status.active = [];
    }
    let created: Job;
    try {
      created = await this.opts.client.typed(resources.jobs).create(jobFromTemplate(cj, scheduled), { namespace: cj.metadata?.namespace });
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name}`);
    } catch (e) {
      if (!isAlreadyExists(e)) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        throw e;
      }
      created = await this.opts.client.typed(resources.jobs).get(name, { namespace: cj.metadata?.namespace });
      const owner = (created.metadata?.ownerReferences ?? []).find((r) => r.controller);
      if (owner?.uid !== cj.metadata?.uid) throw e;
    }
    if (!jobFinished(created) && !(status.active ?? []).some((r) => r.uid === created.metadata?.uid)) status.active = [...(status.active ?? []), refTo(created)];
    status.lastScheduleTime = rfc3339(scheduled);
    return nextDelay();
  }

  private async deleteJob(cj: CronJob, j: Job): Promise<void> {
    try {
      await this.opts.client.typed(resources.jobs).delete(j.metadata!.name!, { namespace: j.metadata?.namespace, propagationPolicy: 'Background', preconditions: { uid: j.metadata?.uid } });
      this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata?.name}`);
    } catch (e) {
      if (!isNotFound(e)) {
        this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
        throw e;
      }
    }
  }

  private async writeStatus(cj: CronJob, status: CronJobStatus): Promise<void> {
    const norm = (s: CronJobStatus | undefined) => JSON.stringify({ ...s, active: (s?.active ?? []).map((r) => r.uid) });
    if (norm(cj.status) === norm(status)) return;
    if (status.active && status.active.length === 0) delete status.active;
    await this.opts.client.typed(resources.cronJobs).updateStatus({ ...cj, status }, { namespace: cj.metadata?.namespace });
  }
}
