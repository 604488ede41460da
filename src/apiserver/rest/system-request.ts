// RestRequests made by the server itself (bootstrap, CRD status, cleanup): the same REST path as clients,
// with a system identity and a field manager of our own.
import type { ResourceType } from '../../api/resource.js';
import type { UserInfo } from '../auth/authn.js';
import type { RequestVerb } from '../request-info.js';
import type { RestRequest } from './types.js';

export const systemUser: UserInfo = { username: 'system:apiserver', groups: ['system:masters', 'system:authenticated'] };

export function systemRequest(
  rt: ResourceType,
  verb: RequestVerb,
  opts: { namespace?: string; name?: string; subresource?: string; body?: unknown; query?: Record<string, string>; contentType?: string } = {},
): RestRequest {
  return {
    rt,
    info: {
      isResourceRequest: true,
      prefix: rt.group ? 'apis' : 'api',
      group: rt.group,
      version: rt.version,
      namespace: opts.namespace ?? '',
      resource: rt.resource,
      name: opts.name ?? '',
      subresource: opts.subresource ?? '',
      verb,
      rest: [],
    },
    query: new URLSearchParams({ fieldManager: 'skiff-apiserver', ...opts.query }),
    user: systemUser,
    body: opts.body,
    contentType: opts.contentType,
    userAgent: 'skiff-apiserver',
  };
}
