// Decoding of Kubernetes protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf), as far as
// clients actually send them to Skiff: kubectl posts `auth can-i` reviews only as protobuf, with no JSON
// retry. A body is the magic `k8s\0` followed by a runtime.Unknown envelope {typeMeta{apiVersion, kind}, raw,
// contentEncoding, contentType}; `raw` is the object's own message. Objects are turned into the JSON shape
// upstream would produce (empty optional strings omitted). Field numbers follow upstream generated.proto.
// Malformed input is a StatusError 400, an unsupported kind a 415; this module must never throw anything
// else and does no I/O.

import { StatusError, errors } from '../api/errors.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00); // "k8s\0"

export function isProtobufContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

// ---- wire reader ----

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

interface Field {
  no: number;
  wire: number;
  /** varint value (wire 0) */
  int: number;
  /** payload (wire 2) */
  bytes: Uint8Array;
}

class Malformed extends Error {}

function readVarint(buf: Uint8Array, pos: { p: number }): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos.p >= buf.length) throw new Malformed('truncated varint');
    const b = buf[pos.p++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return result;
    mul *= 128;
  }
  throw new Malformed('varint longer than 10 bytes');
}

/** All fields of one message, in wire order. Unknown wire types (groups) are malformed. */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  const pos = { p: 0 };
  while (pos.p < buf.length) {
    const key = readVarint(buf, pos);
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (no === 0) throw new Malformed('field number 0');
    const f: Field = { no, wire, int: 0, bytes: EMPTY };
    switch (wire) {
      case VARINT:
        f.int = readVarint(buf, pos);
        break;
      case FIXED64:
        skip(buf, pos, 8);
        break;
      case FIXED32:
        skip(buf, pos, 4);
        break;
      case BYTES: {
        const len = readVarint(buf, pos);
        if (len > buf.length - pos.p) throw new Malformed(`field ${no}: length ${len} runs past the end`);
        f.bytes = buf.subarray(pos.p, pos.p + len);
        pos.p += len;
        break;
      }
      default:
        throw new Malformed(`field ${no}: unsupported wire type ${wire}`);
    }
    out.push(f);
  }
  return out;
}

const EMPTY = new Uint8Array(0);

function skip(buf: Uint8Array, pos: { p: number }, n: number): void {
  if (pos.p + n > buf.length) throw new Malformed('truncated fixed-width field');
  pos.p += n;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function str(f: Field): string {
  if (f.wire !== BYTES) throw new Malformed(`field ${f.no}: expected a string`);
  try {
    return utf8.decode(f.bytes);
  } catch {
    throw new Malformed(`field ${f.no}: invalid UTF-8`);
  }
}

function msg(f: Field): Field[] {
  if (f.wire !== BYTES) throw new Malformed(`field ${f.no}: expected a message`);
  return fields(f.bytes);
}

/** Decodes the string fields named in `names` (field number → JSON name); empty strings are omitted. */
function strings(fs: Field[], names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs) {
    const name = names[f.no];
    if (name === undefined) continue;
    const v = str(f);
    if (v !== '') out[name] = v;
    else delete out[name];
  }
  return out;
}

function stringMap(fs: Field[], no: number): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const f of fs) {
    if (f.no !== no) continue;
    const entry = strings(msg(f), { 1: 'key', 2: 'value' });
    out ??= {};
    out[entry.key ?? ''] = entry.value ?? '';
  }
  return out;
}

function repeatedStrings(fs: Field[], no: number): string[] | undefined {
  const out = fs.filter((f) => f.no === no).map(str);
  return out.length ? out : undefined;
}

function last(fs: Field[], no: number): Field | undefined {
  for (let i = fs.length - 1; i >= 0; i--) if (fs[i]!.no === no) return fs[i];
  return undefined;
}

// ---- runtime.Unknown ----

export interface UnknownEnvelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** Strips the magic and decodes the runtime.Unknown envelope. */
export function decodeUnknown(body: Uint8Array): UnknownEnvelope {
  return guard(() => {
    if (body.length < PROTOBUF_MAGIC.length || !PROTOBUF_MAGIC.every((b, i) => body[i] === b)) {
      throw new Malformed('missing the "k8s\\x00" prefix');
    }
    const fs = fields(body.subarray(PROTOBUF_MAGIC.length));
    const tm = last(fs, 1);
    const typeMeta = tm ? strings(msg(tm), { 1: 'apiVersion', 2: 'kind' }) : {};
    const raw = last(fs, 2);
    if (raw && raw.wire !== BYTES) throw new Malformed('field 2: expected bytes');
    const rest = strings(fs, { 3: 'contentEncoding', 4: 'contentType' });
    return {
      apiVersion: typeMeta.apiVersion ?? '',
      kind: typeMeta.kind ?? '',
      raw: raw ? raw.bytes : EMPTY,
      contentEncoding: rest.contentEncoding ?? '',
      contentType: rest.contentType ?? '',
    };
  });
}

// ---- objects ----

