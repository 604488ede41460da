// The Swagger 2.0 document served at /openapi/v2: every path and every reachable definition, with refs
// rewritten to #/definitions/ and OpenAPI-v3-only keywords (oneOf/anyOf/not/nullable) removed the way
// upstream publishes them, for `kubectl explain` fallbacks and older clients. Memoized like v3; no I/O.
import type { ResourceType } from '../resource.js';
import type { SchemaRegistry } from '../schema/registry.js';
import { REF_PREFIX } from '../schema/registry.js';
import type { Schema } from '../schema/types.js';
import { DefinitionSet, type Document, OPENAPI_INFO, memoized, operationRoots } from './components.js';
import { type Operation, type PathItem, PATH_PARAM_DESCRIPTIONS, QUERY_PARAMS } from './operations.js';
import { hashOf } from './v3.js';

type Json = Record<string, unknown>;

const V2_REF = '#/definitions/';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

export function buildOpenApiV2(resources: readonly ResourceType[], registry: SchemaRegistry): Document {
  return memoized(registry, resources, 'v2', () => {
    const body = JSON.stringify(render(resources, registry));
    return { body, etag: `"${hashOf(body)}"` };
  })!;
}

function render(resources: readonly ResourceType[], registry: SchemaRegistry): Json {
  const defs = new DefinitionSet(registry);
  const items = resources.flatMap((rt) => defs.pathsFor(rt)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const paths: Json = {};
  for (const item of items) paths[item.path] = renderPathItem(item);
  const definitions: Json = {};
  for (const name of defs.closure(operationRoots(items))) definitions[name] = toV2Definition(name, defs.get(name)!);
  return {
    swagger: '2.0',
    info: OPENAPI_INFO,
    paths,
    definitions,
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}

/** A definition as Swagger 2.0 can carry it. */
export function toV2Definition(name: string, def: Schema): Json {
  if (name === INT_OR_STRING) {
    return { description: def.description, type: 'string', format: 'int-or-string' };
  }
  if (name === QUANTITY) return { description: def.description, type: 'string' };
  return toV2Schema(def) as Json;
}

function toV2Schema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV2Schema);
  if (!s || typeof s !== 'object') return s;
  const src = s as Record<string, unknown>;
  // {allOf: [{$ref}], description} → {$ref, description} (upstream v2 spelling).
  const allOf = src.allOf as Schema[] | undefined;
  if (allOf?.length === 1 && allOf[0]!.$ref && !src.type) {
    const { allOf: _drop, ...rest } = src;
    return toV2Schema({ ...rest, $ref: allOf[0]!.$ref });
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'oneOf' || k === 'anyOf' || k === 'not' || k === 'nullable') continue;
    if (k === '$ref' && typeof v === 'string') out[k] = v.startsWith(REF_PREFIX) ? V2_REF + v.slice(REF_PREFIX.length) : v;
    else if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toV2Schema(pv)]));
    } else if (k === 'default' || k === 'enum' || k === 'x-kubernetes-group-version-kind' || k === 'x-kubernetes-validations') {
      out[k] = v;
    } else out[k] = toV2Schema(v);
  }
  return out;
}

function queryParam(name: string): Json {
  const p = QUERY_PARAMS[name];
  return { uniqueItems: true, type: p?.type ?? 'string', description: p?.description ?? name, name, in: 'query' };
}

function pathParam(name: string): Json {
  return { uniqueItems: true, type: 'string', description: PATH_PARAM_DESCRIPTIONS[name] ?? name, name, in: 'path', required: true };
}

function renderPathItem(item: PathItem): Json {
  const out: Json = { parameters: [...item.pathParams.map(pathParam), queryParam('pretty')] };
  for (const op of item.operations) out[op.method] = renderOperation(op);
  return out;
}

const DESCRIPTIONS: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
const PRODUCES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function renderOperation(op: Operation): Json {
  const params: Json[] = [];
  if (op.body) {
    params.push({
      name: 'body',
      in: 'body',
      required: true,
      schema: op.body.definition ? { $ref: V2_REF + op.body.definition } : { type: 'object' },
    });
  }
  params.push(...op.query.map(queryParam));
  const responses: Json = {};
  for (const r of op.responses) {
    responses[r.code] = {
      description: DESCRIPTIONS[r.code] ?? 'OK',
      schema: r.definition === 'text' ? { type: 'string' } : r.definition ? { $ref: V2_REF + r.definition } : { type: 'object' },
    };
  }
  responses['401'] = { description: 'Unauthorized' };
  const text = op.responses.some((r) => r.definition === 'text');
  return {
    description: op.description,
    consumes: op.body?.patch ?? ['*/*'],
    produces: text ? ['text/plain', 'application/json'] : op.action === 'list' ? [...PRODUCES, 'application/json;stream=watch'] : PRODUCES,
    schemes: ['https'],
    tags: [op.tag],
    operationId: op.operationId,
    ...(params.length ? { parameters: params } : {}),
    responses,
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': op.gvk,
  };
}
