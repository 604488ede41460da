// core/v1 kinds except Events: discovery identity, storage keys and strategies (defaults, create/update
// preparation, validation, field selectors) as upstream's pkg/registry/core/* and pkg/apis/core/v1 defaults.
// Declarations and pure rules only; IP/port allocation and subresource handlers live in the server.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType } from '../resource.js';
import type { KubeObject } from '../types.js';
import { isConfigMapKey, isDns1123Label, isDns1123Subdomain, isValidPortName } from '../../util/names.js';
import { ALL_VERBS, CREATE_ONLY, GET_PATCH_UPDATE, PROXY_VERBS, VERBS_NO_DELETECOLLECTION, defineResource, statusSub } from './define.js';
import { defaultPodSpec, defaultPvcSpec, podQosClass, validatePodSpec, validatePodSpecUpdate } from './pod-spec.js';
import { validateResourceQuota } from './resource-quota.js';
import {
  type Loose,
  IMMUTABLE,
  clone,
  deepEqual,
  ensure,
  immutable,
  isInt,
  loose,
  oneOf,
  setIfAbsent,
  validateLabelSelector,
  validateResourceList,
} from './validation.js';

const V = 'v1';
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

// ---------------------------------------------------------------------------------------------------------
// Namespaces

export const namespaceStrategy: KindStrategy = {
  nameRule: 'dns1123-label',
  statusSubresource: true,
  generation: false,
  defaults(obj) {
    const o = loose(obj);
    if (o['metadata']?.['name']) {
      o['metadata']['labels'] = { ...(o['metadata']['labels'] ?? {}), 'kubernetes.io/metadata.name': o['metadata']['name'] };
    }
    setIfAbsent(ensure(o, 'status'), 'phase', 'Active');
  },
  prepareForCreate(obj) {
    const o = loose(obj);
    o['status'] = { phase: 'Active' };
    const spec = ensure(o, 'spec');
    const fin: string[] = Array.isArray(spec['finalizers']) ? spec['finalizers'] : [];
    if (!fin.includes('kubernetes')) fin.push('kubernetes');
    spec['finalizers'] = fin;
  },
  prepareForUpdate(obj, old) {
    const o = loose(obj);
    const spec = ensure(o, 'spec');
    const oldFin = loose(old)['spec']?.['finalizers'];
    if (oldFin === undefined) delete spec['finalizers'];
    else spec['finalizers'] = clone(oldFin);
  },
  validate(obj) {
    const out: StatusCause[] = [];
    const fin = loose(obj)['spec']?.['finalizers'];
    if (Array.isArray(fin)) {
      fin.forEach((f: unknown, i: number) => {
        const s = String(f);
        if (!s.includes('/') && s !== 'kubernetes') {
          out.push(cause.invalid(`spec.finalizers[${i}]`, s, 'name is neither a standard finalizer name nor is it fully qualified'));
        }
      });
    }
    return out;
  },
  fieldSelectors: { 'status.phase': (o) => str(loose(o)['status']?.['phase']) },
};

// ---------------------------------------------------------------------------------------------------------
// Pods

