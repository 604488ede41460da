// The OpenAPI v3 documents served at /openapi/v3 (root index) and /openapi/v3/<api/v1|apis/g/v> (one per
// group version), built from the served ResourceTypes and the SchemaRegistry. kubectl reads them to decide
// on server-side field validation (PATCH operations with fieldValidation + GVK), to build strategic merge
// patches and for `kubectl explain`. Results are memoized per registry generation and resource set; this
// module does no I/O.
import { createHash } from 'node:crypto';
import type { ResourceType } from '../resource.js';
import type { SchemaRegistry } from '../schema/registry.js';
import { REF_PREFIX } from '../schema/registry.js';
import type { Schema } from '../schema/types.js';
import { DefinitionSet, type Document, OPENAPI_INFO, memoized, operationRoots } from './components.js';
import { type Operation, type PathItem, PATH_PARAM_DESCRIPTIONS, QUERY_PARAMS, groupVersionPath } from './operations.js';

type Json = Record<string, unknown>;

export function hashOf(body: string): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

function document(body: string): Document {
  return { body, etag: `"${hashOf(body)}"` };
}

/** Group-version paths served ("api/v1", "apis/apps/v1", ...), sorted. */
export function servedGroupVersions(resources: readonly ResourceType[]): string[] {
  return [...new Set(resources.map((r) => groupVersionPath(r.group, r.version)))].sort();
}

/** GET /openapi/v3: {"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=..."}}}. */
export function buildOpenApiV3Root(resources: readonly ResourceType[], registry: SchemaRegistry): Document {
  return memoized(registry, resources, 'v3:/', () => {
    const paths: Json = {};
    for (const gv of servedGroupVersions(resources)) {
      const doc = buildOpenApiV3Group(resources, registry, gv);
      if (doc) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hashOf(doc.body)}` };
    }
    return document(JSON.stringify({ paths }));
  })!;
}

/** GET /openapi/v3/<groupVersionPath>; undefined when no resource is served in that group version. */
export function buildOpenApiV3Group(
  resources: readonly ResourceType[],
  registry: SchemaRegistry,
  groupVersionPathArg: string,
): Document | undefined {
  const gvPath = groupVersionPathArg.replace(/^\/+|\/+$/g, '').replace(/^openapi\/v3\//, '');
  return (
    memoized(registry, resources, `v3:${gvPath}`, () => {
      const served = resources.filter((r) => groupVersionPath(r.group, r.version) === gvPath);
      if (!served.length) return null;
      return document(JSON.stringify(renderGroup(served, registry)));
    }) ?? undefined
  );
}

function renderGroup(served: readonly ResourceType[], registry: SchemaRegistry): Json {
  const defs = new DefinitionSet(registry);
  const items = served.flatMap((rt) => defs.pathsFor(rt)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const paths: Json = {};
  for (const item of items) paths[item.path] = renderPathItem(item);
  const schemas: Json = {};
  for (const name of defs.closure(operationRoots(items))) schemas[name] = defs.get(name);
  return {
    openapi: '3.0.0',
    info: OPENAPI_INFO,
    paths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

function pathParam(name: string): Json {
  return { name, in: 'path', description: PATH_PARAM_DESCRIPTIONS[name] ?? name, required: true, schema: { type: 'string', uniqueItems: true } };
}

function queryParam(name: string): Json {
  const p = QUERY_PARAMS[name];
  return { name, in: 'query', description: p?.description ?? name, schema: { type: p?.type ?? 'string', uniqueItems: true } };
}

function renderPathItem(item: PathItem): Json {
  const out: Json = {
    parameters: [...item.pathParams.map(pathParam), queryParam('pretty')],
  };
  for (const op of item.operations) out[op.method] = renderOperation(op);
  return out;
}

const ref = (definition: string): Schema => ({ $ref: REF_PREFIX + definition });

function content(definition: string | undefined, types: string[]): Json {
  const schema = definition ? ref(definition) : { type: 'object' };
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

const RESPONSE_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const DESCRIPTIONS: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };

function renderOperation(op: Operation): Json {
  const out: Json = {
    tags: [op.tag],
    description: op.description,
    operationId: op.operationId,
  };
  if (op.query.length) out.parameters = op.query.map(queryParam);
  if (op.body) {
    out.requestBody = {
      content: content(op.body.definition, op.body.patch ?? ['*/*']),
      required: true,
    };
  }
  const responses: Json = {};
  for (const r of op.responses) {
    responses[r.code] = {
      description: DESCRIPTIONS[r.code] ?? 'OK',
      content:
        r.definition === 'text'
          ? { 'text/plain': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'string' } } }
          : content(r.definition, op.action === 'list' ? [...RESPONSE_TYPES, 'application/json;stream=watch'] : RESPONSE_TYPES),
    };
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  out['x-kubernetes-action'] = op.action;
  out['x-kubernetes-group-version-kind'] = op.gvk;
  return out;
}
