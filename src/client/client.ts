// ApiClient: every REST verb Skiff's components use, on any resource named by a ResourceRef — get, list
// (with automatic paging), create, update, updateStatus, patch (json/merge/strategic/apply), delete,
// deleteCollection, watch, scale and POSTed subresources — plus discovery-based resourceFor(). Non-2xx
// answers become ApiError. It holds no cache of objects (that is the informer's job).
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { Status } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { loadKubeconfig, type ClientConfig } from './config.js';
import { Discovery } from './discovery.js';
import { apiErrorFromResponse, apiErrorFromStatus, isResourceExpired, type ApiError } from './errors.js';
import { apiVersionFor, resourcePath, type Resource, type ResourceRef } from './resource.js';
import { HttpsTransport, type HttpsTransportOptions, type QueryValue, type Transport } from './transport.js';
import { decodeWatchEvent, withoutManagedFields, type WatchEvent } from './watch-event.js';

/** The least an API object has; kubernetes-types objects and KubeObject both fit. */
export interface ObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the transport's request timeout. */
  timeoutMs?: number;
}

export interface GetOptions extends CallOptions {
  namespace?: string;
  resourceVersion?: string;
}

export interface ListOptions extends CallOptions {
  /** Namespaced resources: absent = all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; with paginate (default) every page is fetched and concatenated. */
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** false = return one page and its continue token. Default true. */
  paginate?: boolean;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteOptions extends CallOptions {
  namespace?: string;
  fieldManager?: string;
  dryRun?: boolean;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const patchContentTypes: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions extends CallOptions {
  namespace?: string;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteCollectionOptions extends DeleteOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchOptions {
  namespace?: string;
  /** Watch one object (fieldSelector metadata.name=<name>). */
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Events after this version; absent/"0" = synthetic ADDED events for the current state first. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  resourceVersionMatch?: 'NotOlderThan';
  /** Client-side: give up after this long without a byte. Default timeoutSeconds + 30 s, or none. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Client-side: decode events without the object's metadata.managedFields (watch-event.ts withoutManagedFields). */
  omitManagedFields?: boolean;
}

/** Events of one watch request, in order. Iteration ends when the server ends the stream or close(). */
export interface Watcher<T> extends AsyncIterable<WatchEvent<T>> {
  close(): void;
}

export interface ApiClientOptions {
  /** Namespace for namespaced single-object calls that name none. Default "default". */
  namespace?: string;
}

const fieldManagerDefault = 'skiff';

export class ApiClient {
  readonly namespace: string;
  readonly discovery: Discovery;

  constructor(
    readonly transport: Transport,
    opts: ApiClientOptions = {},
  ) {
    this.namespace = opts.namespace ?? 'default';
    this.discovery = new Discovery(transport);
  }

  static fromConfig(config: ClientConfig, opts: HttpsTransportOptions = {}): ApiClient {
    return new ApiClient(new HttpsTransport(config, opts), { namespace: config.namespace });
  }

  static fromKubeconfig(path?: string, context?: string, opts: HttpsTransportOptions = {}): ApiClient {
    return ApiClient.fromConfig(loadKubeconfig(path, context ? { context } : {}), opts);
  }

  close(): void {
    this.transport.close();
  }

  /** A client bound to one resource whose methods know the object type. */
  typed<T extends ObjectLike>(r: Resource<T>): TypedClient<T> {
    return new TypedClient<T>(this, r);
  }

  resourceFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    return this.discovery.resourceFor(apiVersion, kind);
  }

  // ---- raw ----

  /** One request; JSON-decoded 2xx body, ApiError otherwise. */
  async call<R>(
    method: string,
    path: string,
    opts: CallOptions & { query?: Record<string, QueryValue>; body?: unknown; contentType?: string; accept?: string } = {},
  ): Promise<R> {
    const res = await this.transport.request(method, path, opts);
    if (res.status < 200 || res.status >= 300) throw apiErrorFromResponse(res.status, res.body);
    return (res.body ? JSON.parse(res.body) : undefined) as R;
  }

  /**
   * One request whose answer the caller does not need (a status heartbeat, say): ApiError unless 2xx, and the
   * body is not decoded (a Node or Pod answer costs more to parse than the rest of the caller's work).
   */
  async send(
    method: string,
    path: string,
    opts: CallOptions & { query?: Record<string, QueryValue>; body?: unknown; contentType?: string } = {},
  ): Promise<void> {
    const res = await this.transport.request(method, path, { ...opts, bodyUnused: true });
    if (res.status < 200 || res.status >= 300) throw apiErrorFromResponse(res.status, res.body);
  }

  // ---- reads ----

  get<T extends ObjectLike = KubeObject>(r: ResourceRef, name: string, opts: GetOptions = {}): Promise<T> {
    return this.call<T>('GET', resourcePath(r, this.ns(r, opts.namespace), name), {
      ...opts,
      query: { resourceVersion: opts.resourceVersion },
    }).then((o) => withTypeMeta(r, o));
  }

  /**
   * Every page of the list. `prepare`, when given, is applied to each page's objects as that page arrives
   * (an informer's transform): a long list then holds one page of whole objects at a time, not all of them.
   */
  async list<T extends ObjectLike = KubeObject>(r: ResourceRef, opts: ListOptions = {}, prepare?: (obj: T) => T): Promise<ListResult<T>> {
    const prepared = (page: ListResult<T>): ListResult<T> => (prepare ? { ...page, items: page.items.map((o) => prepare(o)) } : page);
    const first = prepared(await this.listPage<T>(r, opts));
    if (opts.paginate === false || !first.continue) return first;
    const items = first.items;
    let token: string | undefined = first.continue;
    let rv = first.resourceVersion;
    while (token) {
      let page: ListResult<T>;
      try {
        page = prepared(await this.listPage<T>(r, { ...opts, continue: token, resourceVersion: undefined, resourceVersionMatch: undefined }));
      } catch (e) {
        // The snapshot behind the token was compacted: fall back to one full list (as client-go's pager).
        if (!isResourceExpired(e)) throw e;
        return prepared(await this.listPage<T>(r, { ...opts, limit: undefined, continue: undefined }));
      }
      for (const o of page.items) items.push(o);
      token = page.continue;
      rv = page.resourceVersion || rv;
    }
    return { items, resourceVersion: rv };
  }

  /** Exactly one list request. */
  async listPage<T extends ObjectLike = KubeObject>(r: ResourceRef, opts: ListOptions = {}): Promise<ListResult<T>> {
    const body = await this.call<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number } }>(
      'GET',
      resourcePath(r, r.namespaced ? opts.namespace : undefined),
      {
        ...opts,
        query: {
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          limit: opts.limit,
          continue: opts.continue,
          resourceVersion: opts.resourceVersion,
          resourceVersionMatch: opts.resourceVersionMatch,
        },
      },
    );
    const out: ListResult<T> = {
      items: (body.items ?? []).map((o) => withTypeMeta(r, o)),
      resourceVersion: body.metadata?.resourceVersion ?? '',
    };
    if (body.metadata?.continue) out.continue = body.metadata.continue;
    if (body.metadata?.remainingItemCount !== undefined) out.remainingItemCount = body.metadata.remainingItemCount;
    return out;
  }