export const podStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: false,
  defaults(obj) {
    const o = loose(obj);
    const spec = ensure(o, 'spec');
    defaultPodSpec(spec, true);
    // The Priority admission plugin resolves the priority class; without one every pod gets priority 0.
    if (spec['priority'] === undefined && !spec['priorityClassName']) spec['priority'] = 0;
    if (spec['preemptionPolicy'] === undefined && !spec['priorityClassName']) spec['preemptionPolicy'] = 'PreemptLowerPriority';
  },
  prepareForCreate(obj) {
    const o = loose(obj);
    const spec = (o['spec'] ?? {}) as Loose;
    const status: Loose = { phase: 'Pending', qosClass: podQosClass(spec) };
    if (Array.isArray(spec['schedulingGates']) && spec['schedulingGates'].length > 0) {
      status['conditions'] = [
        { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null, lastTransitionTime: null },
      ];
    }
    o['status'] = status;
  },
  validate(obj, ctx) {
    // A status write keeps the stored spec (and metadata, checked by the server): upstream's
    // ValidatePodStatusUpdate does not validate the spec again.
    if (ctx.subresource === 'status') return [];
    const o = loose(obj);
    const out = validatePodSpec(o['spec'], 'spec');
    if (ctx.old) out.push(...validatePodSpecUpdate(o['spec'] ?? {}, loose(ctx.old)['spec'] ?? {}));
    return out;
  },
  fieldSelectors: {
    'spec.nodeName': (o) => str(loose(o)['spec']?.['nodeName']) ?? '',
    'spec.restartPolicy': (o) => str(loose(o)['spec']?.['restartPolicy']) ?? '',
    'spec.schedulerName': (o) => str(loose(o)['spec']?.['schedulerName']) ?? '',
    'spec.serviceAccountName': (o) => str(loose(o)['spec']?.['serviceAccountName']) ?? '',
    'spec.hostNetwork': (o) => (loose(o)['spec']?.['hostNetwork'] === true ? 'true' : 'false'),
    'status.phase': (o) => str(loose(o)['status']?.['phase']) ?? '',
    'status.podIP': (o) => {
      const s = loose(o)['status'];
      return str(s?.['podIPs']?.[0]?.['ip'] ?? s?.['podIP']) ?? '';
    },
    'status.podIPs': (o) => {
      const ips = loose(o)['status']?.['podIPs'];
      return Array.isArray(ips) ? ips.map((p: Loose) => p?.['ip']).join(',') : '';
    },
    'status.nominatedNodeName': (o) => str(loose(o)['status']?.['nominatedNodeName']) ?? '',
  },
  defaultGracePeriodSeconds(obj) {
    const o = loose(obj);
    const phase = o['status']?.['phase'];
    if (!o['spec']?.['nodeName'] || phase === 'Succeeded' || phase === 'Failed') return 0;
    const g = o['spec']?.['terminationGracePeriodSeconds'];
    return isInt(g) ? Math.max(g, 0) : 30;
  },
};

// ---------------------------------------------------------------------------------------------------------
// Services

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function needsClusterIP(spec: Loose | undefined): boolean {
  return (spec?.['type'] ?? 'ClusterIP') !== 'ExternalName';
}

