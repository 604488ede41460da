// GET of one object and LIST of a collection. Reads are served from the watch cache once it has caught up
// with the requested revision (consistent reads), including paginated lists: a page costs O(limit + log n)
// from the cache's sorted keys. A continuation (or an exact-revision read) comes from the cache while its event
// history reaches back to that revision (later writes undone), otherwise from the store's MVCC history, so
// every page is a snapshot of one revision, as upstream with etcd.
import type { KubeObject } from '../../api/types.js';
import type { ResourceType } from '../../api/resource.js';
import { apiVersionOf } from '../../api/types.js';
import { cause, errors, StatusError, type StatusCause } from '../../api/errors.js';
import type { WatchCache } from '../../storage/watch-cache.js';
import { CompactedError } from '../../storage/store.js';
import { buildFilter } from './selectors.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { storeError } from './common.js';
import type { ListObject, RestDeps, RestRequest, RestResponse } from './types.js';

const cacheWaitMs = 3000;
const maxListLimit = 2 ** 31 - 1;

/**
 * GET of one object, served from the watch cache once it has applied the store's current revision (the
 * same consistency as reading the store, without parsing JSON on every request).
 */
export async function get(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  const { rt, info } = req;
  const stored = await consistentGet(deps, rt, info.namespace, info.name);
  if (!stored) throw errors.notFound(rt.group, rt.resource, info.name);
  return { status: 200, object: deps.storage.toServed(rt, stored) };
}

