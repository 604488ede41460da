// Small pieces every REST verb shares: query options (dryRun, fieldManager), the namespace lifecycle check,
// and the mapping of store failures to API errors. No HTTP here.
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject } from '../../api/types.js';
import { errors, StatusError } from '../../api/errors.js';
import { AlreadyExistsError, CompactedError, ConflictError, NotFoundError, UnavailableError } from '../../storage/store.js';
import type { RestDeps, RestRequest } from './types.js';

export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

/** Upstream: the fieldManager query param, else the user agent's first path element ("kubectl"). */
export function fieldManager(req: RestRequest): string {
  const fm = req.query.get('fieldManager');
  if (fm !== null) {
    if (fm.length > 128) throw errors.invalid('', 'Status', '', [{ field: 'fieldManager', message: 'must not be longer than 128 characters', reason: 'FieldValueInvalid' }]);
    for (let i = 0; i < fm.length; i++) {
      const c = fm.charCodeAt(i);
      if (c < 0x20 || c > 0x7e) throw errors.badRequest('fieldManager must only contain printable characters');
    }
    return fm;
  }
  // The user agent up to its first space or slash ("kubectl/v1.32.0 (linux/amd64) ..." → "kubectl").
  const ua = req.userAgent ?? '';
  let end = 0;
  while (end < ua.length && ua.charCodeAt(end) !== 0x20 && ua.charCodeAt(end) !== 0x2f) end++;
  return (ua.slice(0, end) || 'unknown').slice(0, 128);
}

/**
 * Creating in a namespace needs it to exist and not be terminating (upstream NamespaceLifecycle admission).
 * Decided at once (undefined) when the started watch cache holds the namespace, the usual case.
 */
export function ensureNamespaceWritable(deps: RestDeps, rt: ResourceType, namespace: string, name: string): Promise<void> | undefined {
  if (!rt.namespaced) return undefined;
  const nsType = deps.registry.lookup('', 'v1', 'namespaces');
  if (!nsType) return undefined;
  // From the watch cache, as upstream's NamespaceLifecycle uses an informer; a miss may be a namespace
  // created a moment ago that the cache has not applied yet, so it falls back to the store.
  const key = deps.storage.key(nsType, '', namespace);
  const held = deps.storage.startedCache(nsType)?.get(key);
  if (held !== undefined) {
    checkNamespaceWritable(held, rt, namespace, name);
    return undefined;
  }
  return (async () => {
    const cache = await deps.storage.cache(nsType);
    checkNamespaceWritable(cache.get(key) ?? (await deps.storage.get(nsType, '', namespace)), rt, namespace, name);
  })();
}

function checkNamespaceWritable(ns: KubeObject | undefined, rt: ResourceType, namespace: string, name: string): void {
  if (!ns) throw errors.notFound('', 'namespaces', namespace);
  if (ns.metadata.deletionTimestamp || (ns['status'] as { phase?: string } | undefined)?.phase === 'Terminating') {
    throw errors.forbidden(
      `${rt.resource}${rt.group ? '.' + rt.group : ''} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
}

/** Maps storage-layer failures to Status errors; anything else is rethrown. */
export function storeError(err: unknown, rt: ResourceType, name: string): never {
  if (err instanceof StatusError) throw err;
  if (err instanceof AlreadyExistsError) throw errors.alreadyExists(rt.group, rt.resource, name);
  if (err instanceof NotFoundError) throw errors.notFound(rt.group, rt.resource, name);
  if (err instanceof ConflictError) {
    throw errors.conflict(rt.group, rt.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  if (err instanceof CompactedError) throw errors.gone(`too old resource version: ${err.requested} (${err.compacted + 1})`);
  if (err instanceof UnavailableError) throw errors.unavailable(`storage unavailable: ${err.message}`);
  throw err;
}
