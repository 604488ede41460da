// Decoding of Kubernetes protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf). kubectl
// 1.32's typed clients send every built-in kind this way (create namespace/deployment/secret/..., autoscale,
// auth can-i, create token, drain's DeleteOptions) and never retry with JSON. A body is the magic `k8s\0`
// followed by a runtime.Unknown envelope {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}; `raw`
// is the object's own message, decoded generically (protobuf/decode.ts) from the field tables kubectl itself
// embeds (protobuf/descriptors.json) into the JSON object upstream would produce, with apiVersion and kind
// set. Malformed input is a StatusError 400, a kind with no protobuf schema (custom resources) a 415; this
// module must never throw anything else and does no I/O beyond loading the tables once.

import { StatusError, errors } from '../api/errors.js';
import { decodeMessage, type JsonObject } from './protobuf/decode.js';
import { messageDesc, messageForKind } from './protobuf/descriptors.js';
import { Malformed, WIRE_BYTES, readFields, utf8String, type WireField } from './protobuf/wire.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00); // "k8s\0"

export function isProtobufContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

const EMPTY = new Uint8Array(0);

// ---- runtime.Unknown ----

export interface UnknownEnvelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

function lastBytes(fs: readonly WireField[], no: number, what: string): Uint8Array | undefined {
  let hit: Uint8Array | undefined;
  for (const f of fs) {
    if (f.no !== no) continue;
    if (f.wire !== WIRE_BYTES) throw new Malformed(`${what}: expected length-delimited data`);
    hit = f.bytes;
  }
  return hit;
}

function lastString(fs: readonly WireField[], no: number, what: string): string {
  const b = lastBytes(fs, no, what);
  return b ? utf8String(b, what) : '';
}

/** Strips the magic and decodes the runtime.Unknown envelope (typeMeta: 1 apiVersion, 2 kind). */
export function decodeUnknown(body: Uint8Array): UnknownEnvelope {
  return guard(() => {
    if (body.length < PROTOBUF_MAGIC.length || !PROTOBUF_MAGIC.every((b, i) => body[i] === b)) {
      throw new Malformed('missing the "k8s\\x00" prefix');
    }
    const fs = readFields(body.subarray(PROTOBUF_MAGIC.length));
    const tm = lastBytes(fs, 1, 'typeMeta');
    const typeMeta = tm ? readFields(tm) : [];
    return {
      apiVersion: lastString(typeMeta, 1, 'typeMeta.apiVersion'),
      kind: lastString(typeMeta, 2, 'typeMeta.kind'),
      raw: lastBytes(fs, 2, 'raw') ?? EMPTY,
      contentEncoding: lastString(fs, 3, 'contentEncoding'),
      contentType: lastString(fs, 4, 'contentType'),
    };
  });
}

// ---- objects ----

/** A decoded object in its JSON form (apiVersion, kind, then the message's own fields). */
export interface DecodedObject {
  apiVersion: string;
  kind: string;
  metadata?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Groups whose objects are requests answered in `status`: what a client puts there is ignored. */
const statusIsOutput = new Set(['authorization.k8s.io', 'authentication.k8s.io']);

/** Decodes a whole protobuf request body (magic + Unknown + object) into the object's JSON form. */
export function decodeProtobufObject(body: Uint8Array): DecodedObject {
  const env = decodeUnknown(body);
  if (!env.apiVersion || !env.kind) throw errors.badRequest('protobuf body has no apiVersion or kind in its typeMeta');
  if (env.contentEncoding) throw errors.badRequest(`unsupported protobuf content encoding "${env.contentEncoding}"`);
  const found = messageForKind(env.apiVersion, env.kind);
  if (!found.found) {
    if (found.knownPackage) throw errors.badRequest(`no kind "${env.kind}" is registered for version "${env.apiVersion}"`);
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format: ${env.apiVersion}, Kind=${env.kind} has no protobuf form; send it as application/json`,
    );
  }
  return guard(() => {
    const desc = messageDesc(found.message)!;
    const fields: JsonObject = decodeMessage(desc, env.raw);
    const out: DecodedObject = { apiVersion: env.apiVersion, kind: env.kind };
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'apiVersion' || k === 'kind') continue;
      out[k] = v;
    }
    if (out.metadata !== undefined && Object.keys(out.metadata).length === 0) delete out.metadata;
    const group = env.apiVersion.includes('/') ? env.apiVersion.slice(0, env.apiVersion.indexOf('/')) : '';
    if (statusIsOutput.has(group)) delete out.status;
    return out;
  });
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StatusError) throw e;
    const why = e instanceof Malformed ? e.message : e instanceof Error ? e.message : String(e);
    throw errors.badRequest(`unable to decode protobuf body: ${why}`);
  }
}

/** The name the API server's body decoder uses. */
export const decodeProtobufBody = decodeProtobufObject;
