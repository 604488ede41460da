// Parses a request path and method into what it addresses (upstream's RequestInfoFactory): API prefix,
// group/version, namespace, resource, name, subresource and verb; and a request target into its path and
// query without a URL object for the usual shapes. Pure; it must not look at registered kinds.
import { errors } from '../api/errors.js';

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
  const parts = splitPath(path);
  const prefix = parts[0];
  let group = '';
  let version: string;
  // Index of the first segment after the group-version.
  let at: number;
  if (prefix === 'api') {
    if (parts.length < 3) return nonResourceInfo(method, path);
    version = parts[1]!;
    at = 2;
  } else if (prefix === 'apis') {
    if (parts.length < 4) return nonResourceInfo(method, path);
    group = parts[1]!;
    version = parts[2]!;
    at = 3;
  } else {
    return nonResourceInfo(method, path);
  }

  let verb: RequestVerb | undefined = methodVerbs[method] ?? methodVerbs[method.toUpperCase()];
  if (!verb) return nonResourceInfo(method, path);

  // Deprecated /watch/ prefix form.
  if (parts[at] === 'watch') {
    verb = 'watch';
    at++;
  }

  let namespace = '';
  // /namespaces/{ns}/{resource}... unless the third segment is a namespace subresource (status, finalize).
  if (parts[at] === 'namespaces' && parts.length - at > 2 && !namespaceSubresources.has(parts[at + 2]!)) {
    namespace = parts[at + 1]!;
    at += 2;
  }

  const name = parts[at + 1] ?? '';
  if (!name) {
    if (verb === 'get') verb = isTrue(query.get('watch')) ? 'watch' : 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  } else if (verb === 'get' && isTrue(query.get('watch'))) {
    verb = 'watch';
  }
  return {
    isResourceRequest: true,
    prefix,
    group,
    version,
    namespace,
    resource: parts[at] ?? '',
    name,
    subresource: parts[at + 2] ?? '',
    verb,
    rest: parts.length > at + 3 ? parts.slice(at + 3) : [],
  };
}

function nonResourceInfo(method: string, path: string): NonResourceRequestInfo {
  return { isResourceRequest: false, path, verb: method.toLowerCase() };
}

export function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** Non-empty segments, each percent-decoded (kept as it is when it does not decode). */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  // Segment by segment with indexOf (no intermediate array of every segment, empty ones included).
  for (let start = 0; start <= path.length; ) {
    let end = path.indexOf('/', start);
    if (end < 0) end = path.length;
    if (end > start) {
      const p = path.slice(start, end);
      if (p.indexOf('%') < 0) out.push(p);
      else {
        try {
          out.push(decodeURIComponent(p));
        } catch {
          out.push(p);
        }
      }
    }
    start = end + 1;
  }
  return out;
}

/** A request target's path and query, as `new URL(target, "https://localhost")` has them. */
export interface RequestTarget {
  path: string;
  query: URLSearchParams;
}

// Characters a URL path keeps as they are (WHATWG URL, special scheme). Anything else ("%", space, quotes,
// angle brackets, backquote, braces, backslash, controls, non-ASCII) is left to URL, which rewrites it.
const keptInPath = new Uint8Array(128);
for (const ch of "!$&'()*+,-./0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz|~") keptInPath[ch.charCodeAt(0)] = 1;

/**
 * The path and query of an HTTP request target (or an in-process request's path). The usual target (an
 * absolute path of plain characters without "." or ".." segments, a query without spaces or controls) is
 * split where it stands; anything else is parsed by URL, so both give the same answer (table-tested).
 */
export function parseRequestTarget(target: string): RequestTarget {
  const n = target.length;
  if (n === 0 || target.charCodeAt(0) !== 0x2f || target.charCodeAt(1) === 0x2f) return viaUrl(target);
  let i = 1;
  for (; i < n; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3f || c === 0x23) break; // "?" or "#"
    if (c >= 128 || keptInPath[c] === 0) return viaUrl(target);
    if (c === 0x2e && target.charCodeAt(i - 1) === 0x2f && isDotSegment(target, i)) return viaUrl(target);
  }
  const path = i === n ? target : target.slice(0, i);
  if (i === n || target.charCodeAt(i) === 0x23) return { path, query: new URLSearchParams() };
  let end = target.indexOf('#', i + 1);
  if (end < 0) end = n;
  // URL drops tabs and newlines and trims spaces and controls at the ends.
  for (let j = i + 1; j < end; j++) if (target.charCodeAt(j) <= 0x20) return viaUrl(target);
  // With its "?", which URLSearchParams drops (a second "?" is part of the first name, as in URL).
  return { path, query: new URLSearchParams(end === i + 1 ? '' : target.slice(i, end)) };
}

/** Whether the segment starting at `i` (just after a "/") is "." or "..". */
function isDotSegment(s: string, i: number): boolean {
  const endsAt = (j: number) => j >= s.length || s.charCodeAt(j) === 0x2f || s.charCodeAt(j) === 0x3f || s.charCodeAt(j) === 0x23;
  return endsAt(i + 1) || (s.charCodeAt(i + 1) === 0x2e && endsAt(i + 2));
}

/** Throws 400 for a target URL cannot parse ("//%zz": an authority that is no host). */
function viaUrl(target: string): RequestTarget {
  let url: URL;
  try {
    url = new URL(target, 'https://localhost');
  } catch {
    throw errors.badRequest(`invalid request target: ${target.slice(0, 200)}`);
  }
  return { path: url.pathname, query: url.searchParams };
}