  // ---- writes ----

  create<T extends ObjectLike = KubeObject>(r: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call<T>('POST', resourcePath(r, this.ns(r, opts.namespace ?? obj.metadata?.namespace)), createRequest(r, obj, opts)).then((o) =>
      withTypeMeta(r, o),
    );
  }

  /** The same request as create, for a writer that needs only its success: the answer is not decoded. */
  createOnly<T extends ObjectLike = KubeObject>(r: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<void> {
    return this.send('POST', resourcePath(r, this.ns(r, opts.namespace ?? obj.metadata?.namespace)), createRequest(r, obj, opts));
  }

  /** PUT; the object's resourceVersion makes it conditional (409 Conflict when stale). */
  update<T extends ObjectLike = KubeObject>(r: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(r, obj, undefined, opts);
  }

  updateStatus<T extends ObjectLike = KubeObject>(r: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.put(r, obj, 'status', opts);
  }

  patch<T extends ObjectLike = KubeObject>(
    r: ResourceRef,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    return this.call<T>('PATCH', resourcePath(r, this.ns(r, opts.namespace), name, opts.subresource), patchRequest(patch, type, opts)).then((o) =>
      opts.subresource ? o : withTypeMeta(r, o),
    );
  }

  /** The same request as patch, for a writer that needs only its success: the answer is not decoded. */
  patchOnly(r: ResourceRef, name: string, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<void> {
    return this.send('PATCH', resourcePath(r, this.ns(r, opts.namespace), name, opts.subresource), patchRequest(patch, type, opts));
  }

  /** Server-side apply of a whole (partial) object; creates it when absent. */
  apply<T extends ObjectLike = KubeObject>(r: ResourceRef, obj: T, opts: PatchOptions & { fieldManager: string }): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new TypeError('apply needs metadata.name');
    return this.patch<T>(r, name, withTypeMeta(r, { ...obj }), 'apply', {
      ...opts,
      namespace: opts.namespace ?? obj.metadata?.namespace,
    });
  }

  /** The deleted object (or the object marked for deletion), or a Success Status for some resources. */
  delete<T extends ObjectLike = KubeObject>(r: ResourceRef, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.call<T | Status>('DELETE', resourcePath(r, this.ns(r, opts.namespace), name), {
      ...opts,
      query: { dryRun: opts.dryRun ? 'All' : undefined },
      body: deleteBody(opts),
    });
  }

  deleteCollection<T extends ObjectLike = KubeObject>(r: ResourceRef, opts: DeleteCollectionOptions = {}): Promise<ListResult<T> | Status> {
    return this.call<{ items?: T[]; metadata?: { resourceVersion?: string } } | Status>(
      'DELETE',
      resourcePath(r, r.namespaced ? (opts.namespace ?? this.namespace) : undefined),
      {
        ...opts,
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, dryRun: opts.dryRun ? 'All' : undefined },
        body: deleteBody(opts),
      },
    ).then((b) =>
      isStatusBody(b) ? b : { items: b.items ?? [], resourceVersion: b.metadata?.resourceVersion ?? '' },
    );
  }