export const serviceStrategy: KindStrategy = {
  nameRule: 'dns1035-label',
  statusSubresource: true,
  generation: false,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    setIfAbsent(spec, 'sessionAffinity', 'None');
    if (spec['sessionAffinity'] === 'None') delete spec['sessionAffinityConfig'];
    if (spec['sessionAffinity'] === 'ClientIP') {
      const cfg = ensure(spec, 'sessionAffinityConfig');
      const cip = ensure(cfg, 'clientIP');
      if (cip['timeoutSeconds'] === undefined) cip['timeoutSeconds'] = 10800;
    }
    setIfAbsent(spec, 'type', 'ClusterIP');
    for (const p of (spec['ports'] as Loose[] | undefined) ?? []) {
      if (!p || typeof p !== 'object') continue;
      setIfAbsent(p, 'protocol', 'TCP');
      if (p['targetPort'] === undefined || p['targetPort'] === null || p['targetPort'] === 0 || p['targetPort'] === '') {
        p['targetPort'] = p['port'];
      }
    }
    if (spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer') setIfAbsent(spec, 'externalTrafficPolicy', 'Cluster');
    if (spec['type'] !== 'ExternalName' && spec['internalTrafficPolicy'] === undefined) spec['internalTrafficPolicy'] = 'Cluster';
    if (spec['type'] === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] === undefined) spec['allocateLoadBalancerNodePorts'] = true;
  },
  prepareForCreate(obj) {
    const o = loose(obj);
    o['status'] = { loadBalancer: {} };
    const spec = ensure(o, 'spec');
    if (needsClusterIP(spec)) {
      if (spec['clusterIP'] && !spec['clusterIPs']) spec['clusterIPs'] = [spec['clusterIP']];
      setIfAbsent(spec, 'ipFamilyPolicy', 'SingleStack');
      if (!Array.isArray(spec['ipFamilies']) || spec['ipFamilies'].length === 0) spec['ipFamilies'] = ['IPv4'];
    }
  },
  prepareForUpdate(obj, old) {
    // upstream patchAllocatedValues: an update that omits allocated values keeps them.
    const spec = ensure(loose(obj), 'spec');
    const oldSpec = (loose(old)['spec'] ?? {}) as Loose;
    if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
      if (!spec['clusterIP'] && oldSpec['clusterIP']) spec['clusterIP'] = oldSpec['clusterIP'];
      if ((!Array.isArray(spec['clusterIPs']) || spec['clusterIPs'].length === 0) && oldSpec['clusterIPs']) {
        spec['clusterIPs'] = clone(oldSpec['clusterIPs']);
      }
      if (!spec['ipFamilyPolicy'] && oldSpec['ipFamilyPolicy']) spec['ipFamilyPolicy'] = oldSpec['ipFamilyPolicy'];
      if ((!Array.isArray(spec['ipFamilies']) || spec['ipFamilies'].length === 0) && oldSpec['ipFamilies']) {
        spec['ipFamilies'] = clone(oldSpec['ipFamilies']);
      }
    }
    const np = (t: unknown) => t === 'NodePort' || t === 'LoadBalancer';
    if (np(oldSpec['type']) && np(spec['type'])) {
      const oldPorts = (oldSpec['ports'] as Loose[] | undefined) ?? [];
      for (const p of (spec['ports'] as Loose[] | undefined) ?? []) {
        if (!p || p['nodePort']) continue;
        const match = oldPorts.find((q) => q?.['port'] === p['port'] && (q?.['protocol'] ?? 'TCP') === (p['protocol'] ?? 'TCP'));
        if (match?.['nodePort']) p['nodePort'] = match['nodePort'];
      }
    }
    if (oldSpec['healthCheckNodePort'] && !spec['healthCheckNodePort'] && spec['externalTrafficPolicy'] === 'Local') {
      spec['healthCheckNodePort'] = oldSpec['healthCheckNodePort'];
    }
  },
  validate(obj, ctx) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    const type = spec['type'] ?? 'ClusterIP';
    out.push(...oneOf(spec['type'], 'spec.type', SERVICE_TYPES));
    const ports = (spec['ports'] as Loose[] | undefined) ?? [];
    const headless = spec['clusterIP'] === 'None';
    if (type === 'ExternalName') {
      if (!spec['externalName']) out.push(cause.required('spec.externalName'));
      else for (const m of isDns1123Subdomain(String(spec['externalName']).replace(/\.$/, ''))) out.push(cause.invalid('spec.externalName', spec['externalName'], m));
    } else if (ports.length === 0 && !headless) {
      out.push(cause.required('spec.ports'));
    }
    const names = new Set<string>();
    ports.forEach((p, i) => {
      const f = `spec.ports[${i}]`;
      if (!p || typeof p !== 'object') return;
      if (ports.length > 1 && !p['name']) out.push(cause.required(`${f}.name`));
      if (p['name']) {
        for (const m of isDns1123Label(String(p['name']))) out.push(cause.invalid(`${f}.name`, p['name'], m));
        if (names.has(p['name'])) out.push(cause.duplicate(`${f}.name`, p['name']));
        names.add(p['name']);
      }
      if (!isInt(p['port']) || p['port'] < 1 || p['port'] > 65535) out.push(cause.invalid(`${f}.port`, p['port'] ?? 0, 'must be between 1 and 65535, inclusive'));
      out.push(...oneOf(p['protocol'], `${f}.protocol`, ['SCTP', 'TCP', 'UDP'], true));
      const tp = p['targetPort'];
      if (typeof tp === 'number' && (!isInt(tp) || tp < 1 || tp > 65535)) out.push(cause.invalid(`${f}.targetPort`, tp, 'must be between 1 and 65535, inclusive'));
      if (typeof tp === 'string') for (const m of isValidPortName(tp)) out.push(cause.invalid(`${f}.targetPort`, tp, m));
      if (p['nodePort'] !== undefined && p['nodePort'] !== 0) {
        if (type !== 'NodePort' && type !== 'LoadBalancer') out.push(cause.forbidden(`${f}.nodePort`, 'may not be used when `type` is \'ClusterIP\''));
        else if (!isInt(p['nodePort']) || p['nodePort'] < 1 || p['nodePort'] > 65535) out.push(cause.invalid(`${f}.nodePort`, p['nodePort'], 'must be between 1 and 65535, inclusive'));
      }
    });
    out.push(...oneOf(spec['sessionAffinity'], 'spec.sessionAffinity', ['ClientIP', 'None']));
    if (spec['selector'] && typeof spec['selector'] === 'object') {
      for (const [k, v] of Object.entries(spec['selector'] as Record<string, unknown>)) {
        out.push(...validateLabelSelector({ matchLabels: { [k]: String(v) } }, 'spec'));
      }
    }
    if (spec['clusterIP'] && spec['clusterIPs'] && spec['clusterIPs'][0] !== spec['clusterIP']) {
      out.push(cause.invalid('spec.clusterIPs', spec['clusterIPs'], 'must be empty or the first value must match spec.clusterIP'));
    }
    out.push(...oneOf(spec['internalTrafficPolicy'], 'spec.internalTrafficPolicy', ['Cluster', 'Local']));
    out.push(...oneOf(spec['externalTrafficPolicy'], 'spec.externalTrafficPolicy', ['Cluster', 'Local']));
    if (ctx.old) {
      const oldSpec = (loose(ctx.old)['spec'] ?? {}) as Loose;
      if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
        const oldIPs = (oldSpec['clusterIPs'] as string[] | undefined) ?? (oldSpec['clusterIP'] ? [oldSpec['clusterIP']] : []);
        const newIPs = (spec['clusterIPs'] as string[] | undefined) ?? (spec['clusterIP'] ? [spec['clusterIP']] : []);
        if (oldIPs.length > 0 && newIPs.length > 0 && oldIPs[0] !== newIPs[0]) {
          out.push({ reason: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: []string{${newIPs.map((s) => JSON.stringify(s)).join(', ')}}: may not change once set` });
        }
      }
    }
    return out;
  },
  fieldSelectors: {
    'spec.clusterIP': (o) => str(loose(o)['spec']?.['clusterIP']) ?? '',
    'spec.type': (o) => str(loose(o)['spec']?.['type']) ?? '',
  },
};

// ---------------------------------------------------------------------------------------------------------
// Endpoints

export const endpointsStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  defaults(obj) {
    for (const ss of (loose(obj)['subsets'] as Loose[] | undefined) ?? []) {
      for (const p of (ss?.['ports'] as Loose[] | undefined) ?? []) if (p) setIfAbsent(p, 'protocol', 'TCP');
    }
  },
  validate(obj) {
    const out: StatusCause[] = [];
    ((loose(obj)['subsets'] as Loose[] | undefined) ?? []).forEach((ss, i) => {
      const f = `subsets[${i}]`;
      ((ss?.['addresses'] as Loose[] | undefined) ?? []).forEach((a, j) => {
        if (!a?.['ip']) out.push(cause.required(`${f}.addresses[${j}].ip`));
      });
      ((ss?.['ports'] as Loose[] | undefined) ?? []).forEach((p, j) => {
        if (!isInt(p?.['port']) || p['port'] < 1 || p['port'] > 65535) out.push(cause.invalid(`${f}.ports[${j}].port`, p?.['port'] ?? 0, 'must be between 1 and 65535, inclusive'));
      });
    });
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// ConfigMaps and Secrets

const MAX_DATA_SIZE = 1024 * 1024;

function validateDataKeys(obj: Loose, keys: string[]): { causes: StatusCause[]; size: number } {
  const out: StatusCause[] = [];
  let size = 0;
  const seen = new Set<string>();
  for (const field of keys) {
    const data = obj[field];
    if (data === undefined || data === null) continue;
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      for (const m of isConfigMapKey(k)) out.push(cause.invalid(`${field}[${k}]`, k, m));
      if (seen.has(k)) out.push(cause.invalid(`${field}[${k}]`, k, 'duplicate of key present in data'));
      seen.add(k);
      size += typeof v === 'string' ? (field === 'binaryData' || (field === 'data' && keys.includes('stringData')) ? Math.floor((v.length * 3) / 4) : Buffer.byteLength(v)) : 0;
    }
  }
  return { causes: out, size };
}

function immutableData(obj: Loose, old: Loose, fields: string[]): StatusCause[] {
  const out: StatusCause[] = [];
  if (old['immutable'] !== true) return out;
  if (obj['immutable'] !== true) out.push(cause.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!deepEqual(obj[f] ?? {}, old[f] ?? {})) out.push(cause.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return out;
}

export const configMapStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  validate(obj, ctx) {
    const o = loose(obj);
    const { causes, size } = validateDataKeys(o, ['data', 'binaryData']);
    if (size > MAX_DATA_SIZE) causes.push(cause.tooLong('', MAX_DATA_SIZE));
    if (ctx.old) causes.push(...immutableData(o, loose(ctx.old), ['data', 'binaryData']));
    return causes;
  },
};

const SECRET_REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export const secretStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  defaults(obj) {
    const o = loose(obj);
    setIfAbsent(o, 'type', 'Opaque');
    // upstream's conversion folds stringData into data (base64) on the way in.
    const sd = o['stringData'];
    if (sd && typeof sd === 'object') {
      const data = ensure(o, 'data');
      for (const [k, v] of Object.entries(sd as Record<string, unknown>)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      delete o['stringData'];
    }
  },
  validate(obj, ctx) {
    const o = loose(obj);
    const { causes, size } = validateDataKeys(o, ['data']);
    if (size > MAX_DATA_SIZE) causes.push(cause.tooLong('data', MAX_DATA_SIZE));
    const type = String(o['type'] ?? 'Opaque');
    const data = (o['data'] ?? {}) as Record<string, unknown>;
    for (const key of SECRET_REQUIRED_KEYS[type] ?? []) if (data[key] === undefined) causes.push(cause.required(`data[${key}]`));
    if (type === 'kubernetes.io/service-account-token' && !o['metadata']?.['annotations']?.['kubernetes.io/service-account.name']) {
      causes.push(cause.required('metadata.annotations[kubernetes.io/service-account.name]'));
    }
    if (type === 'kubernetes.io/basic-auth' && data['username'] === undefined && data['password'] === undefined) {
      causes.push(cause.required('data[username]'));
    }
    if (ctx.old) {
      const old = loose(ctx.old);
      causes.push(...immutable(o['type'] ?? 'Opaque', old['type'] ?? 'Opaque', 'type'));
      causes.push(...immutableData(o, old, ['data']));
    }
    return causes;
  },
  fieldSelectors: { type: (o) => str(loose(o)['type']) ?? '' },
};

// ---------------------------------------------------------------------------------------------------------
// Nodes

export const nodeStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: false,
  defaults(obj) {
    const o = loose(obj);
    const status = o['status'] as Loose | undefined;
    if (status && status['capacity'] && !status['allocatable']) status['allocatable'] = clone(status['capacity']);
    const spec = o['spec'] as Loose | undefined;
    if (spec && spec['podCIDR'] && !spec['podCIDRs']) spec['podCIDRs'] = [spec['podCIDR']];
  },
  validate(obj, ctx) {
    const o = loose(obj);
    const out: StatusCause[] = [];
    ((o['spec']?.['taints'] as Loose[] | undefined) ?? []).forEach((t, i) => {
      const f = `spec.taints[${i}]`;
      if (!t?.['key']) out.push(cause.required(`${f}.key`));
      out.push(...oneOf(t?.['effect'], `${f}.effect`, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], true));
    });
    if (ctx.old) {
      const oldCIDRs = loose(ctx.old)['spec']?.['podCIDRs'];
      const newCIDRs = o['spec']?.['podCIDRs'];
      if (Array.isArray(oldCIDRs) && oldCIDRs.length > 0 && !deepEqual(oldCIDRs, newCIDRs)) {
        out.push(cause.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
      }
    }
    return out;
  },
  fieldSelectors: { 'spec.unschedulable': (o) => (loose(o)['spec']?.['unschedulable'] === true ? 'true' : 'false') },
};

// ---------------------------------------------------------------------------------------------------------
// PersistentVolumes and claims

export const persistentVolumeStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: false,
  defaults(obj) {
    const o = loose(obj);
    const spec = ensure(o, 'spec');
    setIfAbsent(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setIfAbsent(spec, 'volumeMode', 'Filesystem');
    setIfAbsent(ensure(o, 'status'), 'phase', 'Pending');
  },
  prepareForCreate(obj) {
    loose(obj)['status'] = { phase: 'Pending' };
  },
  validate(obj) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    if (!Array.isArray(spec['accessModes']) || spec['accessModes'].length === 0) out.push(cause.required('spec.accessModes'));
    if (!spec['capacity']?.['storage']) out.push(cause.required('spec.capacity'));
    out.push(...validateResourceList(spec['capacity'], 'spec.capacity'));
    out.push(...oneOf(spec['persistentVolumeReclaimPolicy'], 'spec.persistentVolumeReclaimPolicy', ['Delete', 'Recycle', 'Retain']));
    return out;
  },
};

export const persistentVolumeClaimStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: false,
  defaults(obj) {
    const o = loose(obj);
    defaultPvcSpec(ensure(o, 'spec'));
    setIfAbsent(ensure(o, 'status'), 'phase', 'Pending');
  },
  prepareForCreate(obj) {
    loose(obj)['status'] = { phase: 'Pending' };
  },
  validate(obj, ctx) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    if (!Array.isArray(spec['accessModes']) || spec['accessModes'].length === 0) out.push(cause.required('spec.accessModes', 'at least 1 access mode is required'));
    if (!spec['resources']?.['requests']?.['storage'] && !spec['dataSource'] && !spec['volumeName']) {
      out.push(cause.required('spec.resources[storage]'));
    }
    out.push(...validateResourceList(spec['resources']?.['requests'], 'spec.resources.requests'));
    if (ctx.old) {
      const oldSpec = (loose(ctx.old)['spec'] ?? {}) as Loose;
      const a = clone(spec);
      const b = clone(oldSpec);
      // storage requests may grow (expansion) and volumeName may be set once (binding).
      if (a['resources'] && b['resources']) b['resources']['requests'] = a['resources']['requests'];
      if (!b['volumeName']) b['volumeName'] = a['volumeName'];
      // storageClassName may be set once from nil (retroactive default StorageClass assignment, upstream 1.28).
      if (b['storageClassName'] === undefined || b['storageClassName'] === null) b['storageClassName'] = a['storageClassName'];
      if (!deepEqual(a, b)) {
        out.push(cause.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------------------
// ServiceAccounts, LimitRanges, ResourceQuotas

export const serviceAccountStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
};

export const limitRangeStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  defaults(obj) {
    for (const item of (loose(obj)['spec']?.['limits'] as Loose[] | undefined) ?? []) {
      if (!item || item['type'] !== 'Container') continue;
      const def = { ...((item['default'] ?? {}) as Record<string, unknown>) };
      const defReq = { ...((item['defaultRequest'] ?? {}) as Record<string, unknown>) };
      for (const [k, v] of Object.entries((item['max'] ?? {}) as Record<string, unknown>)) if (def[k] === undefined) def[k] = v;
      for (const [k, v] of Object.entries(def)) if (defReq[k] === undefined) defReq[k] = v;
      for (const [k, v] of Object.entries((item['min'] ?? {}) as Record<string, unknown>)) if (defReq[k] === undefined) defReq[k] = v;
      if (Object.keys(def).length) item['default'] = def;
      if (Object.keys(defReq).length) item['defaultRequest'] = defReq;
    }
  },
  validate(obj) {
    const out: StatusCause[] = [];
    ((loose(obj)['spec']?.['limits'] as Loose[] | undefined) ?? []).forEach((item, i) => {
      const f = `spec.limits[${i}]`;
      out.push(...oneOf(item?.['type'], `${f}.type`, ['Container', 'Pod', 'PersistentVolumeClaim'], true));
      for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) out.push(...validateResourceList(item?.[k], `${f}.${k}`));
    });
    return out;
  },
};

export const resourceQuotaStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: false,
  prepareForCreate(obj) {
    delete loose(obj)['status'];
  },
  validate(obj, ctx) {
    return validateResourceQuota(obj, ctx.old);
  },
};

// ---------------------------------------------------------------------------------------------------------
// Virtual core resources

export const bindingStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: false,
  validate(obj) {
    const t = loose(obj)['target'] as Loose | undefined;
    const out: StatusCause[] = [];
    if (!t || t['kind'] !== undefined && t['kind'] !== '' && t['kind'] !== 'Node') out.push(cause.notSupported('target.kind', t?.['kind'] ?? '', ['Node', '<empty>']));
    if (!t?.['name']) out.push(cause.required('target.name'));
    return out;
  },
};

const plain = (nameRule: KindStrategy['nameRule'] = 'dns1123-subdomain'): KindStrategy => ({ nameRule, statusSubresource: false, generation: false });

export function coreResources(): ResourceType[] {
  const core = (s: Omit<Parameters<typeof defineResource>[0], 'group' | 'version'>): ResourceType => defineResource({ group: '', version: V, ...s });
  return [
    core({ resource: 'bindings', kind: 'Binding', namespaced: true, verbs: CREATE_ONLY, storagePrefix: '', strategy: bindingStrategy }),
    core({ resource: 'componentstatuses', kind: 'ComponentStatus', namespaced: false, shortNames: ['cs'], verbs: ['get', 'list'], storagePrefix: '', strategy: plain() }),
    core({ resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'], strategy: configMapStrategy }),
    core({ resource: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'], storagePrefix: '/registry/services/endpoints', strategy: endpointsStrategy }),
    core({ resource: 'limitranges', kind: 'LimitRange', namespaced: true, shortNames: ['limits'], strategy: limitRangeStrategy }),
    core({
      resource: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      verbs: VERBS_NO_DELETECOLLECTION,
      subresources: [
        { name: 'finalize', responseKind: { group: '', version: V, kind: 'Namespace' }, verbs: ['update'] },
        statusSub('', V, 'Namespace'),
      ],
      strategy: namespaceStrategy,
    }),
    core({
      resource: 'nodes',
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      subresources: [
        { name: 'proxy', responseKind: { group: '', version: V, kind: 'NodeProxyOptions' }, verbs: PROXY_VERBS },
        statusSub('', V, 'Node'),
      ],
      storagePrefix: '/registry/minions',
      strategy: nodeStrategy,
    }),
    core({ resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true, shortNames: ['pvc'], subresources: [statusSub('', V, 'PersistentVolumeClaim')], strategy: persistentVolumeClaimStrategy }),
    core({ resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], subresources: [statusSub('', V, 'PersistentVolume')], strategy: persistentVolumeStrategy }),
    core({
      resource: 'pods',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        { name: 'attach', responseKind: { group: '', version: V, kind: 'PodAttachOptions' }, verbs: ['create', 'get'] },
        { name: 'binding', responseKind: { group: '', version: V, kind: 'Binding' }, verbs: CREATE_ONLY },
        { name: 'ephemeralcontainers', responseKind: { group: '', version: V, kind: 'Pod' }, verbs: GET_PATCH_UPDATE },
        { name: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: CREATE_ONLY },
        { name: 'exec', responseKind: { group: '', version: V, kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
        { name: 'log', responseKind: { group: '', version: V, kind: 'Pod' }, verbs: ['get'] },
        { name: 'portforward', responseKind: { group: '', version: V, kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] },
        { name: 'proxy', responseKind: { group: '', version: V, kind: 'PodProxyOptions' }, verbs: PROXY_VERBS },
        statusSub('', V, 'Pod'),
      ],
      strategy: podStrategy,
    }),
    core({ resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: true, shortNames: ['quota'], subresources: [statusSub('', V, 'ResourceQuota')], strategy: resourceQuotaStrategy }),
    core({ resource: 'secrets', kind: 'Secret', namespaced: true, strategy: secretStrategy }),
    core({
      resource: 'serviceaccounts',
      kind: 'ServiceAccount',
      namespaced: true,
      shortNames: ['sa'],
      subresources: [{ name: 'token', responseKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: CREATE_ONLY }],
      strategy: serviceAccountStrategy,
    }),
    core({
      resource: 'services',
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      verbs: ALL_VERBS,
      subresources: [
        { name: 'proxy', responseKind: { group: '', version: V, kind: 'ServiceProxyOptions' }, verbs: PROXY_VERBS },
        statusSub('', V, 'Service'),
      ],
      storagePrefix: '/registry/services/specs',
      strategy: serviceStrategy,
    }),
  ];
}

/** Exposed for tests and other modules that need the immutable-field message. */
export const FIELD_IMMUTABLE = IMMUTABLE;
export type { KubeObject };
