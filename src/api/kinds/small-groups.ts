// The small single-kind groups: policy/v1 PodDisruptionBudgets, coordination.k8s.io/v1 Leases,
// discovery.k8s.io/v1 EndpointSlices, storage.k8s.io/v1 StorageClasses and scheduling.k8s.io/v1
// PriorityClasses. Defaults and the common validation rules as upstream. Pure declarations.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType } from '../resource.js';
import { isQualifiedName } from '../../util/names.js';
import { defineResource, statusSub } from './define.js';
import {
  type Loose,
  immutable,
  isInt,
  loose,
  nonNegative,
  oneOf,
  percentOf,
  validateIntOrPercent,
  validateLabelSelector,
} from './validation.js';

// ---------------------------------------------------------------------------------------------------------
// policy/v1 PodDisruptionBudget

export const podDisruptionBudgetStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  prepareForCreate(obj) {
    delete loose(obj)['status'];
  },
  validate(obj) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    if (spec['minAvailable'] !== undefined && spec['minAvailable'] !== null && spec['maxUnavailable'] !== undefined && spec['maxUnavailable'] !== null) {
      out.push(cause.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
    }
    for (const k of ['minAvailable', 'maxUnavailable']) {
      out.push(...validateIntOrPercent(spec[k], `spec.${k}`));
      const p = percentOf(spec[k]);
      if (p !== undefined && p > 100) out.push(cause.invalid(`spec.${k}`, spec[k], 'must not be greater than 100%'));
    }
    out.push(...validateLabelSelector(spec['selector'], 'spec.selector'));
    out.push(...oneOf(spec['unhealthyPodEvictionPolicy'], 'spec.unhealthyPodEvictionPolicy', ['AlwaysAllow', 'IfHealthyBudget']));
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// coordination.k8s.io/v1 Lease

export const leaseStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  validate(obj) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    const d = spec['leaseDurationSeconds'];
    if (d !== undefined && d !== null && (!isInt(d) || d <= 0)) out.push(cause.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
    out.push(...nonNegative(spec['leaseTransitions'], 'spec.leaseTransitions'));
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// discovery.k8s.io/v1 EndpointSlice

export const endpointSliceStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: true,
  defaults(obj) {
    for (const p of (loose(obj)['ports'] as Loose[] | undefined) ?? []) {
      if (!p || typeof p !== 'object') continue;
      if (p['name'] === undefined) p['name'] = '';
      if (!p['protocol']) p['protocol'] = 'TCP';
    }
  },
  validate(obj, ctx) {
    const o = loose(obj);
    const out: StatusCause[] = [];
    out.push(...oneOf(o['addressType'], 'addressType', ['IPv4', 'IPv6', 'FQDN'], true));
    ((o['endpoints'] as Loose[] | undefined) ?? []).forEach((e, i) => {
      const addrs = e?.['addresses'];
      if (!Array.isArray(addrs) || addrs.length === 0) out.push(cause.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
      else if (addrs.length > 100) out.push(cause.invalid(`endpoints[${i}].addresses`, addrs.length, 'must contain at most 100 addresses'));
    });
    ((o['ports'] as Loose[] | undefined) ?? []).forEach((p, i) => {
      out.push(...oneOf(p?.['protocol'], `ports[${i}].protocol`, ['SCTP', 'TCP', 'UDP']));
      if (p?.['port'] !== undefined && p['port'] !== null && (!isInt(p['port']) || p['port'] < 1 || p['port'] > 65535)) {
        out.push(cause.invalid(`ports[${i}].port`, p['port'], 'must be between 1 and 65535, inclusive'));
      }
    });
    if (ctx.old) out.push(...immutable(o['addressType'], loose(ctx.old)['addressType'], 'addressType'));
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// storage.k8s.io/v1 StorageClass

export const storageClassStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  defaults(obj) {
    const o = loose(obj);
    if (!o['reclaimPolicy']) o['reclaimPolicy'] = 'Delete';
    if (!o['volumeBindingMode']) o['volumeBindingMode'] = 'Immediate';
  },
  validate(obj, ctx) {
    const o = loose(obj);
    const out: StatusCause[] = [];
    if (!o['provisioner']) out.push(cause.required('provisioner'));
    else for (const m of isQualifiedName(String(o['provisioner']).toLowerCase())) out.push(cause.invalid('provisioner', o['provisioner'], m));
    out.push(...oneOf(o['reclaimPolicy'], 'reclaimPolicy', ['Delete', 'Retain']));
    out.push(...oneOf(o['volumeBindingMode'], 'volumeBindingMode', ['Immediate', 'WaitForFirstConsumer']));
    if (ctx.old) {
      const old = loose(ctx.old);
      out.push(...immutable(o['parameters'], old['parameters'], 'parameters').map((c) => ({ ...c, reason: 'FieldValueForbidden', message: 'Forbidden: updates to parameters are forbidden.' })));
      out.push(...immutable(o['provisioner'], old['provisioner'], 'provisioner').map((c) => ({ ...c, reason: 'FieldValueForbidden', message: 'Forbidden: updates to provisioner are forbidden.' })));
      out.push(...immutable(o['reclaimPolicy'], old['reclaimPolicy'], 'reclaimPolicy').map((c) => ({ ...c, reason: 'FieldValueForbidden', message: 'Forbidden: updates to reclaimPolicy are forbidden.' })));
      out.push(...immutable(o['volumeBindingMode'], old['volumeBindingMode'], 'volumeBindingMode'));
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// scheduling.k8s.io/v1 PriorityClass

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;

export const priorityClassStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  defaults(obj) {
    const o = loose(obj);
    if (!o['preemptionPolicy']) o['preemptionPolicy'] = 'PreemptLowerPriority';
  },
  validate(obj, ctx) {
    const o = loose(obj);
    const out: StatusCause[] = [];
    const name = String(o['metadata']?.['name'] ?? '');
    if (!isInt(o['value'])) out.push(cause.required('value'));
    else if (!name.startsWith('system-') && o['value'] > HIGHEST_USER_DEFINABLE_PRIORITY) {
      out.push(cause.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
    }
    out.push(...oneOf(o['preemptionPolicy'], 'preemptionPolicy', ['Never', 'PreemptLowerPriority']));
    if (ctx.old) {
      const old = loose(ctx.old);
      if (o['value'] !== old['value']) out.push(cause.forbidden('value', 'may not be changed in an update.'));
      out.push(...immutable(o['preemptionPolicy'], old['preemptionPolicy'], 'preemptionPolicy'));
    }
    return out;
  },
};

export function smallGroupResources(): ResourceType[] {
  return [
    defineResource({
      group: 'policy',
      version: 'v1',
      resource: 'poddisruptionbudgets',
      kind: 'PodDisruptionBudget',
      namespaced: true,
      shortNames: ['pdb'],
      subresources: [statusSub('policy', 'v1', 'PodDisruptionBudget')],
      strategy: podDisruptionBudgetStrategy,
    }),
    defineResource({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true, strategy: leaseStrategy }),
    defineResource({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true, strategy: endpointSliceStrategy }),
    defineResource({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', namespaced: false, shortNames: ['sc'], strategy: storageClassStrategy }),
    defineResource({ group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false, shortNames: ['pc'], strategy: priorityClassStrategy }),
  ];
}


