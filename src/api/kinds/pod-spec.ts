// PodSpec rules shared by Pods and every pod template (Deployments, ReplicaSets, StatefulSets,
// DaemonSets, Jobs, CronJobs): upstream's SetDefaults_PodSpec/Container/Probe/Volume… and the commonly hit
// parts of ValidatePodSpec, with upstream field paths and messages. Also the QoS class. Pure functions.
import { cause, type StatusCause } from '../errors.js';
import { isDns1123Label, isDns1123Subdomain, isEnvVarName, isValidPortName, isCIdentifier } from '../../util/names.js';
import type { Quantity } from '../../util/quantity.js';
import {
  type Loose,
  deepEqual,
  parsedQuantity,
  ensure,
  isInt,
  nonNegative,
  notFound,
  oneOf,
  setIfAbsent,
  validateAnnotationMap,
  validateLabelMap,
  validateResourceList,
  clone,
} from './validation.js';

// ---------------------------------------------------------------------------------------------------------
// Defaults

/** Image pull policy upstream derives from the tag: Always for `:latest` or no tag (and no digest). */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (!image) return 'Always';
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const hasDigest = at >= 0;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? ref.slice(colon + 1) : '';
  if (tag === 'latest') return 'Always';
  if (tag === '' && !hasDigest) return 'Always';
  return 'IfNotPresent';
}

function defaultProbe(p: Loose | undefined): void {
  if (!p || typeof p !== 'object') return;
  if (!p['timeoutSeconds']) p['timeoutSeconds'] = 1;
  if (!p['periodSeconds']) p['periodSeconds'] = 10;
  if (!p['successThreshold']) p['successThreshold'] = 1;
  if (!p['failureThreshold']) p['failureThreshold'] = 3;
  defaultHandler(p);
}

function defaultHandler(h: Loose | undefined): void {
  if (!h || typeof h !== 'object') return;
  const http = h['httpGet'] as Loose | undefined;
  if (http && typeof http === 'object') {
    setIfAbsent(http, 'path', '/');
    setIfAbsent(http, 'scheme', 'HTTP');
  }
  const grpc = h['grpc'] as Loose | undefined;
  if (grpc && typeof grpc === 'object' && grpc['service'] === undefined) grpc['service'] = '';
}

function defaultEnv(env: unknown): void {
  if (!Array.isArray(env)) return;
  for (const e of env as Loose[]) {
    const fr = e?.['valueFrom']?.['fieldRef'] as Loose | undefined;
    if (fr && typeof fr === 'object') setIfAbsent(fr, 'apiVersion', 'v1');
  }
}

/**
 * SetDefaults_Container (+ ports, probes, lifecycle handlers, env). `isPod` adds what upstream's
 * SetDefaults_Pod does on Pods only (requests copied from limits, hostNetwork host ports), not on templates.
 */
export function defaultContainer(c: Loose, isPod = false, hostNetwork = false): void {
  if (!c || typeof c !== 'object') return;
  setIfAbsent(c, 'imagePullPolicy', defaultImagePullPolicy(typeof c['image'] === 'string' ? c['image'] : ''));
  setIfAbsent(c, 'terminationMessagePath', '/dev/termination-log');
  setIfAbsent(c, 'terminationMessagePolicy', 'File');
  if (Array.isArray(c['ports'])) {
    for (const p of c['ports'] as Loose[]) {
      if (!p || typeof p !== 'object') continue;
      setIfAbsent(p, 'protocol', 'TCP');
      if (isPod && hostNetwork && !p['hostPort'] && p['containerPort']) p['hostPort'] = p['containerPort'];
    }
  }
  defaultProbe(c['livenessProbe']);
  defaultProbe(c['readinessProbe']);
  defaultProbe(c['startupProbe']);
  const lc = c['lifecycle'] as Loose | undefined;
  if (lc && typeof lc === 'object') {
    defaultHandler(lc['postStart']);
    defaultHandler(lc['preStop']);
  }
  defaultEnv(c['env']);
  const res = c['resources'] as Loose | undefined;
  if (isPod && res && typeof res === 'object' && res['limits'] && typeof res['limits'] === 'object') {
    const limits = res['limits'] as Record<string, unknown>;
    if (Object.keys(limits).length > 0) {
      const req = ensure(res, 'requests');
      for (const [k, v] of Object.entries(limits)) if (req[k] === undefined) req[k] = v;
    }
  }
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];

