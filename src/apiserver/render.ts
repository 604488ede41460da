// Shapes a handler's result into what the client negotiated — the object itself, a meta.k8s.io Table
// (kubectl get), or PartialObjectMetadata(List) — and encodes it as JSON or YAML. Pure.
import { stringify as yamlStringify } from 'yaml';
import type { ResourceType } from '../api/resource.js';
import type { KubeObject } from '../api/types.js';
import { buildTable } from '../api/tables/index.js';
import { errors } from '../api/errors.js';
import type { Encoding, ResponseShape } from './negotiation.js';
import type { ListObject } from './rest/types.js';

export type IncludeObject = 'Metadata' | 'Object' | 'None';

/**
 * A response whose JSON the handler already has (spliced from cached fragments): sent as is when the client
 * negotiated the object itself as JSON; tables, metadata-only shapes and YAML use `value()` instead.
 */
export class PreEncodedJson {
  constructor(
    readonly json: () => string | Uint8Array,
    readonly value: () => unknown,
  ) {}
}

export function includeObjectOf(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'Metadata' || v === 'Object' || v === 'None') return v;
  throw errors.badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

export function isList(v: unknown): v is ListObject {
  return typeof v === 'object' && v !== null && Array.isArray((v as { items?: unknown }).items) && typeof (v as { kind?: unknown }).kind === 'string' && (v as { kind: string }).kind.endsWith('List');
}

function isKubeObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && typeof (v as { metadata?: unknown }).metadata === 'object' && (v as { kind?: unknown }).kind !== 'Status';
}

/** The value to send for a resource response in the negotiated shape. Status objects pass through. */
export function shapeResponse(
  rt: ResourceType,
  value: unknown,
  shape: ResponseShape,
  include: IncludeObject,
  opts: { noHeaders?: boolean } = {},
): unknown {
  if (value instanceof PreEncodedJson) {
    if (shape.kind === 'object') return value;
    value = value.value();
  }
  if (shape.kind === 'object') return value;
  if (shape.kind === 'table') {
    if (isList(value)) {
      return withTableVersion(buildTable(value.items, rt.strategy.table, {
        includeObject: include,
        resourceVersion: value.metadata.resourceVersion,
        continue: value.metadata.continue,
        remainingItemCount: value.metadata.remainingItemCount,
        apiVersionOfItems: value.apiVersion,
        kindOfItems: rt.kind,
        now: new Date(),
        noHeaders: opts.noHeaders,
      }), shape.version);
    }
    if (isKubeObject(value)) {
      return withTableVersion(buildTable([value], rt.strategy.table, {
        includeObject: include,
        resourceVersion: value.metadata.resourceVersion ?? '',
        apiVersionOfItems: value.apiVersion ?? '',
        kindOfItems: rt.kind,
        now: new Date(),
        noHeaders: opts.noHeaders,
      }), shape.version);
    }
    return value;
  }
  // PartialObjectMetadata
  const apiVersion = `meta.k8s.io/${shape.version}`;
  if (isList(value)) {
    return {
      kind: 'PartialObjectMetadataList',
      apiVersion,
      metadata: value.metadata,
      items: value.items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion, metadata: o.metadata })),
    };
  }
  if (isKubeObject(value)) return { kind: 'PartialObjectMetadata', apiVersion, metadata: value.metadata };
  return value;
}

function withTableVersion<T extends { apiVersion: string }>(table: T, version: 'v1' | 'v1beta1'): T {
  if (version !== 'v1') table.apiVersion = `meta.k8s.io/${version}`;
  return table;
}

export function encode(value: unknown, encoding: Encoding): { body: string | Uint8Array; contentType: string } {
  if (value instanceof PreEncodedJson) {
    if (encoding !== 'yaml') return { body: value.json(), contentType: 'application/json' };
    value = value.value();
  }
  if (encoding === 'yaml') return { body: yamlStringify(value), contentType: 'application/yaml' };
  return { body: JSON.stringify(value), contentType: 'application/json' };
}
