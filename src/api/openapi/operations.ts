// The REST operations Skiff serves for each resource, described once in a version-neutral form (paths,
// operation ids, x-kubernetes-action, query parameters, body and response definitions) so the OpenAPI v3
// and v2 renderers agree. Naming follows upstream (listAppsV1NamespacedDeployment, ...). Pure data
// building: no schema walking, no JSON rendering.
import type { ResourceType, SubresourceInfo } from '../resource.js';
import type { GroupVersionKind } from '../types.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Action = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';

export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** Definition names the operations refer to. */
export const DEF = {
  status: 'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
  deleteOptions: 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
  patch: 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  watchEvent: 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
  listMeta: 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta',
  scale: 'io.k8s.api.autoscaling.v1.Scale',
} as const;

export interface Operation {
  method: Method;
  operationId: string;
  action: Action;
  description: string;
  tag: string;
  gvk: GroupVersionKind;
  /** Query parameter names, see QUERY_PARAMS. */
  query: string[];
  /** Request body definition; "patch" bodies accept PATCH_CONTENT_TYPES (minus SMP for custom resources). */
  body?: { definition: string | undefined; patch?: string[] };
  /** Status code → response definition ("text" for a plain string body; undefined = no schema known). */
  responses: { code: string; definition: string | undefined | 'text' }[];
}

export interface PathItem {
  path: string;
  pathParams: ('name' | 'namespace' | 'path')[];
  operations: Operation[];
}

export interface QueryParam {
  type: 'string' | 'boolean' | 'integer';
  description: string;
}