/** A stored object as of the store's current revision: from the watch cache when it can prove freshness. */
export async function consistentGet(deps: RestDeps, rt: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined> {
  if (!deps.storage.consistentCacheReads) return deps.storage.get(rt, namespace, name);
  const cache = await deps.storage.cache(rt);
  await waitForCache(deps, cache);
  return cache.get(deps.storage.key(rt, namespace, name));
}

export interface ListParams {
  resourceVersion: string;
  match: '' | 'Exact' | 'NotOlderThan';
  limit: number;
  continueToken?: string;
}

export function listParams(q: URLSearchParams): ListParams {
  const rv = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  // Upstream's ValidateListOptions: 422 on ListOptions.meta.k8s.io with one cause per problem.
  const causes: StatusCause[] = [];
  if (match !== '') {
    const field = 'resourceVersionMatch';
    if (!rv) causes.push(cause.forbidden(field, 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (q.get('continue')) causes.push(cause.forbidden(field, 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') causes.push(cause.notSupported(field, match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && rv === '0') causes.push(cause.forbidden(field, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (causes.length > 0) throw errors.invalid('meta.k8s.io', 'ListOptions', '', causes);
  if (rv && !/^\d+$/.test(rv)) throw errors.badRequest(`Invalid value: "${rv}": resourceVersion must be an integer`);
  const limitRaw = q.get('limit');
  let limit = 0;
  if (limitRaw !== null && limitRaw !== '') {
    limit = Number(limitRaw);
    if (!/^\d+$/.test(limitRaw) || !Number.isFinite(limit)) throw errors.badRequest(`limit must be a non-negative integer, got "${limitRaw}"`);
    // Larger than anything a store holds: the same as no limit at all.
    if (limit > maxListLimit) limit = 0;
  }
  const cont = q.get('continue') || undefined;
  if (cont && rv) throw errors.badRequest('specifying resource version is not allowed when using continue');
  return { resourceVersion: rv, match: match as ListParams['match'], limit, continueToken: cont };
}

export async function list(deps: RestDeps, req: RestRequest): Promise<RestResponse> {
  return { status: 200, object: await listAll(deps, req) };
}

/**
 * Where a list is read from, as upstream's cacher decides it (plus snapshots the cache can prove):
 * - `cache`: the watch cache's current state, after it has applied `waitFor` (a revision, or the store's
 *   current one for a consistent read; undefined = no wait, resourceVersion=0).
 * - `at`: the state at exactly `revision` (a continue token's, or resourceVersionMatch=Exact, or the legacy
 *   exact match of resourceVersion=N with a limit): from the cache while its event history reaches back to
 *   it, else from the store's MVCC history.
 * - `store`: the store's current state (consistent reads when the cache cannot serve them).
 * A paginated list costs O(limit + log n) from the cache; only a continuation whose revision the cache no
 * longer holds reads the store's history. Pure.
 */
export type ListSource =
  | { from: 'cache'; waitFor: 'current' | number | undefined }
  | { from: 'at'; revision: number }
  | { from: 'store' };

export function listSource(p: ListParams, consistentCacheReads: boolean): ListSource {
  if (p.continueToken !== undefined) return { from: 'at', revision: decodeContinue(p.continueToken).revision };
  if (p.resourceVersion === '') return consistentCacheReads ? { from: 'cache', waitFor: 'current' } : { from: 'store' };
  const rv = Number(p.resourceVersion);
  if (p.match === 'Exact') return { from: 'at', revision: rv };
  if (rv === 0) return { from: 'cache', waitFor: undefined };
  // resourceVersion=N without a match: NotOlderThan, except with a limit (upstream's legacy exact match).
  if (p.match === '' && p.limit > 0) return { from: 'at', revision: rv };
  return { from: 'cache', waitFor: rv };
}

/** The list object for a request (also used by deletecollection). */
export async function listAll(deps: RestDeps, req: RestRequest): Promise<ListObject> {
  const { rt, info } = req;
  const p = listParams(req.query);
  const filter = buildFilter(rt, req.query);
  const prefix = deps.storage.collectionPrefix(rt, info.namespace);
  const served = (items: KubeObject[]) => items.map((o) => deps.storage.toServed(rt, o));
  const listObject = (items: KubeObject[], rv: number, cont?: string, remaining?: number): ListObject => {
    const meta: ListObject['metadata'] = { resourceVersion: String(rv) };
    if (cont) meta.continue = cont;
    if (cont && remaining !== undefined && remaining > 0 && !filter.active) meta.remainingItemCount = remaining;
    return { apiVersion: apiVersionOf(rt.group, rt.version), kind: rt.listKind, metadata: meta, items: served(items) };
  };
  const fromCache = (cache: WatchCache, revision: number | undefined): ListObject | undefined => {
    const startAfter = p.continueToken ? prefix + decodeContinue(p.continueToken).startAfter : undefined;
    const opts = { startAfter, limit: p.limit || undefined, filter: filter.active ? filter.matches : undefined };
    const res = revision === undefined ? cache.list(prefix, opts) : cache.listAt(prefix, revision, opts);
    if (res === undefined) return undefined;
    const rev = revision ?? res.revision;
    const cont = res.more && res.lastKey ? encodeContinue({ revision: rev, startAfter: res.lastKey.slice(prefix.length) }) : undefined;
    return listObject(res.items, rev, cont, res.remaining);
  };

  const source = listSource(p, deps.storage.consistentCacheReads);
  if (source.from === 'cache') {
    const cache = await deps.storage.cache(rt);
    if (source.waitFor !== undefined) await waitForCache(deps, cache, source.waitFor === 'current' ? undefined : source.waitFor);
    return fromCache(cache, undefined)!;
  }
  if (source.from === 'at' && deps.storage.consistentCacheReads) {
    const cache = await deps.storage.cache(rt);
    // Compacted revisions still go to the store, which answers 410 Gone as upstream; so do revisions older
    // than the cache's event history.
    if (source.revision >= (await deps.storage.store.compactRevision())) {
      const page = fromCache(cache, source.revision);
      if (page !== undefined) return page;
    }
  }
  return listFromStore(deps, req, p, filter, prefix, source.from === 'at' ? source.revision : 0, listObject);
}

/** A page (or everything) from the store at `revision` (0 = current), skipping objects the filter rejects. */
async function listFromStore(
  deps: RestDeps,
  req: RestRequest,
  p: ListParams,
  filter: ReturnType<typeof buildFilter>,
  prefix: string,
  atRevision: number,
  listObject: (items: KubeObject[], rv: number, cont?: string, remaining?: number) => ListObject,
): Promise<ListObject> {
  let revision = atRevision;
  let startAfter = p.continueToken ? prefix + decodeContinue(p.continueToken).startAfter : undefined;
  const items: KubeObject[] = [];
  let lastKey: string | undefined;
  let more = false;
  let remaining: number | undefined;
  try {
    // Fill the page from the store, skipping objects the filter rejects (upstream does the same).
    for (;;) {
      const want = p.limit > 0 ? p.limit - items.length : 0;
      const page = await deps.storage.store.list(prefix, { limit: want > 0 ? Math.max(want, filter.active ? 100 : want) : 0, startAfter, revision: revision || undefined });
      revision = page.revision;
      for (const kv of page.items) {
        if (p.limit > 0 && items.length >= p.limit) {
          more = true;
          break;
        }
        lastKey = kv.key;
        const obj = deps.storage.decode(kv);
        if (filter.matches(obj)) items.push(obj);
      }
      if (more) break;
      more = page.more;
      remaining = page.remaining;
      if (!page.more || (p.limit > 0 && items.length >= p.limit)) break;
      startAfter = page.items.length ? page.items[page.items.length - 1]!.key : startAfter;
    }
  } catch (err) {
    if (err instanceof CompactedError && p.continueToken) {
      throw errors.gone(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    }
    if (err instanceof CompactedError) throw errors.gone(`too old resource version: ${p.resourceVersion} (${err.compacted + 1})`);
    storeError(err, req.rt, '');
  }
  const cont = more && lastKey ? encodeContinue({ revision, startAfter: lastKey.slice(prefix.length) }) : undefined;
  return listObject(items, revision, cont, remaining);
}

/**
 * Waits until the watch cache has applied `revision` (default: the store's current revision, for consistent
 * reads). A revision beyond anything the store has written is the client's mistake: answered at once with
 * 400 and upstream's ResourceVersionTooLarge cause (upstream waits 3 s, then answers 504). A cache that lags
 * behind a revision the store has still gets upstream's 504 after the wait.
 */
export async function waitForCache(deps: RestDeps, cache: WatchCache, revision?: number): Promise<void> {
  const current = await deps.storage.store.currentRevision();
  if (revision !== undefined && revision > current) {
    throw new StatusError(400, 'BadRequest', `Too large resource version: ${revision}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    });
  }
  await cache.waitFor(revision ?? current, cacheWaitMs);
}