/** A decoded object in its JSON form (apiVersion, kind, metadata?, spec). */
export interface DecodedObject {
  apiVersion: string;
  kind: string;
  metadata?: Record<string, unknown>;
  spec: Record<string, unknown>;
  [field: string]: unknown;
}

type SpecDecoder = (spec: Field[]) => Record<string, unknown>;

function resourceAttributes(fs: Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = strings(fs, {
    1: 'namespace',
    2: 'verb',
    3: 'group',
    4: 'version',
    5: 'resource',
    6: 'subresource',
    7: 'name',
  });
  const fsel = last(fs, 8);
  if (fsel) out.fieldSelector = selectorAttributes(msg(fsel));
  const lsel = last(fs, 9);
  if (lsel) out.labelSelector = selectorAttributes(msg(lsel));
  return out;
}

/** Field/LabelSelectorAttributes: rawSelector 1, requirements 2 {key 1, operator 2, values 3}. */
function selectorAttributes(fs: Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = strings(fs, { 1: 'rawSelector' });
  const reqs = fs
    .filter((f) => f.no === 2)
    .map((f) => {
      const r = msg(f);
      const req: Record<string, unknown> = strings(r, { 1: 'key', 2: 'operator' });
      const values = repeatedStrings(r, 3);
      if (values) req.values = values;
      return req;
    });
  if (reqs.length) out.requirements = reqs;
  return out;
}

/** SelfSubjectAccessReviewSpec / SubjectAccessReviewSpec fields 1 and 2 (shared by all access reviews). */
function accessReviewAttributes(fs: Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ra = last(fs, 1);
  if (ra) out.resourceAttributes = resourceAttributes(msg(ra));
  const nra = last(fs, 2);
  if (nra) out.nonResourceAttributes = strings(msg(nra), { 1: 'path', 2: 'verb' });
  return out;
}

/** SubjectAccessReviewSpec: attributes plus user 3, groups 4, extra 5 (map to ExtraValue{items 1}), uid 6. */
function subjectAccessReviewSpec(fs: Field[]): Record<string, unknown> {
  const out = { ...accessReviewAttributes(fs), ...strings(fs, { 3: 'user', 6: 'uid' }) };
  const groups = repeatedStrings(fs, 4);
  if (groups) out.groups = groups;
  const extra: Record<string, string[]> = {};
  for (const f of fs.filter((x) => x.no === 5)) {
    const entry = msg(f);
    const key = strings(entry, { 1: 'key' }).key ?? '';
    const value = last(entry, 2);
    extra[key] = value ? (repeatedStrings(msg(value), 1) ?? []) : [];
  }
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}

const decoders: Record<string, SpecDecoder> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': accessReviewAttributes,
  'authorization.k8s.io/v1/SubjectAccessReview': subjectAccessReviewSpec,
  'authorization.k8s.io/v1/LocalSubjectAccessReview': subjectAccessReviewSpec,
  'authorization.k8s.io/v1/SelfSubjectRulesReview': (fs) => strings(fs, { 1: 'namespace' }),
};

/** The kinds this module can decode, as "group/version/Kind". */
export const decodableKinds: readonly string[] = Object.keys(decoders);

/** ObjectMeta: name 1, generateName 2, namespace 3, labels 11, annotations 12 (the rest is server-set). */
function objectMeta(fs: Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = strings(fs, { 1: 'name', 2: 'generateName', 3: 'namespace' });
  const labels = stringMap(fs, 11);
  if (labels) out.labels = labels;
  const annotations = stringMap(fs, 12);
  if (annotations) out.annotations = annotations;
  return out;
}

/**
 * Decodes a whole protobuf request body (magic + Unknown + object) into the object's JSON form.
 * Status (field 3 of the reviews) is ignored: the server fills it in.
 */
export function decodeProtobufObject(body: Uint8Array): DecodedObject {
  const env = decodeUnknown(body);
  if (!env.apiVersion || !env.kind) throw errors.badRequest('protobuf body has no apiVersion or kind in its typeMeta');
  const gvk = `${env.apiVersion}/${env.kind}`;
  const decode = decoders[gvk];
  if (!decode) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `Skiff decodes protobuf request bodies only for ${decodableKinds.join(', ')}; send ${env.kind} as application/json`,
    );
  }
  if (env.contentEncoding) throw errors.badRequest(`unsupported protobuf content encoding "${env.contentEncoding}"`);
  return guard(() => {
    const fs = fields(env.raw);
    const out: DecodedObject = { apiVersion: env.apiVersion, kind: env.kind, spec: {} };
    const meta = last(fs, 1);
    if (meta) {
      const m = objectMeta(msg(meta));
      if (Object.keys(m).length) out.metadata = m;
    }
    const spec = last(fs, 2);
    if (spec) out.spec = decode(msg(spec));
    return out;
  });
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StatusError) throw e;
    const why = e instanceof Malformed ? e.message : String(e);
    throw errors.badRequest(`unable to decode protobuf body: ${why}`);
  }
}

/** The name the API server's body decoder uses. */
export const decodeProtobufBody = decodeProtobufObject;