  // ---- subresources ----

  getScale(r: ResourceRef, name: string, opts: GetOptions = {}): Promise<Scale> {
    return this.call<Scale>('GET', resourcePath(r, this.ns(r, opts.namespace), name, 'scale'), opts);
  }

  updateScale(r: ResourceRef, name: string, scale: Scale, opts: WriteOptions = {}): Promise<Scale> {
    return this.call<Scale>('PUT', resourcePath(r, this.ns(r, opts.namespace ?? scale.metadata?.namespace), name, 'scale'), {
      ...opts,
      query: writeQuery(opts),
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', ...scale },
    });
  }

  /** POST to a subresource, e.g. pods/binding or pods/eviction; returns the decoded answer. */
  createSubresource<R = unknown>(r: ResourceRef, name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<R> {
    return this.call<R>('POST', resourcePath(r, this.ns(r, opts.namespace), name, subresource), {
      ...opts,
      query: writeQuery(opts),
      body,
    });
  }

  // ---- watch ----

  async watch<T extends ObjectLike = KubeObject>(r: ResourceRef, opts: WatchOptions = {}): Promise<Watcher<T>> {
    const fieldSelector = [opts.name ? `metadata.name=${opts.name}` : '', opts.fieldSelector ?? ''].filter(Boolean).join(',');
    const idle = opts.idleTimeoutMs ?? (opts.timeoutSeconds ? opts.timeoutSeconds * 1000 + 30_000 : 0);
    const stream = await this.transport.stream('GET', resourcePath(r, r.namespaced ? opts.namespace : undefined), {
      query: {
        watch: 'true',
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        fieldSelector,
        allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
        timeoutSeconds: opts.timeoutSeconds,
        sendInitialEvents: opts.sendInitialEvents === undefined ? undefined : String(opts.sendInitialEvents),
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      timeoutMs: idle,
      signal: opts.signal,
    });
    async function* events(): AsyncGenerator<WatchEvent<T>> {
      try {
        for await (const line of stream) {
          const ev = decodeWatchEvent<T>(opts.omitManagedFields ? withoutManagedFields(line) : line);
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') withTypeMeta(r, ev.object);
          yield ev;
        }
      } finally {
        stream.close();
      }
    }
    const it = events();
    return { [Symbol.asyncIterator]: () => it, close: () => stream.close() };
  }

  // ---- helpers ----

  private put<T extends ObjectLike>(r: ResourceRef, obj: T, subresource: string | undefined, opts: WriteOptions): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new TypeError('update needs metadata.name');
    return this.call<T>('PUT', resourcePath(r, this.ns(r, opts.namespace ?? obj.metadata?.namespace), name, subresource), {
      ...opts,
      query: writeQuery(opts),
      body: withTypeMeta(r, { ...obj }),
    }).then((o) => withTypeMeta(r, o));
  }

  private ns(r: ResourceRef, namespace: string | undefined): string | undefined {
    return r.namespaced ? namespace || this.namespace : undefined;
  }
}

/** The ApiError carried by a watch ERROR event. */
export function watchError(ev: Extract<WatchEvent, { type: 'ERROR' }>): ApiError {
  return apiErrorFromStatus(ev.object);
}

function patchRequest(patch: unknown, type: PatchType, opts: PatchOptions): CallOptions & { query: Record<string, QueryValue>; body: string; contentType: string } {
  const query: Record<string, QueryValue> = writeQuery(opts);
  if (type === 'apply') {
    query['fieldManager'] = opts.fieldManager ?? fieldManagerDefault;
    query['force'] = opts.force ? 'true' : undefined;
  }
  return { ...opts, query, body: typeof patch === 'string' ? patch : JSON.stringify(patch), contentType: patchContentTypes[type] };
}

/** The request of create and createOnly: the object with its type meta, and the write options' query. */
function createRequest(r: ResourceRef, obj: ObjectLike, opts: WriteOptions): CallOptions & { query: Record<string, QueryValue>; body: unknown } {
  return { ...opts, query: writeQuery(opts), body: withTypeMeta(r, { ...obj }) };
}

function writeQuery(opts: WriteOptions): Record<string, QueryValue> {
  return {
    fieldManager: opts.fieldManager,
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldValidation: opts.fieldValidation,
  };
}

function deleteBody(opts: DeleteOptions): Record<string, unknown> {
  const b: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.propagationPolicy) b['propagationPolicy'] = opts.propagationPolicy;
  if (opts.gracePeriodSeconds !== undefined) b['gracePeriodSeconds'] = opts.gracePeriodSeconds;
  if (opts.preconditions) b['preconditions'] = opts.preconditions;
  if (opts.dryRun) b['dryRun'] = ['All'];
  return b;
}

