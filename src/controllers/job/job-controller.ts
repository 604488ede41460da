// The Job controller (upstream pkg/controller/job): runs a Job's pods to completion. Pods carry the
// batch.kubernetes.io/job-tracking finalizer; finished pods are first recorded in
// status.uncountedTerminatedPods, then their finalizer is removed, then they move into status.succeeded /
// failed (and completedIndexes), so no pod is counted twice or lost. Failures are retried with exponential
// back-off up to backoffLimit; activeDeadlineSeconds, podFailurePolicy (FailJob / Ignore / Count), suspend,
// Indexed completion mode and ttlSecondsAfterFinished behave as upstream 1.32, including the interim
// FailureTarget / SuccessCriteriaMet conditions that precede Failed / Complete once no pod is left running.
// It reads jobs and pods from shared informers; decisions live in decisions.ts.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { ApiClient } from '../../client/client.js';
import { realClock, type Clock } from '../../client/clock.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { byControllerUid, byNamespace, keyOf, splitKey } from '../../client/indexer.js';
import * as resources from '../../client/resources.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { newEventRecorder, type EventRecorder } from '../../client/event-recorder.js';
import { Expectations } from '../expectations.js';
import {
  completionIndex,
  completionIndexAnnotation,
  deadlineAt,
  defaultBackoffMs,
  deletionOrder,
  duplicateIndexPods,
  finishedCondition,
  formatIndexes,
  hasCondition,
  hasFinalizer,
  isActive,
  isPodFailed,
  isReady,
  isTerminal,
  jobIndexEnv,
  jobSucceeded,
  jobTrackingFinalizer,
  matchPodFailurePolicy,
  maxBackoffMs,
  messages,
  parseIndexes,
  pendingIndexes,
  podFinishedAt,
  remainingBackoffMs,
  rfc3339,
  setCondition,
  ttlExpiresAt,
  wantActive,
} from './decisions.js';

export const controllerUidIndex = 'controller-uid';
const component = 'job-controller';

export interface JobControllerOptions {
  client: ApiClient;
  informers: InformerFactory;
  log?: (line: string) => void;
  clock?: Clock;
  /** Concurrent job syncs (upstream --concurrent-job-syncs, default 5). */
  workers?: number;
  /** First pod-creation back-off after a failure (upstream 10 s; doubles per failure). */
  backoffBaseMs?: number;
  /** Back-off cap (upstream 6 min). */
  backoffMaxMs?: number;
}

interface BackoffRecord {
  failures: number;
  lastFailureMs?: number;
}

function controllerJobKey(p: Pod): string | undefined {
  const ref = (p.metadata?.ownerReferences ?? []).find((r) => r.controller);
  if (!ref || ref.kind !== 'Job' || !ref.apiVersion.startsWith('batch/')) return undefined;
  return `${p.metadata?.namespace}/${ref.name}`;
}

export class JobController {
  private readonly jobInf: Informer<Job>;
  private readonly podInf: Informer<Pod>;
  private readonly queue: WorkQueue;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;
  /** Pods whose finalizer we removed but whose update the cache may not show yet. */
  private readonly finalizerRemoved = new Set<string>();
  private readonly backoff = new Map<string, BackoffRecord>();
  private readonly removers: Array<() => void> = [];
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: JobControllerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.jobInf = opts.informers.informerFor(resources.jobs);
    this.podInf = opts.informers.informerFor(resources.pods);
    if (!this.podInf.hasIndex(controllerUidIndex)) this.podInf.addIndexers({ [controllerUidIndex]: byControllerUid });
    if (!this.podInf.hasIndex('namespace')) this.podInf.addIndexers({ namespace: byNamespace });
    this.queue = new WorkQueue({ name: 'job', clock: this.clock });
    this.expectations = new Expectations(this.clock);
    this.recorder = newEventRecorder(opts.client, component, this.clock, this.log);

