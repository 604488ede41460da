// ResourceQuota validation as upstream's ValidateResourceQuota / ValidateResourceQuotaUpdate
// (pkg/apis/core/validation): quota resource names, integer-only resources, scopes and their resources,
// conflicting scope pairs, scope selector operators and values, immutable scopes. Messages and field paths
// are upstream's; values that upstream prints with Go's %#v are rendered the same way. Pure.
import { cause, type StatusCause } from '../errors.js';
import type { KubeObject } from '../types.js';
import { isQualifiedName } from '../../util/names.js';
import { tryParseQuantity } from '../../util/quantity.js';
import { type Loose, IMMUTABLE, invalidRendered, loose, validateResourceList } from './validation.js';

const standardScopes = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity']);

/** Scopes that only take the Exists operator in a scope selector. */
const existsOnlyScopes = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'CrossNamespacePodAffinity']);

const conflictingPairs: Array<[string, string]> = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];

const standardQuotaResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services', 'replicationcontrollers',
  'secrets', 'persistentvolumeclaims', 'configmaps', 'services.nodeports', 'services.loadbalancers',
]);

const integerResources = new Set(['pods', 'resourcequotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);

const podCountResources = new Set(['pods']);
const podComputeResources = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

/** Upstream's IsStandardQuotaResourceName (hugepages included). */
export function isStandardQuotaResourceName(name: string): boolean {
  return standardQuotaResources.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');
}

/** Upstream's IsResourceQuotaScopeValidForResource: which hard resources a scope can constrain. */
export function isScopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return podCountResources.has(resource) || podComputeResources.has(resource);
    case 'BestEffort':
      return podCountResources.has(resource);
    default:
      return true;
  }
}

/** Go's %#v of a []string-like slice: `[]core.ResourceQuotaScope{"A", "B"}`, `[]string(nil)` when absent. */
function goSlice(type: string, v: unknown): string {
  if (!Array.isArray(v)) return `[]${type}(nil)`;
  return `[]${type}{${v.map((s) => JSON.stringify(String(s))).join(', ')}}`;
}

function goScopeSelector(sel: Loose): string {
  const exprs = Array.isArray(sel['matchExpressions'])
    ? `[]core.ScopedResourceSelectorRequirement{${(sel['matchExpressions'] as Loose[])
        .map((r) => `core.ScopedResourceSelectorRequirement{ScopeName:${JSON.stringify(String(r?.['scopeName'] ?? ''))}, Operator:${JSON.stringify(String(r?.['operator'] ?? ''))}, Values:${goSlice('string', r?.['values'])}}`)
        .join(', ')}}`
    : '[]core.ScopedResourceSelectorRequirement(nil)';
  return `&core.ScopeSelector{MatchExpressions:${exprs}}`;
}

function hardNames(spec: Loose): string[] {
  const hard = spec['hard'];
  return hard && typeof hard === 'object' && !Array.isArray(hard) ? Object.keys(hard).sort() : [];
}

/** Upstream's ValidateResourceQuotaResourceName plus the integer check of ValidateResourceQuantityValue. */
function validateHard(list: unknown, field: string): StatusCause[] {
  const out = validateResourceList(list, field);
  if (!list || typeof list !== 'object' || Array.isArray(list)) return out;
  for (const [k, v] of Object.entries(list as Record<string, unknown>)) {
    const f = `${field}[${k}]`;
    const nameErrs = isQualifiedName(k);
    if (nameErrs.length) {
      for (const m of nameErrs) out.push(cause.invalid(f, k, m));
      continue;
    }
    if (!k.includes('/') && !isStandardQuotaResourceName(k)) {
      out.push(cause.invalid(f, k, 'must be a standard resource for quota'));
      continue;
    }
    const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
    if (q && integerResources.has(k) && q.milliValue() % 1000 !== 0) out.push(invalidRendered(f, q.toString(), 'must be an integer'));
  }
  return out;
}

function conflicts(scopes: Set<string>): number {
  return conflictingPairs.filter(([a, b]) => scopes.has(a) && scopes.has(b)).length;
}

function validateScopes(spec: Loose): StatusCause[] {
  const scopes = spec['scopes'];
  if (!Array.isArray(scopes) || scopes.length === 0) return [];
  const out: StatusCause[] = [];
  const rendered = goSlice('core.ResourceQuotaScope', scopes);
  const hard = hardNames(spec);
  const seen = new Set<string>();
  for (const s of scopes.map(String)) {
    if (!standardScopes.has(s)) out.push(invalidRendered('spec.scopes', rendered, 'unsupported scope'));
    for (const k of hard) {
      if (isStandardQuotaResourceName(k) && !isScopeValidForResource(s, k)) out.push(invalidRendered('spec.scopes', rendered, 'unsupported scope applied to resource'));
    }
    seen.add(s);
  }
  for (let i = conflicts(seen); i > 0; i--) out.push(invalidRendered('spec.scopes', rendered, 'conflicting scopes'));
  return out;
}

function validateScopeSelector(spec: Loose): StatusCause[] {
  const sel = spec['scopeSelector'] as Loose | undefined | null;
  if (!sel) return [];
  const out: StatusCause[] = [];
  const f = 'spec.scopeSelector.matchExpressions';
  const hard = hardNames(spec);
  const seen = new Set<string>();
  for (const req of (Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'] : []) as Loose[]) {
    const scope = String(req?.['scopeName'] ?? '');
    const op = String(req?.['operator'] ?? '');
    const values = Array.isArray(req?.['values']) ? (req['values'] as unknown[]) : [];
    if (!standardScopes.has(scope)) out.push(cause.invalid(`${f}.scopeName`, scope, 'unsupported scope'));
    for (const k of hard) {
      if (isStandardQuotaResourceName(k) && !isScopeValidForResource(scope, k)) out.push(invalidRendered(f, goScopeSelector(sel), 'unsupported scope applied to resource'));
    }
    if (existsOnlyScopes.has(scope) && op !== 'Exists') {
      out.push(
        cause.invalid(
          `${f}.operator`,
          op,
          "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) out.push(cause.required(`${f}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length !== 0) out.push(invalidRendered(`${f}.values`, goSlice('string', values), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    } else {
      out.push(cause.invalid(`${f}.operator`, op, 'not a valid selector operator'));
    }
    seen.add(scope);
  }
  const rendered = goSlice('core.ResourceQuotaScope', spec['scopes']);
  for (let i = conflicts(seen); i > 0; i--) out.push(invalidRendered(f, rendered, 'conflicting scopes'));
  return out;
}

/** ValidateResourceQuota (spec and status), and on update ValidateResourceQuotaUpdate's immutable scopes. */
export function validateResourceQuota(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const o = loose(obj);
  const spec = (o['spec'] ?? {}) as Loose;
  const out = [...validateHard(spec['hard'], 'spec.hard'), ...validateScopes(spec), ...validateScopeSelector(spec)];
  const status = (o['status'] ?? {}) as Loose;
  out.push(...validateHard(status['hard'], 'status.hard'), ...validateHard(status['used'], 'status.used'));
  if (old) {
    const scopeSet = (s: unknown) => [...new Set(Array.isArray(s) ? s.map(String) : [])].sort().join('\n');
    if (scopeSet(spec['scopes']) !== scopeSet(loose(old)['spec']?.['scopes'])) out.push(invalidRendered('spec.scopes', goSlice('core.ResourceQuotaScope', spec['scopes']), IMMUTABLE));
  }
  return out;
}