function isStatusBody(b: unknown): b is Status {
  return typeof b === 'object' && b !== null && (b as { kind?: unknown }).kind === 'Status';
}

/** Lists omit kind/apiVersion on items; fill them in so every object the client returns is self-describing. */
function withTypeMeta<T>(r: ResourceRef, o: T): T {
  if (r.kind && o && typeof o === 'object' && !isStatusBody(o)) {
    const obj = o as ObjectLike;
    if (!obj.kind) (obj as { kind?: string }).kind = r.kind;
    if (!obj.apiVersion) (obj as { apiVersion?: string }).apiVersion = apiVersionFor(r);
  }
  return o;
}

/** ApiClient methods bound to one resource and object type. */
export class TypedClient<T extends ObjectLike> {
  constructor(
    readonly client: ApiClient,
    readonly resource: Resource<T>,
  ) {}
  get(name: string, opts?: GetOptions): Promise<T> {
    return this.client.get<T>(this.resource, name, opts);
  }
  list(opts?: ListOptions): Promise<ListResult<T>> {
    return this.client.list<T>(this.resource, opts);
  }
  create(obj: T, opts?: WriteOptions): Promise<T> {
    return this.client.create<T>(this.resource, obj, opts);
  }
  update(obj: T, opts?: WriteOptions): Promise<T> {
    return this.client.update<T>(this.resource, obj, opts);
  }
  updateStatus(obj: T, opts?: WriteOptions): Promise<T> {
    return this.client.updateStatus<T>(this.resource, obj, opts);
  }
  patch(name: string, patch: unknown, type: PatchType, opts?: PatchOptions): Promise<T> {
    return this.client.patch<T>(this.resource, name, patch, type, opts);
  }
  apply(obj: T, opts: PatchOptions & { fieldManager: string }): Promise<T> {
    return this.client.apply<T>(this.resource, obj, opts);
  }
  delete(name: string, opts?: DeleteOptions): Promise<T | Status> {
    return this.client.delete<T>(this.resource, name, opts);
  }
  deleteCollection(opts?: DeleteCollectionOptions): Promise<ListResult<T> | Status> {
    return this.client.deleteCollection<T>(this.resource, opts);
  }
  watch(opts?: WatchOptions): Promise<Watcher<T>> {
    return this.client.watch<T>(this.resource, opts);
  }
}
