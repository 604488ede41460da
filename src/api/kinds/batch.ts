// batch/v1 kinds: Jobs and CronJobs. Defaults as upstream's pkg/apis/batch/v1/defaults.go, the job
// selector generation of the job strategy (controller-uid / job-name labels), and the common validation
// rules with upstream paths and messages. Pure declarations.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType } from '../resource.js';
import type { KubeObject } from '../types.js';
import { defineResource, statusSub } from './define.js';
import { defaultPodTemplate, validatePodTemplate } from './pod-spec.js';
import { selectorImmutable, validateSelectorAndTemplate } from './workload.js';
import { type Loose, clone, deepEqual, ensure, immutable, invalidRendered, loose, nonNegative, oneOf, setIfAbsent } from './validation.js';

const G = 'batch';
const V = 'v1';
const JOB_RESTART = { allowedRestartPolicies: ['OnFailure', 'Never'] };

export const LABEL_CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID = 'controller-uid';
const LEGACY_JOB_NAME = 'job-name';

/** Upstream generateSelector: runs when manualSelector is not true and the uid is known. */
export function generateJobSelector(obj: KubeObject): void {
  const o = loose(obj);
  const uid = o['metadata']?.['uid'];
  const name = o['metadata']?.['name'];
  if (!uid) return;
  const spec = ensure(o, 'spec');
  if (spec['manualSelector'] === true) return;
  const tpl = ensure(spec, 'template');
  const md = ensure(tpl, 'metadata');
  const labels = ensure(md, 'labels');
  for (const k of [LEGACY_JOB_NAME, LABEL_JOB_NAME]) if (labels[k] === undefined && name) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID, LABEL_CONTROLLER_UID]) if (labels[k] === undefined) labels[k] = uid;
  const sel = ensure(spec, 'selector');
  const ml = ensure(sel, 'matchLabels');
  if (ml[LABEL_CONTROLLER_UID] === undefined) ml[LABEL_CONTROLLER_UID] = uid;
}

function defaultJobSpec(spec: Loose, top?: Loose): void {
  if ((spec['completions'] === undefined || spec['completions'] === null) && (spec['parallelism'] === undefined || spec['parallelism'] === null)) {
    spec['completions'] = 1;
    spec['parallelism'] = 1;
  }
  setIfAbsent(spec, 'parallelism', 1);
  if (spec['backoffLimit'] === undefined || spec['backoffLimit'] === null) {
    spec['backoffLimit'] = spec['backoffLimitPerIndex'] !== undefined && spec['backoffLimitPerIndex'] !== null ? 2147483647 : 6;
  }
  if (!spec['completionMode']) spec['completionMode'] = 'NonIndexed';
  setIfAbsent(spec, 'suspend', false);
  if (!spec['podReplacementPolicy']) spec['podReplacementPolicy'] = spec['podFailurePolicy'] ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of (spec['podFailurePolicy']?.['rules'] as Loose[] | undefined) ?? []) {
    for (const pat of (rule?.['onPodConditions'] as Loose[] | undefined) ?? []) if (pat && !pat['status']) pat['status'] = 'True';
  }
  if (top) {
    const labels = spec['template']?.['metadata']?.['labels'];
    const md = ensure(top, 'metadata');
    if (labels && typeof labels === 'object' && Object.keys(md['labels'] ?? {}).length === 0) md['labels'] = { ...labels };
  }
  defaultPodTemplate(spec['template']);
}

function validateJobSpec(spec: Loose, f: string, topLevel: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  out.push(...nonNegative(spec['parallelism'], `${f}.parallelism`));
  out.push(...nonNegative(spec['completions'], `${f}.completions`));
  out.push(...nonNegative(spec['backoffLimit'], `${f}.backoffLimit`));
  const ads = spec['activeDeadlineSeconds'];
  if (ads !== undefined && ads !== null && (typeof ads !== 'number' || ads <= 0)) out.push(cause.invalid(`${f}.activeDeadlineSeconds`, ads, 'must be greater than 0'));
  out.push(...nonNegative(spec['ttlSecondsAfterFinished'], `${f}.ttlSecondsAfterFinished`));
  out.push(...oneOf(spec['completionMode'], `${f}.completionMode`, ['NonIndexed', 'Indexed']));
  if (spec['completionMode'] === 'Indexed' && (spec['completions'] === undefined || spec['completions'] === null)) {
    out.push(cause.required(`${f}.completions`, 'when completion mode is Indexed'));
  }
  out.push(...oneOf(spec['podReplacementPolicy'], `${f}.podReplacementPolicy`, ['TerminatingOrFailed', 'Failed']));
  if (topLevel) out.push(...validateSelectorAndTemplate(spec, f, 'job'));
  out.push(...validatePodTemplate(spec['template'], `${f}.template`, JOB_RESTART));
  return out;
}