function defaultVolume(v: Loose): void {
  if (!v || typeof v !== 'object') return;
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v['emptyDir'] = {};
  for (const key of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = v[key] as Loose | undefined;
    if (src && typeof src === 'object' && src['defaultMode'] === undefined) src['defaultMode'] = 420;
  }
  const da = v['downwardAPI'] as Loose | undefined;
  for (const item of (da?.['items'] as Loose[] | undefined) ?? []) {
    if (item?.['fieldRef']) setIfAbsent(item['fieldRef'], 'apiVersion', 'v1');
  }
  const proj = v['projected'] as Loose | undefined;
  for (const s of (proj?.['sources'] as Loose[] | undefined) ?? []) {
    const sat = s?.['serviceAccountToken'] as Loose | undefined;
    if (sat && sat['expirationSeconds'] === undefined) sat['expirationSeconds'] = 3600;
    for (const item of (s?.['downwardAPI']?.['items'] as Loose[] | undefined) ?? []) {
      if (item?.['fieldRef']) setIfAbsent(item['fieldRef'], 'apiVersion', 'v1');
    }
  }
  const hp = v['hostPath'] as Loose | undefined;
  if (hp && typeof hp === 'object' && hp['type'] === undefined) hp['type'] = '';
  const pvcTpl = v['ephemeral']?.['volumeClaimTemplate']?.['spec'] as Loose | undefined;
  if (pvcTpl && typeof pvcTpl === 'object') setIfAbsent(pvcTpl, 'volumeMode', 'Filesystem');
}

/** SetDefaults_PodSpec and everything nested in it (plus SetDefaults_Pod's part when `isPod`). Idempotent. */
export function defaultPodSpec(spec: Loose | undefined, isPod = false): void {
  if (!spec || typeof spec !== 'object') return;
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'securityContext', {});
  if (spec['terminationGracePeriodSeconds'] === undefined || spec['terminationGracePeriodSeconds'] === null) {
    spec['terminationGracePeriodSeconds'] = 30;
  }
  setIfAbsent(spec, 'schedulerName', 'default-scheduler');
  if (isPod && (spec['enableServiceLinks'] === undefined || spec['enableServiceLinks'] === null)) spec['enableServiceLinks'] = true;
  const hostNetwork = spec['hostNetwork'] === true;
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    if (!Array.isArray(spec[list])) continue;
    for (const c of spec[list] as Loose[]) defaultContainer(c, isPod && list !== 'ephemeralContainers', hostNetwork);
  }
  if (Array.isArray(spec['volumes'])) for (const v of spec['volumes'] as Loose[]) defaultVolume(v);
  // serviceAccount is the deprecated alias of serviceAccountName; upstream keeps both in step.
  if (spec['serviceAccountName'] && !spec['serviceAccount']) spec['serviceAccount'] = spec['serviceAccountName'];
  else if (spec['serviceAccount'] && !spec['serviceAccountName']) spec['serviceAccountName'] = spec['serviceAccount'];
}

/** Pod template inside a workload: defaults for the spec (the template's metadata has none). */
export function defaultPodTemplate(tpl: Loose | undefined): void {
  if (!tpl || typeof tpl !== 'object') return;
  defaultPodSpec(tpl['spec']);
}

/** PersistentVolumeClaim spec defaults (also used for StatefulSet volumeClaimTemplates). */
export function defaultPvcSpec(spec: Loose | undefined): void {
  if (!spec || typeof spec !== 'object') return;
  setIfAbsent(spec, 'volumeMode', 'Filesystem');
}

