// rbac.authorization.k8s.io/v1 kinds: Roles, RoleBindings, ClusterRoles, ClusterRoleBindings. Names are
// path segments (upstream ValidateRBACName); subjects and roleRef default their apiGroup as upstream.
// Authorization itself (and escalation checks) lives in src/apiserver/auth. Pure declarations.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType } from '../resource.js';
import { isPathSegmentName } from '../../util/names.js';
import { defineResource } from './define.js';
import { type Loose, deepEqual, invalidRendered, loose, oneOf, validateLabelSelector } from './validation.js';

/** Go's %#v of rbac.RoleRef, as upstream prints it. */
function goRoleRef(r: Loose): string {
  return `rbac.RoleRef{APIGroup:${JSON.stringify(r['apiGroup'] ?? '')}, Kind:${JSON.stringify(r['kind'] ?? '')}, Name:${JSON.stringify(r['name'] ?? '')}}`;
}

const G = 'rbac.authorization.k8s.io';
const V = 'v1';

function defaultSubjects(o: Loose): void {
  for (const s of (o['subjects'] as Loose[] | undefined) ?? []) {
    if (!s || typeof s !== 'object' || s['apiGroup']) continue;
    if (s['kind'] === 'User' || s['kind'] === 'Group') s['apiGroup'] = G;
    // ServiceAccount subjects default to the core group, which JSON (omitempty) leaves out entirely.
  }
  const ref = o['roleRef'] as Loose | undefined;
  if (ref && typeof ref === 'object' && !ref['apiGroup']) ref['apiGroup'] = G;
}

function validateRules(o: Loose, cluster: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  ((o['rules'] as Loose[] | undefined) ?? []).forEach((r, i) => {
    const f = `rules[${i}]`;
    if (!Array.isArray(r?.['verbs']) || r['verbs'].length === 0) out.push(cause.required(`${f}.verbs`, 'verbs must contain at least one value'));
    const urls = Array.isArray(r?.['nonResourceURLs']) && r['nonResourceURLs'].length > 0;
    if (urls) {
      if (!cluster) out.push(cause.invalid(`${f}.nonResourceURLs`, r['nonResourceURLs'], 'namespaced rules cannot apply to non-resource URLs'));
      if ((r['apiGroups'] ?? []).length > 0 || (r['resources'] ?? []).length > 0) {
        out.push(cause.invalid(f, '', 'rules cannot apply to both regular resources and non-resource URLs'));
      }
    } else {
      if (!Array.isArray(r?.['apiGroups']) || r['apiGroups'].length === 0) out.push(cause.required(`${f}.apiGroups`, 'resource rules must supply at least one api group'));
      if (!Array.isArray(r?.['resources']) || r['resources'].length === 0) out.push(cause.required(`${f}.resources`, 'resource rules must supply at least one resource'));
    }
  });
  return out;
}

function validateBinding(o: Loose, old: Loose | undefined, namespaced: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const ref = (o['roleRef'] ?? {}) as Loose;
  if (ref['apiGroup'] !== G) out.push(cause.notSupported('roleRef.apiGroup', ref['apiGroup'] ?? '', [G]));
  out.push(...oneOf(ref['kind'], 'roleRef.kind', namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'], true));
  if (!ref['name']) out.push(cause.required('roleRef.name'));
  else for (const m of isPathSegmentName(String(ref['name']))) out.push(cause.invalid('roleRef.name', ref['name'], m));
  ((o['subjects'] as Loose[] | undefined) ?? []).forEach((s, i) => {
    const f = `subjects[${i}]`;
    if (!s?.['name']) out.push(cause.required(`${f}.name`));
    out.push(...oneOf(s?.['kind'], `${f}.kind`, ['ServiceAccount', 'User', 'Group'], true));
    if (s?.['kind'] === 'ServiceAccount') {
      if (s['apiGroup']) out.push(cause.notSupported(`${f}.apiGroup`, s['apiGroup'], ['']));
      if (!namespaced && !s['namespace']) out.push(cause.required(`${f}.namespace`));
    } else if (s?.['kind'] === 'User' || s?.['kind'] === 'Group') {
      if (s['apiGroup'] !== G) out.push(cause.notSupported(`${f}.apiGroup`, s['apiGroup'] ?? '', [G]));
    }
  });
  if (old && !deepEqual(o['roleRef'], old['roleRef'])) {
    out.push(invalidRendered('roleRef', goRoleRef(ref), 'cannot change roleRef'));
  }
  return out;
}

const rbac = (validate: KindStrategy['validate'], defaults?: KindStrategy['defaults']): KindStrategy => {
  const s: KindStrategy = { nameRule: 'path-segment', statusSubresource: false, generation: false };
  if (validate) s.validate = validate;
  if (defaults) s.defaults = defaults;
  return s;
};

export const roleStrategy = rbac((obj) => validateRules(loose(obj), false));
export const clusterRoleStrategy = rbac((obj) => {
  const o = loose(obj);
  const out = validateRules(o, true);
  ((o['aggregationRule']?.['clusterRoleSelectors'] as Loose[] | undefined) ?? []).forEach((s, i) =>
    out.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)),
  );
  return out;
});
export const roleBindingStrategy = rbac(
  (obj, ctx) => validateBinding(loose(obj), ctx.old ? loose(ctx.old) : undefined, true),
  (obj) => defaultSubjects(loose(obj)),
);
export const clusterRoleBindingStrategy = rbac(
  (obj, ctx) => validateBinding(loose(obj), ctx.old ? loose(ctx.old) : undefined, false),
  (obj) => defaultSubjects(loose(obj)),
);

export function rbacResources(): ResourceType[] {
  return [
    defineResource({ group: G, version: V, resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, strategy: clusterRoleBindingStrategy }),
    defineResource({ group: G, version: V, resource: 'clusterroles', kind: 'ClusterRole', namespaced: false, strategy: clusterRoleStrategy }),
    defineResource({ group: G, version: V, resource: 'rolebindings', kind: 'RoleBinding', namespaced: true, strategy: roleBindingStrategy }),
    defineResource({ group: G, version: V, resource: 'roles', kind: 'Role', namespaced: true, strategy: roleStrategy }),
  ];
}
