// apps/v1 kinds: Deployments, ReplicaSets, StatefulSets, DaemonSets, ControllerRevisions. Defaults as
// upstream's pkg/apis/apps/v1/defaults.go, validation as pkg/apis/apps/validation (common mistakes, with
// upstream paths and messages), status reset on create, scale paths. Pure declarations.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType } from '../resource.js';
import { isDns1123Label } from '../../util/names.js';
import { defineResource, scaleSub, statusSub } from './define.js';
import { defaultPodTemplate, defaultPvcSpec, validatePodTemplate } from './pod-spec.js';
import { selectorImmutable, validateSelectorAndTemplate } from './workload.js';
import {
  type Loose,
  clone,
  deepEqual,
  ensure,
  immutable,
  isZeroIntOrPercent,
  loose,
  nonNegative,
  oneOf,
  percentOf,
  setIfAbsent,
  validateIntOrPercent,
} from './validation.js';

const G = 'apps';
const V = 'v1';
const ALWAYS = { allowedRestartPolicies: ['Always'] };

function clearStatus(obj: Parameters<NonNullable<KindStrategy['prepareForCreate']>>[0]): void {
  delete loose(obj)['status'];
}

function replicasCause(spec: Loose): StatusCause[] {
  return nonNegative(spec['replicas'], 'spec.replicas');
}

function validateRollingUpdateValues(ru: Loose | undefined, f: string): StatusCause[] {
  if (!ru) return [];
  const out: StatusCause[] = [];
  for (const k of ['maxUnavailable', 'maxSurge']) {
    out.push(...validateIntOrPercent(ru[k], `${f}.${k}`));
    const p = percentOf(ru[k]);
    if (p !== undefined && p > 100) out.push(cause.invalid(`${f}.${k}`, ru[k], 'must not be greater than 100%'));
  }
  if (ru['maxSurge'] !== undefined && isZeroIntOrPercent(ru['maxSurge']) && ru['maxUnavailable'] !== undefined && isZeroIntOrPercent(ru['maxUnavailable'])) {
    out.push(cause.invalid(`${f}.maxUnavailable`, ru['maxUnavailable'], 'may not be 0 when `maxSurge` is 0'));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

export const deploymentStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    setIfAbsent(spec, 'replicas', 1);
    const strategy = ensure(spec, 'strategy');
    setIfAbsent(strategy, 'type', 'RollingUpdate');
    if (strategy['type'] === 'RollingUpdate') {
      const ru = ensure(strategy, 'rollingUpdate');
      setIfAbsent(ru, 'maxUnavailable', '25%');
      setIfAbsent(ru, 'maxSurge', '25%');
    }
    setIfAbsent(spec, 'revisionHistoryLimit', 10);
    setIfAbsent(spec, 'progressDeadlineSeconds', 600);
    defaultPodTemplate(spec['template']);
  },
  prepareForCreate: clearStatus,
  validate(obj, ctx) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    out.push(...replicasCause(spec));
    out.push(...validateSelectorAndTemplate(spec, 'spec', 'deployment'));
    out.push(...validatePodTemplate(spec['template'], 'spec.template', ALWAYS));
    const st = (spec['strategy'] ?? {}) as Loose;
    out.push(...oneOf(st['type'], 'spec.strategy.type', ['Recreate', 'RollingUpdate'], true));
    if (st['type'] === 'Recreate' && st['rollingUpdate']) {
      out.push(cause.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    }
    if (st['type'] === 'RollingUpdate') out.push(...validateRollingUpdateValues(st['rollingUpdate'], 'spec.strategy.rollingUpdate'));
    out.push(...nonNegative(spec['minReadySeconds'], 'spec.minReadySeconds'));
    out.push(...nonNegative(spec['revisionHistoryLimit'], 'spec.revisionHistoryLimit'));
    const pds = spec['progressDeadlineSeconds'];
    if (pds !== undefined && pds !== null) {
      out.push(...nonNegative(pds, 'spec.progressDeadlineSeconds'));
      if (typeof pds === 'number' && pds <= (spec['minReadySeconds'] ?? 0)) {
        out.push(cause.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
      }
    }
    if (ctx.old) out.push(...selectorImmutable(spec, loose(ctx.old)['spec'] ?? {}, 'spec'));
    return out;
  },
  scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' },
};

export const replicaSetStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    setIfAbsent(spec, 'replicas', 1);
    defaultPodTemplate(spec['template']);
  },
  prepareForCreate: clearStatus,
  validate(obj, ctx) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    out.push(...replicasCause(spec));
    out.push(...nonNegative(spec['minReadySeconds'], 'spec.minReadySeconds'));
    out.push(...validateSelectorAndTemplate(spec, 'spec', 'deployment'));
    out.push(...validatePodTemplate(spec['template'], 'spec.template', ALWAYS));
    if (ctx.old) out.push(...selectorImmutable(spec, loose(ctx.old)['spec'] ?? {}, 'spec'));
    return out;
  },
  fieldSelectors: { 'status.replicas': (o) => String(loose(o)['status']?.['replicas'] ?? 0) },
  scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' },
};

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export const statefulSetStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    setIfAbsent(spec, 'podManagementPolicy', 'OrderedReady');
    const us = ensure(spec, 'updateStrategy');
    if (!us['type']) {
      us['type'] = 'RollingUpdate';
      if (!us['rollingUpdate']) us['rollingUpdate'] = {};
    }
    if (us['type'] === 'RollingUpdate' && us['rollingUpdate'] && typeof us['rollingUpdate'] === 'object') {
      if (us['rollingUpdate']['partition'] === undefined || us['rollingUpdate']['partition'] === null) us['rollingUpdate']['partition'] = 0;
    }
    const ret = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
    setIfAbsent(ret, 'whenDeleted', 'Retain');
    setIfAbsent(ret, 'whenScaled', 'Retain');
    setIfAbsent(spec, 'replicas', 1);
    setIfAbsent(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplate(spec['template']);
    for (const pvc of (spec['volumeClaimTemplates'] as Loose[] | undefined) ?? []) {
      if (!pvc || typeof pvc !== 'object') continue;
      if (!pvc['apiVersion']) pvc['apiVersion'] = 'v1';
      if (!pvc['kind']) pvc['kind'] = 'PersistentVolumeClaim';
      defaultPvcSpec(ensure(pvc, 'spec'));
      setIfAbsent(ensure(pvc, 'status'), 'phase', 'Pending');
    }
  },
  prepareForCreate: clearStatus,
  validate(obj, ctx) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    out.push(...replicasCause(spec));
    out.push(...oneOf(spec['podManagementPolicy'], 'spec.podManagementPolicy', ['OrderedReady', 'Parallel'], true));
    const us = (spec['updateStrategy'] ?? {}) as Loose;
    out.push(...oneOf(us['type'], 'spec.updateStrategy.type', ['OnDelete', 'RollingUpdate'], true));
    if (us['type'] === 'OnDelete' && us['rollingUpdate']) {
      out.push(cause.invalid('spec.updateStrategy.rollingUpdate', us['rollingUpdate'], "only allowed for updateStrategy 'RollingUpdate'"));
    }
    out.push(...nonNegative(us['rollingUpdate']?.['partition'], 'spec.updateStrategy.rollingUpdate.partition'));
    if (spec['serviceName']) for (const m of isDns1123Label(String(spec['serviceName']))) out.push(cause.invalid('spec.serviceName', spec['serviceName'], m));
    out.push(...validateSelectorAndTemplate(spec, 'spec', 'statefulset'));
    const claimNames = ((spec['volumeClaimTemplates'] as Loose[] | undefined) ?? []).map((pvc) => String(pvc?.['metadata']?.['name'] ?? ''));
    out.push(...validatePodTemplate(spec['template'], 'spec.template', { ...ALWAYS, extraVolumes: claimNames }));
    ((spec['volumeClaimTemplates'] as Loose[] | undefined) ?? []).forEach((pvc, i) => {
      if (!pvc?.['metadata']?.['name']) out.push(cause.required(`spec.volumeClaimTemplates[${i}].metadata.name`));
    });
    if (ctx.old) {
      const oldSpec = (loose(ctx.old)['spec'] ?? {}) as Loose;
      const a = clone(spec);
      const b = clone(oldSpec);
      for (const k of STS_MUTABLE) b[k] = a[k];
      if (!deepEqual(a, b)) {
        out.push(
          cause.forbidden(
            'spec',
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
          ),
        );
      }
    }
    return out;
  },
  scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' },
};

