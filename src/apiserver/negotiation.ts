// Content negotiation: which representation a client asked for (Accept) and how its body is encoded
// (Content-Type). Pure parsing; the handlers decide what to do with the answer.
import { errors, StatusError } from '../api/errors.js';

export interface MediaType {
  type: string; // e.g. "application/json"
  params: Record<string, string>;
  q: number;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  const out: MediaType[] = [];
  for (const part of header.split(',')) {
    const [rawType, ...rawParams] = part.split(';');
    const type = rawType.trim().toLowerCase();
    if (!type) continue;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rawParams) {
      const i = p.indexOf('=');
      if (i < 0) continue;
      const k = p.slice(0, i).trim().toLowerCase();
      const v = p.slice(i + 1).trim().replace(/^"|"$/g, '');
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 1;
      else params[k] = v;
    }
    out.push({ type, params, q });
  }
  // Stable sort by q (descending) keeps the client's order among equals.
  return out.map((m, i) => ({ m, i })).sort((a, b) => b.m.q - a.m.q || a.i - b.i).map((x) => x.m);
}

/** What shape of response the client wants for an object or list. */
export type ResponseShape =
  | { kind: 'object' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1'; list: boolean };

export type Encoding = 'json' | 'yaml';

export interface Negotiated {
  shape: ResponseShape;
  encoding: Encoding;
}

const jsonTypes = new Set(['application/json', 'application/*', '*/*', 'application/json-patch+json']);
const yamlTypes = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/**
 * Chooses the response for a resource request. Protobuf is not served: when the client also accepts JSON (or
 * anything) we answer JSON, which every Kubernetes client accepts; protobuf-only clients get 406.
 */
export function negotiate(accept: string | undefined): Negotiated {
  const types = parseMediaTypes(accept);
  if (types.length === 0) return { shape: { kind: 'object' }, encoding: 'json' };
  for (const t of types) {
    if (t.q <= 0) continue;
    const enc: Encoding | undefined = jsonTypes.has(t.type) ? 'json' : yamlTypes.has(t.type) ? 'yaml' : undefined;
    if (!enc) continue;
    const as = t.params['as'];
    if (!as) return { shape: { kind: 'object' }, encoding: enc };
    const g = t.params['g'];
    const v = t.params['v'];
    if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
    if (as === 'Table') return { shape: { kind: 'table', version: v }, encoding: enc };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
      return { shape: { kind: 'partial', version: v, list: as === 'PartialObjectMetadataList' }, encoding: enc };
    }
  }
  // Clients such as kubectl top send "application/vnd.kubernetes.protobuf, */*": */* matched above.
  throw errors.notAcceptable(
    'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io',
  );
}

/** True when the client asked for aggregated discovery (exact Content-Type must then be echoed). */
export function wantsAggregatedDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const t of parseMediaTypes(accept)) {
    if (t.type !== 'application/json') continue;
    if (t.params['g'] === 'apidiscovery.k8s.io' && t.params['as'] === 'APIGroupDiscoveryList') {
      if (t.params['v'] === 'v2') return 'v2';
      if (t.params['v'] === 'v2beta1') return 'v2beta1';
    }
    if (!t.params['as']) return undefined; // plain JSON preferred before any aggregated form
  }
  return undefined;
}

export type BodyFormat = 'json' | 'yaml' | 'protobuf';
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export function bodyFormat(contentType: string | undefined): BodyFormat {
  const t = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (t === '' || t === 'application/json' || t === '*/*') return 'json';
  if (yamlTypes.has(t)) return 'yaml';
  if (t === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  throw errors.unsupportedMediaType(t);
}

export function patchType(contentType: string | undefined): PatchType {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  switch (t) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
      return 'apply';
    default:
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
  }
}
