// Tables for the core ("") group other than pods: services, endpoints, nodes, namespaces, events, config maps,
// secrets, service accounts, persistent volumes and claims, resource quotas, replication controllers and pod
// templates — the columns and cell rules of upstream printers.go. Pure over object and `now`.
import type {
  ConfigMap,
  Endpoints,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  PodTemplate,
  ReplicationController,
  ResourceQuota,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-types/core/v1.js';
import type { TableConvertor } from '../resource.js';
import type { KubeObject } from '../types.js';
import { ageSince, parseTimestamp } from '../../util/human-duration.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  accessModesString,
  age,
  column,
  field,
  formatLabels,
  joinHostPort,
  layoutContainers,
  nameOf,
  quantity,
} from './format.js';

// ---- services ----

/** loadBalancerStatusStringer (server side is always "wide", so never clipped): unique, sorted. */
export function loadBalancerAddresses(ingress: { ip?: string; hostname?: string }[] | undefined): string {
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

export function serviceExternalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? '') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** makePortString: "80/TCP", "80:30080/TCP", comma-joined. */
export function servicePorts(svc: Service): string {
  return (svc.spec?.ports ?? [])
    .map((p) => {
      const proto = p.protocol ?? 'TCP';
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${proto}` : `${p.port}/${proto}`;
    })
    .join(',');
}

export const serviceTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'core.v1.ServiceSpec.type'),
    column('Cluster-IP', 'string', 'core.v1.ServiceSpec.clusterIP'),
    column('External-IP', 'string', 'core.v1.ServiceSpec.externalIPs'),
    column('Port(s)', 'string', 'core.v1.ServiceSpec.ports'),
    AGE_COLUMN,
    column('Selector', 'string', 'core.v1.ServiceSpec.selector', { priority: 1 }),
  ],
  row(obj, now) {
    const svc = obj as unknown as Service;
    const clusterIP = svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || '<none>';
    return [
      nameOf(obj),
      svc.spec?.type ?? '',
      clusterIP,
      serviceExternalIP(svc),
      servicePorts(svc) || '<none>',
      age(obj, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};

// ---- endpoints ----

/** formatEndpoints: up to three "ip:port" entries, then "+ N more...", "<none>" without subsets. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ss.ports ?? []) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

export const endpointsTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', 'core.v1.Endpoints.subsets'), AGE_COLUMN],
  row(obj, now) {
    return [nameOf(obj), formatEndpoints(obj as unknown as Endpoints), age(obj, now)];
  },
};

// ---- nodes ----

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(NODE_ROLE_PREFIX)) {
      const role = k.slice(NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === NODE_ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

export function nodeStatus(node: Node): string {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').pop();
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeAddress(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

export const nodeTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', { text: 'The status of the node' }),
    column('Roles', 'string', { text: 'The roles of the node' }),
    AGE_COLUMN,
    column('Version', 'string', 'core.v1.NodeSystemInfo.kubeletVersion'),
    column('Internal-IP', 'string', 'core.v1.NodeStatus.addresses', { priority: 1 }),
    column('External-IP', 'string', 'core.v1.NodeStatus.addresses', { priority: 1 }),
    column('OS-Image', 'string', 'core.v1.NodeSystemInfo.osImage', { priority: 1 }),
    column('Kernel-Version', 'string', 'core.v1.NodeSystemInfo.kernelVersion', { priority: 1 }),
    column('Container-Runtime', 'string', 'core.v1.NodeSystemInfo.containerRuntimeVersion', { priority: 1 }),
  ],
  row(obj, now) {
    const node = obj as unknown as Node;
    const info = node.status?.nodeInfo;
    const roles = nodeRoles(node).join(',');
    return [
      nameOf(obj),
      nodeStatus(node),
      roles || '<none>',
      age(obj, now),
      info?.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

// ---- namespaces, config maps, secrets, service accounts ----

export const namespaceTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Status', 'string', { text: 'The status of the namespace' }), AGE_COLUMN],
  row(obj, now) {
    return [nameOf(obj), (obj as unknown as Namespace).status?.phase ?? '', age(obj, now)];
  },
};

export const configMapTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Data', 'string', 'core.v1.ConfigMap.data'), AGE_COLUMN],
  row(obj, now) {
    const cm = obj as unknown as ConfigMap;
    return [nameOf(obj), Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(obj, now)];
  },
};

export const secretTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Type', 'string', 'core.v1.Secret.type'), column('Data', 'string', 'core.v1.Secret.data'), AGE_COLUMN],
  row(obj, now) {
    const secret = obj as unknown as Secret;
    return [nameOf(obj), secret.type ?? '', Object.keys(secret.data ?? {}).length, age(obj, now)];
  },
};

export const serviceAccountTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Secrets', 'string', 'core.v1.ServiceAccount.secrets'), AGE_COLUMN],
  row(obj, now) {
    return [nameOf(obj), ((obj as unknown as ServiceAccount).secrets ?? []).length, age(obj, now)];
  },
};

// ---- events (core/v1 and events.k8s.io/v1 shapes) ----

function eventTimeSince(value: unknown, now: Date): string {
  return ageSince(value, now);
}

function isZeroTime(value: unknown): boolean {
  const t = parseTimestamp(value);
  return t === undefined;
}

/** formatEventSource: "component, host", falling back to reportingController/reportingInstance. */
export function formatEventSource(component: string, host: string): string {
  return host ? `${component}, ${host}` : component;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export const eventTable: TableConvertor = {
  columns: [
    column('Last Seen', 'string', 'core.v1.Event.lastTimestamp'),
    column('Type', 'string', 'core.v1.Event.type'),
    column('Reason', 'string', 'core.v1.Event.reason'),
    column('Object', 'string', 'core.v1.Event.involvedObject'),
    column('Subobject', 'string', 'core.v1.ObjectReference.fieldPath', { priority: 1 }),
    column('Source', 'string', 'core.v1.Event.source', { priority: 1 }),
    column('Message', 'string', 'core.v1.Event.message'),
    column('First Seen', 'string', 'core.v1.Event.firstTimestamp', { priority: 1 }),
    column('Count', 'string', 'core.v1.Event.count', { priority: 1 }),
    column('Name', 'string', 'meta.v1.ObjectMeta.name', { priority: 1, format: 'name' }),
  ],
  row(obj, now) {
    // core/v1 field names first; events.k8s.io/v1 names (regarding, note, deprecated*) as fallbacks.
    const firstTs = field(obj, 'firstTimestamp') ?? field(obj, 'deprecatedFirstTimestamp');
    const lastTs = field(obj, 'lastTimestamp') ?? field(obj, 'deprecatedLastTimestamp');
    const firstSeen = isZeroTime(firstTs) ? eventTimeSince(field(obj, 'eventTime'), now) : eventTimeSince(firstTs, now);
    let lastSeen = isZeroTime(lastTs) ? firstSeen : eventTimeSince(lastTs, now);
    let count = Number(field(obj, 'count') ?? field(obj, 'deprecatedCount') ?? 0);
    const series = field(obj, 'series');
    if (series !== undefined && series !== null) {
      lastSeen = eventTimeSince(field(series, 'lastObservedTime'), now);
      count = Number(field(series, 'count') ?? 0);
    } else if (count === 0) {
      count = 1; // singleton events carry no count in the new API
    }
    const involved = field(obj, 'involvedObject') ?? field(obj, 'regarding');
    const kind = str(field(involved, 'kind')).toLowerCase();
    const involvedName = str(field(involved, 'name'));
    const target = involvedName ? `${kind}/${involvedName}` : kind;
    const source = field(obj, 'source') ?? field(obj, 'deprecatedSource');
    const component = str(field(source, 'component')) || str(field(obj, 'reportingComponent')) || str(field(obj, 'reportingController'));
    const host = str(field(source, 'host')) || str(field(obj, 'reportingInstance'));
    const message = str(field(obj, 'message') ?? field(obj, 'note')).trim();
    return [
      lastSeen,
      str(field(obj, 'type')),
      str(field(obj, 'reason')),
      target,
      str(field(involved, 'fieldPath')),
      formatEventSource(component, host),
      message,
      firstSeen,
      count,
      nameOf(obj),
    ];
  },
};

// ---- persistent volumes and claims ----

const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function storageClassOf(obj: KubeObject, specClass: string | undefined): string {
  const annotated = obj.metadata.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  return annotated !== undefined ? annotated : specClass ?? '';
}

export const persistentVolumeTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', 'core.v1.PersistentVolumeSpec.capacity'),
    column('Access Modes', 'string', 'core.v1.PersistentVolumeSpec.accessModes'),
    column('Reclaim Policy', 'string', 'core.v1.PersistentVolumeSpec.persistentVolumeReclaimPolicy'),
    column('Status', 'string', 'core.v1.PersistentVolumeStatus.phase'),
    column('Claim', 'string', 'core.v1.PersistentVolumeSpec.claimRef'),
    column('StorageClass', 'string', { text: 'StorageClass of the pv' }),
    column('VolumeAttributesClass', 'string', { text: 'VolumeAttributesClass of the pv' }),
    column('Reason', 'string', 'core.v1.PersistentVolumeStatus.reason'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'core.v1.PersistentVolumeSpec.volumeMode', { priority: 1 }),
  ],
  row(obj, now) {
    const pv = obj as unknown as PersistentVolume;
    const spec = pv.spec ?? {};
    const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
    const phase = obj.metadata.deletionTimestamp ? 'Terminating' : pv.status?.phase ?? '';
    const vac = field(spec, 'volumeAttributesClassName');
    return [
      nameOf(obj),
      quantity(spec.capacity?.storage),
      accessModesString(spec.accessModes),
      spec.persistentVolumeReclaimPolicy ?? '',
      phase,
      claim,
      storageClassOf(obj, spec.storageClassName),
      typeof vac === 'string' ? vac : '<unset>',
      pv.status?.reason ?? '',
      age(obj, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};

export const persistentVolumeClaimTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'core.v1.PersistentVolumeClaimStatus.phase'),
    column('Volume', 'string', 'core.v1.PersistentVolumeClaimSpec.volumeName'),
    column('Capacity', 'string', 'core.v1.PersistentVolumeClaimStatus.capacity'),
    column('Access Modes', 'string', 'core.v1.PersistentVolumeClaimStatus.accessModes'),
    column('StorageClass', 'string', { text: 'StorageClass of the pvc' }),
    column('VolumeAttributesClass', 'string', { text: 'VolumeAttributesClass of the pvc' }),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'core.v1.PersistentVolumeClaimSpec.volumeMode', { priority: 1 }),
  ],
  row(obj, now) {
    const pvc = obj as unknown as PersistentVolumeClaim;
    const spec = pvc.spec ?? {};
    const phase = obj.metadata.deletionTimestamp ? 'Terminating' : pvc.status?.phase ?? '';
    const bound = Boolean(spec.volumeName);
    const vac = field(spec, 'volumeAttributesClassName');
    return [
      nameOf(obj),
      phase,
      spec.volumeName ?? '',
      bound ? quantity(pvc.status?.capacity?.storage) : '',
      bound ? accessModesString(pvc.status?.accessModes) : '',
      storageClassOf(obj, spec.storageClassName),
      typeof vac === 'string' ? vac : '<unset>',
      age(obj, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};

// ---- resource quotas ----

export const resourceQuotaTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Request', 'string', { text: 'Request represents a minimum amount of cpu/memory that a container may consume.' }),
    column('Limit', 'string', {
      text: 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    }),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const rq = obj as unknown as ResourceQuota;
    const hard = rq.status?.hard ?? {};
    const used = rq.status?.used ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of Object.keys(hard).sort()) {
      const pieces = resource.split('.');
      const target = pieces.length > 1 && pieces[0] === 'limits' ? limits : requests;
      target.push(`${resource}: ${quantity(used[resource])}/${quantity(hard[resource])}`);
    }
    return [nameOf(obj), requests.join(', '), limits.join(', '), age(obj, now)];
  },
};

// ---- replication controllers and pod templates ----

export const replicationControllerTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'core.v1.ReplicationControllerSpec.replicas'),
    column('Current', 'integer', 'core.v1.ReplicationControllerStatus.replicas'),
    column('Ready', 'integer', 'core.v1.ReplicationControllerStatus.readyReplicas'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'core.v1.ReplicationControllerSpec.selector', { priority: 1 }),
  ],
  row(obj, now) {
    const rc = obj as unknown as ReplicationController;
    const [names, images] = layoutContainers(rc.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      rc.spec?.replicas ?? 0,
      rc.status?.replicas ?? 0,
      rc.status?.readyReplicas ?? 0,
      age(obj, now),
      names,
      images,
      formatLabels(rc.spec?.selector),
    ];
  },
};

export const podTemplateTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Containers', 'string', { text: 'Names of each container in the template.' }),
    column('Images', 'string', { text: 'Images referenced by each container in the template.' }),
    column('Pod Labels', 'string', { text: 'The labels for the pod template.' }),
  ],
  row(obj) {
    const pt = obj as unknown as PodTemplate;
    const [names, images] = layoutContainers(pt.template?.spec?.containers);
    return [nameOf(obj), names, images, formatLabels(pt.template?.metadata?.labels)];
  },
};