export const daemonSetStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    const us = ensure(spec, 'updateStrategy');
    setIfAbsent(us, 'type', 'RollingUpdate');
    if (us['type'] === 'RollingUpdate') {
      const ru = ensure(us, 'rollingUpdate');
      setIfAbsent(ru, 'maxUnavailable', 1);
      setIfAbsent(ru, 'maxSurge', 0);
    }
    setIfAbsent(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplate(spec['template']);
  },
  prepareForCreate: clearStatus,
  validate(obj, ctx) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    out.push(...validateSelectorAndTemplate(spec, 'spec', 'daemonset'));
    out.push(...validatePodTemplate(spec['template'], 'spec.template', ALWAYS));
    const us = (spec['updateStrategy'] ?? {}) as Loose;
    out.push(...oneOf(us['type'], 'spec.updateStrategy.type', ['OnDelete', 'RollingUpdate'], true));
    if (us['type'] === 'RollingUpdate') out.push(...validateRollingUpdateValues(us['rollingUpdate'], 'spec.updateStrategy.rollingUpdate'));
    out.push(...nonNegative(spec['minReadySeconds'], 'spec.minReadySeconds'));
    if (ctx.old) out.push(...selectorImmutable(spec, loose(ctx.old)['spec'] ?? {}, 'spec'));
    return out;
  },
};

export const controllerRevisionStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  validate(obj, ctx) {
    const o = loose(obj);
    const out: StatusCause[] = [];
    out.push(...nonNegative(o['revision'], 'revision'));
    if (ctx.old) out.push(...immutable(o['data'], loose(ctx.old)['data'], 'data'));
    return out;
  },
};

export function appsResources(): ResourceType[] {
  const apps = (s: Omit<Parameters<typeof defineResource>[0], 'group' | 'version'>): ResourceType => defineResource({ group: G, version: V, ...s });
  return [
    apps({ resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true, strategy: controllerRevisionStrategy }),
    apps({ resource: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: [statusSub(G, V, 'DaemonSet')], strategy: daemonSetStrategy }),
    apps({ resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: [scaleSub(), statusSub(G, V, 'Deployment')], strategy: deploymentStrategy }),
    apps({ resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: [scaleSub(), statusSub(G, V, 'ReplicaSet')], strategy: replicaSetStrategy }),
    apps({ resource: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: [scaleSub(), statusSub(G, V, 'StatefulSet')], strategy: statefulSetStrategy }),
  ];
}