// ---------------------------------------------------------------------------------------------------------
// QoS

/** The sums the QoS class is decided on: positive cpu and memory requests and limits of all containers. */
interface QosSums {
  cpuRequest?: Quantity;
  memoryRequest?: Quantity;
  cpuLimit?: Quantity;
  memoryLimit?: Quantity;
  /** Every container limits both cpu and memory. */
  allLimited: boolean;
}

/** A positive quantity of `list[name]` (an own member), else undefined. */
function positiveQuantity(list: Loose, name: string): Quantity | undefined {
  if (!Object.prototype.hasOwnProperty.call(list, name)) return undefined;
  const q = parsedQuantity(list[name]);
  return q && q.sign() > 0 ? q : undefined;
}

const plus = (sum: Quantity | undefined, q: Quantity | undefined): Quantity | undefined => (q === undefined ? sum : sum === undefined ? q : sum.add(q));

/** Adds the containers' requests and limits to the sums (anything but a list holds none). */
function addQosResources(containers: unknown, sums: QosSums): void {
  if (!Array.isArray(containers)) return;
  for (const c of containers as Loose[]) {
    const res = (c?.['resources'] ?? {}) as Loose;
    const reqs = (res['requests'] ?? {}) as Loose;
    const lims = (res['limits'] ?? {}) as Loose;
    sums.cpuRequest = plus(sums.cpuRequest, positiveQuantity(reqs, 'cpu'));
    sums.memoryRequest = plus(sums.memoryRequest, positiveQuantity(reqs, 'memory'));
    const cpuLimit = positiveQuantity(lims, 'cpu');
    const memoryLimit = positiveQuantity(lims, 'memory');
    sums.cpuLimit = plus(sums.cpuLimit, cpuLimit);
    sums.memoryLimit = plus(sums.memoryLimit, memoryLimit);
    if (cpuLimit === undefined || memoryLimit === undefined) sums.allLimited = false;
  }
}

/** Whether a request is matched by an equal limit; no request needs no limit. */
const limitMatches = (request: Quantity | undefined, limit: Quantity | undefined): boolean => request === undefined || (limit !== undefined && limit.cmp(request) === 0);

/** Upstream qos.GetPodQOS: Guaranteed, Burstable or BestEffort from cpu/memory requests and limits. */
export function podQosClass(spec: Loose | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const sums: QosSums = { allLimited: true };
  addQosResources(spec?.['containers'], sums);
  addQosResources(spec?.['initContainers'], sums);
  const { cpuRequest, memoryRequest, cpuLimit, memoryLimit } = sums;
  if (cpuRequest === undefined && memoryRequest === undefined && cpuLimit === undefined && memoryLimit === undefined) return 'BestEffort';
  // Guaranteed: every container limits both, each request equals its limit, and as many requests as limits.
  const requests = (cpuRequest ? 1 : 0) + (memoryRequest ? 1 : 0);
  const limits = (cpuLimit ? 1 : 0) + (memoryLimit ? 1 : 0);
  return sums.allLimited && limitMatches(cpuRequest, cpuLimit) && limitMatches(memoryRequest, memoryLimit) && requests === limits ? 'Guaranteed' : 'Burstable';
}

// ---------------------------------------------------------------------------------------------------------
// Validation

