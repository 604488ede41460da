// Parses a request path and method into what it addresses (upstream's RequestInfoFactory): API prefix,
// group/version, namespace, resource, name, subresource and verb. Pure; it must not look at registered kinds.

export type RequestVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'connect';

export interface ResourceRequestInfo {
  isResourceRequest: true;
  /** "api" (core group) or "apis". */
  prefix: 'api' | 'apis';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  verb: RequestVerb;
  /** Path segments after the subresource (e.g. proxy paths). */
  rest: string[];
}

export interface NonResourceRequestInfo {
  isResourceRequest: false;
  path: string;
  verb: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const namespaceSubresources = new Set(['status', 'finalize']);

const methodVerbs: Record<string, RequestVerb | undefined> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * Request paths look like:
 *   /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}
 *   /apis/{group}/{version}/{resource}/{name}
 * Anything shorter than a group-version resource path is a non-resource request (discovery etc.).
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const nonResource: NonResourceRequestInfo = { isResourceRequest: false, path, verb: method.toLowerCase() };
  const parts = splitPath(path);
  if (parts.length === 0) return nonResource;
  const prefix = parts[0];
  let rest: string[];
  let group = '';
  let version: string;
  if (prefix === 'api') {
    if (parts.length < 3) return nonResource;
    version = parts[1];
    rest = parts.slice(2);
  } else if (prefix === 'apis') {
    if (parts.length < 4) return nonResource;
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return nonResource;
  }

  let verb: RequestVerb | undefined = methodVerbs[method.toUpperCase()];
  if (!verb) return nonResource;

  // Deprecated /watch/ prefix form.
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
  }

  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    // /namespaces/{ns}/{resource}... unless the third segment is a namespace subresource (status, finalize).
    if (rest.length > 2 && !namespaceSubresources.has(rest[2])) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }

  const info: ResourceRequestInfo = {
    isResourceRequest: true,
    prefix,
    group,
    version,
    namespace,
    resource: rest[0] ?? '',
    name: rest[1] ?? '',
    subresource: rest[2] ?? '',
    verb,
    rest: rest.slice(3),
  };

  if (!info.name) {
    if (verb === 'get') verb = isTrue(query.get('watch')) ? 'watch' : 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  } else if (verb === 'get' && isTrue(query.get('watch'))) {
    verb = 'watch';
  }
  info.verb = verb;
  return info;
}

export function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const p of path.split('/')) {
    if (!p) continue;
    try {
      out.push(decodeURIComponent(p));
    } catch {
      out.push(p);
    }
  }
  return out;
}