export const jobStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults(obj) {
    const o = loose(obj);
    defaultJobSpec(ensure(o, 'spec'), o);
  },
  prepareForCreate(obj) {
    delete loose(obj)['status'];
    generateJobSelector(obj);
  },
  validate(obj, ctx) {
    // Upstream generates the selector in Validate, once the uid exists; do the same (idempotent).
    if (!ctx.old) generateJobSelector(obj);
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out = validateJobSpec(spec, 'spec', true);
    if (ctx.old) {
      const oldSpec = (loose(ctx.old)['spec'] ?? {}) as Loose;
      out.push(...selectorImmutable(spec, oldSpec, 'spec'));
      if (!(oldSpec['suspend'] === true && spec['suspend'] === true) && !deepEqual(spec['template'], oldSpec['template'])) {
        const a = clone(spec['template']) as Loose | undefined;
        const b = clone(oldSpec['template']) as Loose | undefined;
        // Suspended jobs that were never started may change scheduling directives; otherwise immutable.
        if (!deepEqual(a, b)) out.push(invalidRendered('spec.template', JSON.stringify(spec['template'] ?? null).slice(0, 200), 'field is immutable'));
      }
      if (spec['completionMode'] !== 'Indexed' || oldSpec['completionMode'] !== 'Indexed') {
        out.push(...immutable(spec['completions'], oldSpec['completions'], 'spec.completions'));
      }
      out.push(...immutable(spec['completionMode'], oldSpec['completionMode'], 'spec.completionMode'));
      out.push(...immutable(spec['podFailurePolicy'], oldSpec['podFailurePolicy'], 'spec.podFailurePolicy'));
    }
    return out;
  },
  fieldSelectors: { 'status.successful': (o) => String(loose(o)['status']?.['succeeded'] ?? 0) },
};

export const cronJobStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    if (!spec['concurrencyPolicy']) spec['concurrencyPolicy'] = 'Allow';
    setIfAbsent(spec, 'suspend', false);
    setIfAbsent(spec, 'successfulJobsHistoryLimit', 3);
    setIfAbsent(spec, 'failedJobsHistoryLimit', 1);
    const jt = spec['jobTemplate'] as Loose | undefined;
    if (jt && typeof jt === 'object' && jt['spec'] && typeof jt['spec'] === 'object') defaultPodTemplate(jt['spec']['template']);
  },
  prepareForCreate(obj) {
    delete loose(obj)['status'];
  },
  validate(obj) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    const name = loose(obj)['metadata']?.['name'];
    if (typeof name === 'string' && name.length > 52) {
      out.push(cause.invalid('metadata.name', name, 'must be no more than 52 characters'));
    }
    if (!spec['schedule']) out.push(cause.required('spec.schedule'));
    else if (typeof spec['schedule'] === 'string' && /TZ=|CRON_TZ=/.test(spec['schedule'])) {
      out.push(cause.invalid('spec.schedule', spec['schedule'], 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
    out.push(...oneOf(spec['concurrencyPolicy'], 'spec.concurrencyPolicy', ['Allow', 'Forbid', 'Replace'], true));
    out.push(...nonNegative(spec['startingDeadlineSeconds'], 'spec.startingDeadlineSeconds'));
    out.push(...nonNegative(spec['successfulJobsHistoryLimit'], 'spec.successfulJobsHistoryLimit'));
    out.push(...nonNegative(spec['failedJobsHistoryLimit'], 'spec.failedJobsHistoryLimit'));
    const jt = (spec['jobTemplate'] ?? {}) as Loose;
    out.push(...validateJobSpec((jt['spec'] ?? {}) as Loose, 'spec.jobTemplate.spec', false));
    return out;
  },
};

export function batchResources(): ResourceType[] {
  return [
    defineResource({ group: G, version: V, resource: 'cronjobs', kind: 'CronJob', namespaced: true, shortNames: ['cj'], categories: ['all'], subresources: [statusSub(G, V, 'CronJob')], strategy: cronJobStrategy }),
    defineResource({ group: G, version: V, resource: 'jobs', kind: 'Job', namespaced: true, categories: ['all'], subresources: [statusSub(G, V, 'Job')], strategy: jobStrategy }),
  ];
}