export interface PodSpecValidationOptions {
  /** Workload templates restrict restartPolicy (Deployments: Always; Jobs: OnFailure/Never). */
  allowedRestartPolicies?: string[];
  /** Volume names the workload adds to each pod (StatefulSet volumeClaimTemplates), valid in volumeMounts. */
  extraVolumes?: string[];
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

function validateProbe(p: Loose | undefined, f: string): StatusCause[] {
  if (!p || typeof p !== 'object') return [];
  const out: StatusCause[] = [];
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    out.push(...nonNegative(p[k], `${f}.${k}`));
  }
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => p[h] !== undefined && p[h] !== null);
  if (handlers.length === 0) out.push(cause.required(f, 'must specify a handler type'));
  else if (handlers.length > 1) out.push(cause.forbidden(`${f}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  const port = p['httpGet']?.['port'] ?? p['tcpSocket']?.['port'];
  const portField = p['httpGet'] ? `${f}.httpGet.port` : `${f}.tcpSocket.port`;
  if (port !== undefined) out.push(...validatePortNumOrName(port, portField));
  return out;
}

function validatePortNumOrName(port: unknown, f: string): StatusCause[] {
  if (typeof port === 'number') {
    return port >= 1 && port <= 65535 && Number.isInteger(port) ? [] : [cause.invalid(f, port, 'must be between 1 and 65535, inclusive')];
  }
  if (typeof port === 'string') {
    if (port === '') return [cause.required(f)];
    return isValidPortName(port).map((m) => cause.invalid(f, port, m));
  }
  return [cause.typeInvalid(f, port, 'must be an integer or a string')];
}

function validateContainer(c: Loose, f: string, volumes: Set<string>, names: Set<string>, isEphemeral: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  if (!c || typeof c !== 'object') return [cause.typeInvalid(f, c, 'must be an object')];
  const name = c['name'];
  if (!name) out.push(cause.required(`${f}.name`));
  else if (typeof name === 'string') {
    for (const m of isDns1123Label(name)) out.push(cause.invalid(`${f}.name`, name, m));
    if (names.has(name)) out.push(cause.duplicate(`${f}.name`, name));
    names.add(name);
  }
  if (!c['image'] || (typeof c['image'] === 'string' && c['image'].trim() === '')) out.push(cause.required(`${f}.image`));
  out.push(...oneOf(c['imagePullPolicy'], `${f}.imagePullPolicy`, PULL_POLICIES));
  out.push(...oneOf(c['terminationMessagePolicy'], `${f}.terminationMessagePolicy`, ['File', 'FallbackToLogsOnError']));
  // Made for a container that has ports (or mounts) only.
  let portNames: Set<string> | undefined;
  ((c['ports'] as Loose[] | undefined) ?? []).forEach((p, i) => {
    const pf = `${f}.ports[${i}]`;
    if (!p || typeof p !== 'object') return;
    if (p['name'] !== undefined && p['name'] !== '') {
      for (const m of isValidPortName(String(p['name']))) out.push(cause.invalid(`${pf}.name`, p['name'], m));
      portNames ??= new Set<string>();
      if (portNames.has(p['name'])) out.push(cause.duplicate(`${pf}.name`, p['name']));
      portNames.add(p['name']);
    }
    if (p['containerPort'] === undefined || p['containerPort'] === 0) {
      out.push(cause.required(`${pf}.containerPort`));
    } else if (!isInt(p['containerPort']) || p['containerPort'] < 1 || p['containerPort'] > 65535) {
      out.push(cause.invalid(`${pf}.containerPort`, p['containerPort'], 'must be between 1 and 65535, inclusive'));
    }
    if (p['hostPort'] !== undefined && p['hostPort'] !== 0 && (!isInt(p['hostPort']) || p['hostPort'] < 1 || p['hostPort'] > 65535)) {
      out.push(cause.invalid(`${pf}.hostPort`, p['hostPort'], 'must be between 1 and 65535, inclusive'));
    }
    out.push(...oneOf(p['protocol'], `${pf}.protocol`, PROTOCOLS, true));
  });
  ((c['env'] as Loose[] | undefined) ?? []).forEach((e, i) => {
    const ef = `${f}.env[${i}]`;
    if (!e || typeof e !== 'object') return;
    if (!e['name']) out.push(cause.required(`${ef}.name`));
    else for (const m of isEnvVarName(String(e['name']))) out.push(cause.invalid(`${ef}.name`, e['name'], m));
    const vf = e['valueFrom'] as Loose | undefined;
    if (vf && typeof vf === 'object') {
      const n = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => vf[k] !== undefined && vf[k] !== null).length;
      if (n === 0) out.push(cause.invalid(`${ef}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (n > 1) out.push(cause.invalid(`${ef}.valueFrom`, '', 'may not have more than one field specified at a time'));
      if (e['value'] !== undefined && e['value'] !== '') {
        out.push(cause.invalid(`${ef}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      }
    }
  });
  ((c['envFrom'] as Loose[] | undefined) ?? []).forEach((e, i) => {
    if (e?.['prefix']) for (const m of isCIdentifier(String(e['prefix']))) out.push(cause.invalid(`${f}.envFrom[${i}].prefix`, e['prefix'], m));
  });
  let mountPaths: Set<string> | undefined;
  ((c['volumeMounts'] as Loose[] | undefined) ?? []).forEach((m, i) => {
    const mf = `${f}.volumeMounts[${i}]`;
    if (!m || typeof m !== 'object') return;
    if (!m['name']) out.push(cause.required(`${mf}.name`));
    else if (!volumes.has(m['name'])) out.push(notFound(`${mf}.name`, m['name']));
    if (!m['mountPath']) out.push(cause.required(`${mf}.mountPath`));
    else {
      mountPaths ??= new Set<string>();
      if (mountPaths.has(m['mountPath'])) out.push(cause.invalid(`${mf}.mountPath`, m['mountPath'], 'must be unique'));
      mountPaths.add(m['mountPath']);
    }
  });
  if (!isEphemeral) {
    out.push(...validateProbe(c['livenessProbe'], `${f}.livenessProbe`));
    out.push(...validateProbe(c['readinessProbe'], `${f}.readinessProbe`));
    out.push(...validateProbe(c['startupProbe'], `${f}.startupProbe`));
    const live = c['livenessProbe'] as Loose | undefined;
    if (live && live['successThreshold'] !== undefined && live['successThreshold'] !== 1) {
      out.push(cause.invalid(`${f}.livenessProbe.successThreshold`, live['successThreshold'], 'must be 1'));
    }
    const startup = c['startupProbe'] as Loose | undefined;
    if (startup && startup['successThreshold'] !== undefined && startup['successThreshold'] !== 1) {
      out.push(cause.invalid(`${f}.startupProbe.successThreshold`, startup['successThreshold'], 'must be 1'));
    }
  }
  const res = c['resources'] as Loose | undefined;
  if (res && typeof res === 'object') {
    out.push(...validateResourceList(res['limits'], `${f}.resources.limits`));
    out.push(...validateResourceList(res['requests'], `${f}.resources.requests`));
    const lim = (res['limits'] ?? {}) as Record<string, unknown>;
    const req = (res['requests'] ?? {}) as Record<string, unknown>;
    for (const [k, rv] of Object.entries(req)) {
      if (lim[k] === undefined) continue;
      const rq = parsedQuantity(rv);
      const lq = parsedQuantity(lim[k]);
      if (rq && lq && rq.cmp(lq) > 0) {
        out.push(cause.invalid(`${f}.resources.requests`, String(rv), `must be less than or equal to ${k} limit of ${String(lim[k])}`));
      }
    }
  }
  return out;
}

function validateVolumes(vols: unknown, f: string): { causes: StatusCause[]; names: Set<string> } {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  if (vols === undefined || vols === null) return { causes: out, names };
  if (!Array.isArray(vols)) return { causes: [cause.typeInvalid(f, vols, 'must be an array')], names };
  (vols as Loose[]).forEach((v, i) => {
    const vf = `${f}[${i}]`;
    if (!v || typeof v !== 'object') return;
    const name = v['name'];
    if (!name) out.push(cause.required(`${vf}.name`));
    else {
      for (const m of isDns1123Label(String(name))) out.push(cause.invalid(`${vf}.name`, name, m));
      if (names.has(name)) out.push(cause.duplicate(`${vf}.name`, name));
      names.add(name);
    }
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) out.push(cause.required(vf, 'must specify a volume type'));
    else if (sources.length > 1) out.push(cause.forbidden(`${vf}.${sources[1]}`, 'may not specify more than 1 volume type'));
    const pvc = v['persistentVolumeClaim'] as Loose | undefined;
    if (pvc && !pvc['claimName']) out.push(cause.required(`${vf}.persistentVolumeClaim.claimName`));
    const cm = v['configMap'] as Loose | undefined;
    if (cm && typeof cm === 'object' && cm['defaultMode'] !== undefined && (!isInt(cm['defaultMode']) || cm['defaultMode'] < 0 || cm['defaultMode'] > 0o777)) {
      out.push(cause.invalid(`${vf}.configMap.defaultMode`, cm['defaultMode'], 'must be a number between 0 and 0777 (octal), both inclusive'));
    }
    const sec = v['secret'] as Loose | undefined;
    if (sec && typeof sec === 'object' && sec['defaultMode'] !== undefined && (!isInt(sec['defaultMode']) || sec['defaultMode'] < 0 || sec['defaultMode'] > 0o777)) {
      out.push(cause.invalid(`${vf}.secret.defaultMode`, sec['defaultMode'], 'must be a number between 0 and 0777 (octal), both inclusive'));
    }
    const hp = v['hostPath'] as Loose | undefined;
    if (hp && typeof hp === 'object' && !hp['path']) out.push(cause.required(`${vf}.hostPath.path`));
  });
  return { causes: out, names };
}

/** ValidatePodSpec (the frequently hit parts); `f` is the spec's field path ("spec", "spec.template.spec"). */
export function validatePodSpec(spec: Loose | undefined, f: string, opts: PodSpecValidationOptions = {}): StatusCause[] {
  if (!spec || typeof spec !== 'object') return [cause.required(f)];
  const out: StatusCause[] = [];
  const { causes: volCauses, names: volumes } = validateVolumes(spec['volumes'], `${f}.volumes`);
  for (const v of opts.extraVolumes ?? []) volumes.add(v);
  out.push(...volCauses);
  const names = new Set<string>();
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) out.push(cause.required(`${f}.containers`));
  else (containers as Loose[]).forEach((c, i) => out.push(...validateContainer(c, `${f}.containers[${i}]`, volumes, names, false)));
  ((spec['initContainers'] as Loose[] | undefined) ?? []).forEach((c, i) =>
    out.push(...validateContainer(c, `${f}.initContainers[${i}]`, volumes, names, false)),
  );
  ((spec['ephemeralContainers'] as Loose[] | undefined) ?? []).forEach((c, i) =>
    out.push(...validateContainer(c, `${f}.ephemeralContainers[${i}]`, volumes, names, true)),
  );
  const rp = spec['restartPolicy'];
  if (opts.allowedRestartPolicies) out.push(...oneOf(rp, `${f}.restartPolicy`, opts.allowedRestartPolicies, true));
  else out.push(...oneOf(rp, `${f}.restartPolicy`, RESTART_POLICIES, true));
  out.push(...oneOf(spec['dnsPolicy'], `${f}.dnsPolicy`, DNS_POLICIES, true));
  if (spec['dnsPolicy'] === 'None' && !spec['dnsConfig']) {
    out.push(cause.required(`${f}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  out.push(...validateLabelMap(spec['nodeSelector'], `${f}.nodeSelector`));
  if (spec['activeDeadlineSeconds'] !== undefined && spec['activeDeadlineSeconds'] !== null) {
    const v = spec['activeDeadlineSeconds'];
    if (!isInt(v) || v < 1) out.push(cause.invalid(`${f}.activeDeadlineSeconds`, v, 'must be between 1 and 2147483647, inclusive'));
  }
  for (const key of ['serviceAccountName', 'nodeName', 'priorityClassName', 'hostname', 'subdomain']) {
    const v = spec[key];
    if (typeof v !== 'string' || v === '') continue;
    const errs = key === 'hostname' || key === 'subdomain' ? isDns1123Label(v) : isDns1123Subdomain(v);
    for (const m of errs) out.push(cause.invalid(`${f}.${key}`, v, m));
  }
  ((spec['tolerations'] as Loose[] | undefined) ?? []).forEach((t, i) => {
    const tf = `${f}.tolerations[${i}]`;
    if (!t || typeof t !== 'object') return;
    out.push(...oneOf(t['operator'], `${tf}.operator`, ['Equal', 'Exists']));
    if (t['operator'] === 'Exists' && t['value']) out.push(cause.invalid(`${tf}.operator`, t['operator'], 'value must be empty when `operator` is \'Exists\''));
    if (!t['key'] && t['operator'] !== 'Exists') out.push(cause.invalid(`${tf}.operator`, t['operator'] ?? '', "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    out.push(...oneOf(t['effect'], `${tf}.effect`, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    if (t['tolerationSeconds'] !== undefined && t['tolerationSeconds'] !== null && t['effect'] !== 'NoExecute') {
      out.push(cause.invalid(`${tf}.effect`, t['effect'] ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });
  return out;
}

/** Template = metadata (labels/annotations) + spec. */
export function validatePodTemplate(tpl: Loose | undefined, f: string, opts: PodSpecValidationOptions = {}): StatusCause[] {
  if (!tpl || typeof tpl !== 'object') return [cause.required(f)];
  const out: StatusCause[] = [];
  const md = (tpl['metadata'] ?? {}) as Loose;
  out.push(...validateLabelMap(md['labels'], `${f}.metadata.labels`));
  out.push(...validateAnnotationMap(md['annotations'], `${f}.metadata.annotations`));
  out.push(...validatePodSpec(tpl['spec'], `${f}.spec`, opts));
  return out;
}

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** ValidatePodUpdate's spec rule: only images, activeDeadlineSeconds, added tolerations and removed scheduling gates may change. */
export function validatePodSpecUpdate(spec: Loose, old: Loose): StatusCause[] {
  // Status writes and most updates leave the spec as it was: nothing to check, and nothing to copy.
  if (deepEqual(spec, old)) return [];
  const out: StatusCause[] = [];
  const a = clone(spec) ?? {};
  const b = clone(old) ?? {};
  for (const list of ['containers', 'initContainers']) {
    const na = a[list] as Loose[] | undefined;
    const nb = b[list] as Loose[] | undefined;
    if (Array.isArray(na) && Array.isArray(nb) && na.length === nb.length) {
      na.forEach((c, i) => {
        if (c && nb[i]) nb[i]!['image'] = c['image'];
      });
    }
  }
  const oldDeadline = b['activeDeadlineSeconds'];
  const newDeadline = a['activeDeadlineSeconds'];
  if (newDeadline !== undefined && newDeadline !== null) {
    if (oldDeadline === undefined || oldDeadline === null || newDeadline <= oldDeadline) b['activeDeadlineSeconds'] = newDeadline;
  }
  const oldTol = (b['tolerations'] as unknown[] | undefined) ?? [];
  const newTol = (a['tolerations'] as unknown[] | undefined) ?? [];
  if (oldTol.every((t) => newTol.some((n) => deepEqual(n, t)))) b['tolerations'] = a['tolerations'];
  const oldGates = (b['schedulingGates'] as unknown[] | undefined) ?? [];
  const newGates = (a['schedulingGates'] as unknown[] | undefined) ?? [];
  if (newGates.every((g) => oldGates.some((o) => deepEqual(o, g)))) b['schedulingGates'] = a['schedulingGates'];
  if (typeof b['terminationGracePeriodSeconds'] === 'number' && b['terminationGracePeriodSeconds'] < 0 && a['terminationGracePeriodSeconds'] === 1) {
    b['terminationGracePeriodSeconds'] = 1;
  }
  // Binding and ephemeral containers change these through their own subresources.
  if (!b['nodeName'] && a['nodeName']) b['nodeName'] = a['nodeName'];
  b['ephemeralContainers'] = a['ephemeralContainers'];
  if (!deepEqual(a, b)) out.push(cause.forbidden('spec', POD_UPDATE_FORBIDDEN));
  return out;
}
