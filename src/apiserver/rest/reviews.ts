// Create-only "review" resources that are answered, never stored: access reviews
// (authorization.k8s.io SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview,
// SelfSubjectRulesReview) asked of the authorizer, and authentication.k8s.io SelfSubjectReview.
import type { KubeObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { errors } from '../../api/errors.js';
import type { Authorizer } from '../auth/authz.js';
import type { UserInfo } from '../auth/authn.js';
import type { RestRequest, RestResponse } from './types.js';

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}
interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

export const reviewResources = new Set([
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authentication.k8s.io/selfsubjectreviews',
]);

export function isReview(group: string, resource: string): boolean {
  return reviewResources.has(`${group}/${resource}`);
}

export function review(req: RestRequest, authorizer: Authorizer): RestResponse {
  const { rt } = req;
  const body = (req.body ?? {}) as KubeObject & { spec?: Record<string, unknown> };
  if (typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest(`the body must be a ${rt.kind}`);
  const spec = (body.spec ?? {}) as Record<string, unknown>;
  const base = { apiVersion: apiVersionOf(rt.group, rt.version), kind: rt.kind, metadata: { creationTimestamp: null } };

  if (rt.resource === 'selfsubjectreviews') {
    return { status: 201, object: { ...base, status: { userInfo: userInfoOf(req.user) } } };
  }
  if (rt.resource === 'selfsubjectrulesreviews') {
    const ns = spec['namespace'];
    if (typeof ns !== 'string') throw errors.invalid(rt.group, rt.kind, '', [{ reason: 'FieldValueRequired', field: 'spec.namespace', message: 'Required value' }]);
    return {
      status: 201,
      object: {
        ...base,
        spec,
        status: {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      },
    };
  }

  const ra = spec['resourceAttributes'] as ResourceAttributes | undefined;
  const nra = spec['nonResourceAttributes'] as NonResourceAttributes | undefined;
  if (!ra && !nra) {
    throw errors.invalid(rt.group, rt.kind, '', [
      { reason: 'FieldValueRequired', field: 'spec.resourceAttributes', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' },
    ]);
  }
  let user: UserInfo = req.user;
  if (rt.resource === 'subjectaccessreviews' || rt.resource === 'localsubjectaccessreviews') {
    const u = spec['user'];
    const groups = spec['groups'];
    if (typeof u !== 'string' && !Array.isArray(groups)) {
      throw errors.invalid(rt.group, rt.kind, '', [{ reason: 'FieldValueRequired', field: 'spec.user', message: 'Required value: at least one of user or group must be specified' }]);
    }
    user = { username: typeof u === 'string' ? u : '', groups: Array.isArray(groups) ? (groups as string[]) : [] };
  }
  const decision = ra
    ? authorizer.authorize(user, {
        verb: ra.verb ?? '',
        apiGroup: ra.group ?? '',
        resource: ra.resource ?? '',
        subresource: ra.subresource || undefined,
        namespace: ra.namespace || undefined,
        name: ra.name || undefined,
      })
    : authorizer.authorize(user, { verb: nra?.verb ?? '', apiGroup: '', resource: '', path: nra?.path ?? '' });
  return {
    status: 201,
    object: { ...base, spec, status: { allowed: decision.allowed, reason: decision.reason } },
  };
}

function userInfoOf(u: UserInfo) {
  const out: Record<string, unknown> = { username: u.username, groups: u.groups };
  if (u.uid) out['uid'] = u.uid;
  return out;
}