    this.removers.push(
      this.jobInf.addEventHandler({
        onAdd: (j) => this.queue.add(keyOf(j)),
        onUpdate: (_o, j) => this.queue.add(keyOf(j)),
        onDelete: (j) => {
          this.expectations.delete(keyOf(j));
          this.backoff.delete(keyOf(j));
          this.queue.add(keyOf(j));
        },
      }),
      this.podInf.addEventHandler({
        onAdd: (p) => {
          const key = controllerJobKey(p);
          if (!key) return;
          if (p.metadata?.deletionTimestamp) this.expectations.deletionObserved(key, p);
          else this.expectations.creationObserved(key);
          this.queue.add(key);
        },
        onUpdate: (old, p) => {
          const key = controllerJobKey(p);
          if (!hasFinalizer(p) && p.metadata?.uid) this.finalizerRemoved.delete(p.metadata.uid);
          if (!key) return;
          if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) this.expectations.deletionObserved(key, p);
          this.queue.add(key);
        },
        onDelete: (p) => {
          if (p.metadata?.uid) this.finalizerRemoved.delete(p.metadata.uid);
          const key = controllerJobKey(p);
          if (!key) return;
          this.expectations.deletionObserved(key, p);
          this.queue.add(key);
        },
      }),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    await Promise.all([this.jobInf.waitForSync(signal), this.podInf.waitForSync(signal)]);
    if (this.queue.shuttingDown) return;
    this.workers = runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.reconcile(key), {
      onError: (key, err) => {
        if (!isConflict(err)) this.log(`job controller: sync of job ${key} failed: ${(err as Error)?.message ?? String(err)}`);
      },
    });
  }

  async stop(): Promise<void> {
    for (const r of this.removers.splice(0)) r();
    await this.queue.shutdownWithDrain();
    await this.workers;
  }

  private podsOf(job: Job): Pod[] {
    const uid = job.metadata?.uid ?? '';
    return this.podInf.indexer.byIndex(controllerUidIndex, uid);
  }

  /** Removes the tracking finalizer; true when it is gone (or the pod is). */
  private async removeFinalizer(p: Pod): Promise<boolean> {
    const fins = p.metadata?.finalizers ?? [];
    const i = fins.indexOf(jobTrackingFinalizer);
    if (i < 0) return true;
    try {
      await this.opts.client.typed(resources.pods).patch(
        p.metadata!.name!,
        [
          { op: 'test', path: `/metadata/finalizers/${i}`, value: jobTrackingFinalizer },
          { op: 'remove', path: `/metadata/finalizers/${i}` },
        ],
        'json',
        { namespace: p.metadata!.namespace },
      );
    } catch (e) {
      if (isNotFound(e)) return true;
      // The finalizer list changed under us: fetch and retry once with a merge of the current list.
      const cur = await this.opts.client.typed(resources.pods).get(p.metadata!.name!, { namespace: p.metadata!.namespace }).catch((e2: unknown) => {
        if (isNotFound(e2)) return undefined;
        throw e2;
      });
      if (!cur) return true;
      const rest = (cur.metadata?.finalizers ?? []).filter((f) => f !== jobTrackingFinalizer);
      if (rest.length === (cur.metadata?.finalizers ?? []).length) return true;
      await this.opts.client.typed(resources.pods).patch(
        p.metadata!.name!,
        { metadata: { finalizers: rest, resourceVersion: cur.metadata?.resourceVersion } },
        'merge',
        { namespace: p.metadata!.namespace },
      );
    }
    if (p.metadata?.uid) this.finalizerRemoved.add(p.metadata.uid);
    return true;
  }

  private async removeFinalizers(pods: Pod[]): Promise<Set<string>> {
    const done = new Set<string>();
    await Promise.all(
      pods.map(async (p) => {
        try {
          if (await this.removeFinalizer(p)) done.add(p.metadata?.uid ?? '');
        } catch (e) {
          this.log(`job controller: removing finalizer of pod ${keyOf(p)}: ${(e as Error).message}`);
        }
      }),
    );
    return done;
  }

  /** Pods of a job that no longer exists keep no tracking finalizer. */
  private async cleanupOrphans(namespace: string, name: string): Promise<void> {
    const pods = this.podInf.indexer
      .byIndex('namespace', namespace)
      .filter((p) => hasFinalizer(p) && controllerJobKey(p) === `${namespace}/${name}` && !this.finalizerRemoved.has(p.metadata?.uid ?? ''));
    const live = pods.filter((p) => {
      const owner = (p.metadata?.ownerReferences ?? []).find((r) => r.controller);
      const job = this.jobInf.indexer.get(`${namespace}/${name}`);
      return !job || job.metadata?.uid !== owner?.uid;
    });
    await this.removeFinalizers(live);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace = 'default', name } = splitKey(key);
    const cached = this.jobInf.indexer.get(key);
    if (!cached) {
      await this.cleanupOrphans(namespace, name);
      return {};
    }
    const now = this.clock.now();
    let job: Job = cached;
    const pods = this.podsOf(job);

    if (job.metadata?.deletionTimestamp) {
      await this.removeFinalizers(pods.filter((p) => hasFinalizer(p) && (isTerminal(p) || p.metadata?.deletionTimestamp)));
      return {};
    }
    if (finishedCondition(job)) {
      await this.removeFinalizers(pods.filter((p) => hasFinalizer(p) && !this.finalizerRemoved.has(p.metadata?.uid ?? '')));
      return this.handleTtl(job, now);
    }

    const indexed = job.spec?.completionMode === 'Indexed';
    const completions = job.spec?.completions ?? 0;
    const status: JobStatus = structuredClone(job.status ?? {});
    let conds: JobCondition[] = status.conditions ?? [];
    const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    const uncountedSet = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const record = this.backoff.get(key) ?? { failures: 0 };

    // 1. Newly finished pods → uncountedTerminatedPods (and FailureTarget for a FailJob rule) first.
    const ignored: Pod[] = [];
    let failJob: string | undefined;
    let newly = 0;
    for (const p of pods) {
      const uid = p.metadata?.uid ?? '';
      if (!hasFinalizer(p) || this.finalizerRemoved.has(uid) || uncountedSet.has(uid)) continue;
      if (p.status?.phase === 'Succeeded') {
        uncounted.succeeded.push(uid);
        newly++;
        record.failures = 0;
      } else if (isPodFailed(p, job)) {
        const match = job.spec?.podFailurePolicy ? matchPodFailurePolicy(job, p) : undefined;
        if (match?.action === 'Ignore') {
          ignored.push(p);
          continue;
        }
        if (match?.action === 'FailJob' && !failJob) failJob = match.message;
        uncounted.failed.push(uid);
        newly++;
        record.failures++;
        record.lastFailureMs = Math.max(record.lastFailureMs ?? 0, podFinishedAt(p) ?? now);
      }
    }
    this.backoff.set(key, record);
    if (failJob && !hasCondition(job, 'FailureTarget')) {
      conds = setCondition(conds, 'FailureTarget', 'True', 'PodFailurePolicy', failJob, now);
      this.recorder.event(job, 'Warning', 'PodFailurePolicy', failJob);
    }
    if (newly > 0 || conds !== status.conditions) {
      status.uncountedTerminatedPods = uncounted;
      status.conditions = conds;
      job = await this.writeStatus(job, status);
    }

    // 2. Remove finalizers of recorded (and ignored) pods, 3. move them into the counters.
    const toRelease = [...ignored, ...pods.filter((p) => uncountedSet.has(p.metadata?.uid ?? '') || uncounted.succeeded.includes(p.metadata?.uid ?? '') || uncounted.failed.includes(p.metadata?.uid ?? ''))];
    const released = await this.removeFinalizers(toRelease);
    const podByUid = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    const isReleased = (uid: string) => released.has(uid) || !podByUid.has(uid) || !hasFinalizer(podByUid.get(uid)!);
    const completed = indexed ? parseIndexes(status.completedIndexes, completions) : new Set<number>();
    let succeeded = status.succeeded ?? 0;
    let failed = status.failed ?? 0;
    const keepS: string[] = [];
    const keepF: string[] = [];
    for (const uid of uncounted.succeeded) {
      if (!isReleased(uid)) {
        keepS.push(uid);
        continue;
      }
      const p = podByUid.get(uid);
      const idx = p ? completionIndex(p) : undefined;
      if (indexed) {
        if (idx !== undefined && idx < completions && !completed.has(idx)) {
          completed.add(idx);
          succeeded++;
        }
      } else succeeded++;
    }
    for (const uid of uncounted.failed) {
      if (!isReleased(uid)) keepF.push(uid);
      else failed++;
    }
    status.succeeded = succeeded;
    status.failed = failed;
    status.uncountedTerminatedPods = { succeeded: keepS, failed: keepF };
    if (indexed) status.completedIndexes = formatIndexes(completed);

    // 4. Active pods and the job's fate.
    let active = pods.filter(isActive);
    const terminating = pods.filter((p) => !!p.metadata?.deletionTimestamp && !isTerminal(p));
    const suspended = !!job.spec?.suspend;
    let requeueAfterMs: number | undefined;
    const requeueIn = (ms: number) => {
      if (ms > 0 && (requeueAfterMs === undefined || ms < requeueAfterMs)) requeueAfterMs = ms;
    };

    if (!suspended && !status.startTime) status.startTime = rfc3339(now);

    let failureTarget = conds.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    let successTarget = conds.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
    if (!failureTarget && !successTarget) {
      const restarts = job.spec?.template?.spec?.restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, cs) => m + (cs.restartCount ?? 0), 0), 0) : 0;
      const deadline = suspended ? undefined : deadlineAt({ ...job, status });
      if (failed + restarts > (job.spec?.backoffLimit ?? 6)) {
        conds = setCondition(conds, 'FailureTarget', 'True', 'BackoffLimitExceeded', messages.BackoffLimitExceeded, now);
      } else if (deadline !== undefined && now >= deadline) {
        conds = setCondition(conds, 'FailureTarget', 'True', 'DeadlineExceeded', messages.DeadlineExceeded, now);
      } else if (jobSucceeded(job, { active: active.length, succeeded, completedIndexes: completed.size })) {
        conds = setCondition(conds, 'SuccessCriteriaMet', 'True', 'CompletionsReached', messages.CompletionsReached, now);
      } else if (deadline !== undefined) requeueIn(deadline - now);
      failureTarget = conds.find((c) => c.type === 'FailureTarget' && c.status === 'True');
      successTarget = conds.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
      if (failureTarget) this.recorder.event(job, 'Warning', failureTarget.reason ?? 'Failed', failureTarget.message ?? '');
    }

    const satisfied = this.expectations.satisfied(key);
    if (failureTarget || successTarget) {
      // Terminate what still runs; the terminal condition waits until nothing is left running.
      if (active.length > 0 && satisfied) await this.deletePods(job, key, active);
      if (active.length === 0 && terminating.length === 0) {
        if (failureTarget) {
          conds = setCondition(conds, 'Failed', 'True', failureTarget.reason ?? 'BackoffLimitExceeded', failureTarget.message ?? '', now);
        } else {
          conds = setCondition(conds, 'Complete', 'True', successTarget!.reason ?? 'CompletionsReached', successTarget!.message ?? '', now);
          status.completionTime = rfc3339(now);
          this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
        }
      }
      active = [];
    } else {
      // Suspend / resume.
      const suspendedCond = conds.find((c) => c.type === 'Suspended');
      if (suspended && suspendedCond?.status !== 'True') {
        conds = setCondition(conds, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
        this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      } else if (!suspended && suspendedCond?.status === 'True') {
        conds = setCondition(conds, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
        status.startTime = rfc3339(now);
        this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
        const deadline = deadlineAt({ ...job, status });
        if (deadline !== undefined) requeueIn(deadline - now);
      }
      if (satisfied) active = await this.managePods(job, key, active, completed, succeeded, record, now, requeueIn);
    }

    status.active = active.length;
    status.ready = active.filter(isReady).length;
    status.terminating = terminating.length;
    status.conditions = conds;
    if (suspended && !job.status?.startTime) delete status.startTime;
    // A finished job's update comes back through the informer, which handles finalizers and the TTL.
    await this.writeStatus(job, status);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : {};
  }

  /** Creates or deletes pods so that the right number run; returns the pods active afterwards. */
  private async managePods(
    job: Job,
    key: string,
    active: Pod[],
    completed: Set<number>,
    succeeded: number,
    record: BackoffRecord,
    now: number,
    requeueIn: (ms: number) => void,
  ): Promise<Pod[]> {
    const indexed = job.spec?.completionMode === 'Indexed';
    const completions = job.spec?.completions ?? 0;
    if (indexed) {
      const dups = duplicateIndexPods(active, completions, completed);
      if (dups.length > 0) {
        await this.deletePods(job, key, dups);
        active = active.filter((p) => !dups.includes(p));
      }
    }
    const want = wantActive(job, { active: active.length, succeeded, completedIndexes: completed.size });
    if (active.length > want) {
      const victims = deletionOrder(active).slice(0, active.length - want);
      await this.deletePods(job, key, victims);
      return active.filter((p) => !victims.includes(p));
    }
    if (active.length < want) {
      const wait = remainingBackoffMs(record.failures, record.lastFailureMs, now, this.opts.backoffBaseMs ?? defaultBackoffMs, this.opts.backoffMaxMs ?? maxBackoffMs);
      if (wait > 0) {
        requeueIn(wait);
        return active;
      }
      const n = want - active.length;
      const indexes: Array<number | undefined> = indexed
        ? pendingIndexes(completions, completed, new Set(active.map((p) => completionIndex(p)!).filter((i) => i !== undefined)), n)
        : Array.from({ length: n }, () => undefined);
      this.expectations.raise(key, indexes.length);
      const created = await Promise.all(
        indexes.map(async (i) => {
          try {
            const p = await this.opts.client.typed(resources.pods).create(podFor(job, i), { namespace: job.metadata?.namespace });
            this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata?.name}`);
            return p;
          } catch (e) {
            this.expectations.creationObserved(key);
            this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
            throw e;
          }
        }),
      );
      return [...active, ...created];
    }
    return active;
  }

  private async deletePods(job: Job, key: string, pods: Pod[]): Promise<void> {
    this.expectations.raise(key, 0, pods);
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.opts.client.typed(resources.pods).delete(p.metadata!.name!, { namespace: p.metadata!.namespace, preconditions: { uid: p.metadata?.uid } });
          this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
        } catch (e) {
          this.expectations.deletionObserved(key, p);
          if (!isNotFound(e)) throw e;
        }
      }),
    );
  }

  private async writeStatus(job: Job, status: JobStatus): Promise<Job> {
    if (JSON.stringify(job.status ?? {}) === JSON.stringify(status)) return job;
    return this.opts.client.typed(resources.jobs).updateStatus({ ...job, status }, { namespace: job.metadata?.namespace });
  }

  /** ttlSecondsAfterFinished: delete the finished job (foreground, as upstream's TTL controller) once due. */
  private async handleTtl(job: Job, now: number): Promise<ReconcileResult> {
    const at = ttlExpiresAt(job);
    if (at === undefined) return {};
    if (now < at) return { requeueAfterMs: at - now };
    try {
      await this.opts.client.typed(resources.jobs).delete(job.metadata!.name!, {
        namespace: job.metadata?.namespace,
        propagationPolicy: 'Foreground',
        preconditions: { uid: job.metadata?.uid },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return {};
  }
}

/** The pod a job creates (for Indexed mode, the pod of completion index i). */
export function podFor(job: Job, index?: number): Pod {
  const tpl = job.spec?.template ?? {};
  const name = job.metadata?.name ?? '';
  const labels = { ...(tpl.metadata?.labels ?? {}) };
  const annotations = { ...(tpl.metadata?.annotations ?? {}) };
  const spec = structuredClone(tpl.spec ?? { containers: [] });
  if (index !== undefined) {
    labels[completionIndexAnnotation] = String(index);
    annotations[completionIndexAnnotation] = String(index);
    if (!spec.hostname) spec.hostname = `${name}-${index}`;
    const env = { name: jobIndexEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${completionIndexAnnotation}']` } } };
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      if (!(c.env ?? []).some((e) => e.name === jobIndexEnv)) c.env = [...(c.env ?? []), env];
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index !== undefined ? `${name}-${index}-` : `${name}-`,
      namespace: job.metadata?.namespace,
      labels,
      annotations,
      finalizers: [jobTrackingFinalizer],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}