export const QUERY_PARAMS: Record<string, QueryParam> = {
  allowWatchBookmarks: {
    type: 'boolean',
    description:
      'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.',
  },
  continue: {
    type: 'string',
    description:
      'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize.',
  },
  dryRun: {
    type: 'string',
    description:
      'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  },
  fieldManager: {
    type: 'string',
    description:
      'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).',
  },
  fieldSelector: {
    type: 'string',
    description: 'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  },
  fieldValidation: {
    type: 'string',
    description:
      'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  },
  force: {
    type: 'boolean',
    description:
      'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  },
  gracePeriodSeconds: {
    type: 'integer',
    description:
      'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.',
  },
  labelSelector: {
    type: 'string',
    description: 'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  },
  limit: {
    type: 'integer',
    description:
      'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.',
  },
  orphanDependents: {
    type: 'boolean',
    description:
      'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.',
  },
  pretty: {
    type: 'string',
    description: "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
  },
  propagationPolicy: {
    type: 'string',
    description:
      "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
  },
  resourceVersion: {
    type: 'string',
    description:
      'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset',
  },
  resourceVersionMatch: {
    type: 'string',
    description:
      'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset',
  },
  sendInitialEvents: {
    type: 'boolean',
    description:
      '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic "Bookmark" event will be sent.',
  },
  timeoutSeconds: {
    type: 'integer',
    description: 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.',
  },
  watch: {
    type: 'boolean',
    description:
      'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.',
  },
  container: { type: 'string', description: 'The container for which to stream logs. Defaults to only container if there is one container in the pod.' },
  follow: { type: 'boolean', description: 'Follow the log stream of the pod. Defaults to false.' },
  previous: { type: 'boolean', description: 'Return previous terminated container logs. Defaults to false.' },
  sinceSeconds: { type: 'integer', description: 'A relative time in seconds before the current time from which to show logs.' },
  tailLines: { type: 'integer', description: 'If set, the number of lines from the end of the logs to show.' },
  timestamps: { type: 'boolean', description: 'If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false.' },
};

export const PATH_PARAM_DESCRIPTIONS: Record<string, string> = {
  name: 'name of the resource',
  namespace: 'object name and auth scope, such as for teams and projects',
  path: 'path to the resource',
};

const LIST_QUERY = [
  'allowWatchBookmarks',
  'continue',
  'fieldSelector',
  'labelSelector',
  'limit',
  'resourceVersion',
  'resourceVersionMatch',
  'sendInitialEvents',
  'timeoutSeconds',
  'watch',
];
const WRITE_QUERY = ['dryRun', 'fieldManager', 'fieldValidation'];
const PATCH_QUERY = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];
const DELETE_QUERY = ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy'];
const DELETE_COLLECTION_QUERY = [
  'continue',
  'dryRun',
  'fieldSelector',
  'gracePeriodSeconds',
  'labelSelector',
  'limit',
  'orphanDependents',
  'propagationPolicy',
  'resourceVersion',
  'resourceVersionMatch',
  'sendInitialEvents',
  'timeoutSeconds',
];
const LOG_QUERY = ['container', 'follow', 'limitBytes', 'previous', 'sinceSeconds', 'tailLines', 'timestamps'].filter(
  (q) => q in QUERY_PARAMS,
);

/** "rbac.authorization.k8s.io" → "RbacAuthorization", "" → "Core" (upstream operation-id spelling). */
export function groupCamel(group: string): string {
  if (!group) return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split(/[.-]/)
    .map(cap)
    .join('');
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "api/v1" or "apis/<group>/<version>": the OpenAPI v3 document key of a group version. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** What to look up for a kind's definition; the renderer maps it to a definition name. */
export type KindLookup = (gvk: GroupVersionKind) => string | undefined;

const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/**
 * Every path item for one resource. `lookup` returns the definition name of a kind (or undefined);
 * `custom` is true for custom resources, which do not accept strategic merge patches.
 */
export function resourcePaths(rt: ResourceType, lookup: KindLookup, custom: boolean): PathItem[] {
  const { group, version, kind } = rt;
  const gvk: GroupVersionKind = { group, version, kind };
  const base = `/${groupVersionPath(group, version)}`;
  const tag = `${groupCamel(group).charAt(0).toLowerCase()}${groupCamel(group).slice(1)}_${version}`;
  const idPart = `${groupCamel(group)}${cap(version)}`;
  const scope = rt.namespaced ? 'Namespaced' : '';
  const collection = rt.namespaced ? `${base}/namespaces/{namespace}/${rt.resource}` : `${base}/${rt.resource}`;
  const collectionParams: PathItem['pathParams'] = rt.namespaced ? ['namespace'] : [];
  const itemParams: PathItem['pathParams'] = rt.namespaced ? ['name', 'namespace'] : ['name'];
  const kindDef = lookup(gvk);
  const listDef = lookup({ group, version, kind: rt.listKind });
  const verbs = new Set(rt.verbs);
  const plural = rt.resource;
  const op = (o: Omit<Operation, 'tag'>): Operation => ({ ...o, tag });
  const patchTypes = !custom ? PATCH_CONTENT_TYPES : PATCH_CONTENT_TYPES.filter((t) => !t.includes('strategic'));

  const items: PathItem[] = [];
  const coll: Operation[] = [];
  if (verbs.has('list')) {
    coll.push(
      op({
        method: 'get',
        operationId: `list${idPart}${scope}${kind}`,
        action: 'list',
        description: `list or watch objects of kind ${kind}`,
        gvk,
        query: LIST_QUERY,
        responses: [{ code: '200', definition: listDef }],
      }),
    );
  }
  if (verbs.has('create')) {
    coll.push(
      op({
        method: 'post',
        operationId: `create${idPart}${scope}${kind}`,
        action: 'post',
        description: `create ${article(kind)} ${kind}`,
        gvk,
        query: WRITE_QUERY,
        body: { definition: kindDef },
        responses: ['200', '201', '202'].map((code) => ({ code, definition: kindDef })),
      }),
    );
  }
  if (verbs.has('deletecollection')) {
    coll.push(
      op({
        method: 'delete',
        operationId: `delete${idPart}Collection${scope}${kind}`,
        action: 'deletecollection',
        description: `delete collection of ${kind}`,
        gvk,
        query: DELETE_COLLECTION_QUERY,
        body: { definition: DEF.deleteOptions },
        responses: [{ code: '200', definition: DEF.status }],
      }),
    );
  }
  if (coll.length) items.push({ path: collection, pathParams: collectionParams, operations: coll });

  const item: Operation[] = [];
  if (verbs.has('get')) {
    item.push(
      op({
        method: 'get',
        operationId: `read${idPart}${scope}${kind}`,
        action: 'get',
        description: `read the specified ${kind}`,
        gvk,
        query: [],
        responses: [{ code: '200', definition: kindDef }],
      }),
    );
  }
  if (verbs.has('update')) {
    item.push(
      op({
        method: 'put',
        operationId: `replace${idPart}${scope}${kind}`,
        action: 'put',
        description: `replace the specified ${kind}`,
        gvk,
        query: WRITE_QUERY,
        body: { definition: kindDef },
        responses: ['200', '201'].map((code) => ({ code, definition: kindDef })),
      }),
    );
  }
  if (verbs.has('delete')) {
    item.push(
      op({
        method: 'delete',
        operationId: `delete${idPart}${scope}${kind}`,
        action: 'delete',
        description: `delete ${article(kind)} ${kind}`,
        gvk,
        query: DELETE_QUERY,
        body: { definition: DEF.deleteOptions },
        responses: [
          { code: '200', definition: kindDef ?? DEF.status },
          { code: '202', definition: kindDef ?? DEF.status },
        ],
      }),
    );
  }
  if (verbs.has('patch')) {
    item.push(
      op({
        method: 'patch',
        operationId: `patch${idPart}${scope}${kind}`,
        action: 'patch',
        description: `partially update the specified ${kind}`,
        gvk,
        query: PATCH_QUERY,
        body: { definition: DEF.patch, patch: patchTypes },
        responses: ['200', '201'].map((code) => ({ code, definition: kindDef })),
      }),
    );
  }
  if (item.length) items.push({ path: `${collection}/{name}`, pathParams: itemParams, operations: item });

  if (rt.namespaced && verbs.has('list')) {
    items.push({
      path: `${base}/${plural}`,
      pathParams: [],
      operations: [
        op({
          method: 'get',
          operationId: `list${idPart}${kind}ForAllNamespaces`,
          action: 'list',
          description: `list or watch objects of kind ${kind}`,
          gvk,
          query: LIST_QUERY,
          responses: [{ code: '200', definition: listDef }],
        }),
      ],
    });
  }

  for (const sub of rt.subresources) {
    const p = subresourcePath(rt, sub, `${collection}/{name}/${sub.name}`, itemParams, idPart, scope, lookup, op, patchTypes);
    if (p) items.push(p);
  }
  return items;
}

function subresourcePath(
  rt: ResourceType,
  sub: SubresourceInfo,
  path: string,
  pathParams: PathItem['pathParams'],
  idPart: string,
  scope: string,
  lookup: KindLookup,
  op: (o: Omit<Operation, 'tag'>) => Operation,
  patchTypes: string[],
): PathItem | undefined {
  if (CONNECT_SUBRESOURCES.has(sub.name)) return undefined;
  const suffix = cap(sub.name);
  const kind = rt.kind;
  const gvk = sub.responseKind;
  const def = sub.name === 'scale' ? (lookup(gvk) ?? DEF.scale) : lookup(gvk);
  const verbs = new Set(sub.verbs);
  const ops: Operation[] = [];
  const what = sub.name === 'status' ? `status of the specified ${kind}` : `${sub.name} of the specified ${kind}`;
  if (sub.name === 'log') {
    ops.push(
      op({
        method: 'get',
        operationId: `read${idPart}${scope}${kind}Log`,
        action: 'get',
        description: `read log of the specified ${kind}`,
        gvk: { group: rt.group, version: rt.version, kind },
        query: LOG_QUERY,
        responses: [{ code: '200', definition: 'text' }],
      }),
    );
    return { path, pathParams, operations: ops };
  }
  if (verbs.has('get')) {
    ops.push(
      op({
        method: 'get',
        operationId: `read${idPart}${scope}${kind}${suffix}`,
        action: 'get',
        description: `read ${what}`,
        gvk,
        query: [],
        responses: [{ code: '200', definition: def }],
      }),
    );
  }
  if (verbs.has('create')) {
    ops.push(
      op({
        method: 'post',
        operationId: `create${idPart}${scope}${kind}${suffix}`,
        action: 'post',
        description: `create ${sub.name} of ${article(kind)} ${kind}`,
        gvk,
        query: WRITE_QUERY,
        body: { definition: def },
        responses: ['200', '201', '202'].map((code) => ({ code, definition: def })),
      }),
    );
  }
  if (verbs.has('update')) {
    ops.push(
      op({
        method: 'put',
        operationId: `replace${idPart}${scope}${kind}${suffix}`,
        action: 'put',
        description: `replace ${what}`,
        gvk,
        query: WRITE_QUERY,
        body: { definition: def },
        responses: ['200', '201'].map((code) => ({ code, definition: def })),
      }),
    );
  }
  if (verbs.has('patch')) {
    ops.push(
      op({
        method: 'patch',
        operationId: `patch${idPart}${scope}${kind}${suffix}`,
        action: 'patch',
        description: `partially update ${what}`,
        gvk,
        query: PATCH_QUERY,
        body: { definition: DEF.patch, patch: patchTypes },
        responses: ['200', '201'].map((code) => ({ code, definition: def })),
      }),
    );
  }
  return ops.length ? { path, pathParams, operations: ops } : undefined;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}
