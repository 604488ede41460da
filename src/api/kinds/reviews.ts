// Create-only review resources that are answered, never stored: authorization.k8s.io/v1
// (Self/Local)SubjectAccessReviews and SelfSubjectRulesReviews, authentication.k8s.io/v1 SelfSubjectReviews
// and TokenReviews. Only identity and request validation live here; the answers come from src/apiserver/auth.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType } from '../resource.js';
import { CREATE_ONLY, defineResource } from './define.js';
import { type Loose, loose } from './validation.js';

const AUTHZ = 'authorization.k8s.io';
const AUTHN = 'authentication.k8s.io';

function validateAttributes(spec: Loose, requireUser: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const ra = spec['resourceAttributes'];
  const nra = spec['nonResourceAttributes'];
  if (ra && nra) out.push(cause.invalid('spec.nonResourceAttributes', nra, 'cannot be specified in combination with resourceAttributes'));
  if (!ra && !nra) out.push(cause.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  if (requireUser && !spec['user'] && !(Array.isArray(spec['groups']) && spec['groups'].length > 0)) {
    out.push(cause.invalid('spec.user', spec['user'] ?? '', '`spec.user` or `spec.groups` must be specified'));
  }
  return out;
}

const review = (validate?: KindStrategy['validate']): KindStrategy => {
  const s: KindStrategy = { nameRule: 'dns1123-subdomain', statusSubresource: false, generation: false };
  if (validate) s.validate = validate;
  return s;
};

export const selfSubjectAccessReviewStrategy = review((obj) => validateAttributes((loose(obj)['spec'] ?? {}) as Loose, false));
export const subjectAccessReviewStrategy = review((obj) => validateAttributes((loose(obj)['spec'] ?? {}) as Loose, true));
export const localSubjectAccessReviewStrategy = review((obj) => {
  const o = loose(obj);
  const spec = (o['spec'] ?? {}) as Loose;
  const out = validateAttributes(spec, true);
  const ns = o['metadata']?.['namespace'];
  if (spec['resourceAttributes'] && spec['resourceAttributes']['namespace'] !== ns) {
    out.push(cause.invalid('spec.resourceAttributes.namespace', spec['resourceAttributes']['namespace'] ?? '', 'must match metadata.namespace'));
  }
  return out;
});
export const selfSubjectRulesReviewStrategy = review();
export const selfSubjectReviewStrategy = review();
export const tokenReviewStrategy = review((obj) => (loose(obj)['spec']?.['token'] ? [] : [cause.required('spec.token')]));

export function reviewResources(): ResourceType[] {
  const r = (group: string, resource: string, kind: string, namespaced: boolean, strategy: KindStrategy): ResourceType =>
    defineResource({ group, version: 'v1', resource, kind, namespaced, verbs: CREATE_ONLY, storagePrefix: '', strategy });
  return [
    r(AUTHN, 'selfsubjectreviews', 'SelfSubjectReview', false, selfSubjectReviewStrategy),
    r(AUTHN, 'tokenreviews', 'TokenReview', false, tokenReviewStrategy),
    r(AUTHZ, 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true, localSubjectAccessReviewStrategy),
    r(AUTHZ, 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, selfSubjectAccessReviewStrategy),
    r(AUTHZ, 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, selfSubjectRulesReviewStrategy),
    r(AUTHZ, 'subjectaccessreviews', 'SubjectAccessReview', false, subjectAccessReviewStrategy),
  ];
}
