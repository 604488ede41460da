// The message tables of the Kubernetes protobuf schema (descriptors.json, generated from kubectl by
// scripts/gen-protobuf-descriptors.ts) and the mapping from an object's apiVersion/kind to its message. Loaded
// lazily on first use; read-only afterwards. It decodes nothing itself.

import { readFileSync } from 'node:fs';

/** FieldDescriptorProto.Type values. */
export const T = {
  DOUBLE: 1, FLOAT: 2, INT64: 3, UINT64: 4, INT32: 5, FIXED64: 6, FIXED32: 7, BOOL: 8, STRING: 9, GROUP: 10,
  MESSAGE: 11, BYTES: 12, UINT32: 13, ENUM: 14, SFIXED32: 15, SFIXED64: 16, SINT32: 17, SINT64: 18,
} as const;

export interface FieldDesc {
  no: number;
  /** The Go JSON name; "" for an embedded struct whose fields are inlined into the parent. */
  json: string;
  type: number;
  repeated: boolean;
  /**
   * Print a zero value (0, false, "", empty bytes) found on the wire: the Go field is a pointer (so it was set
   * on purpose) or has no omitempty. Otherwise the zero is only there because gogo writes every plain field.
   */
  keepZero: boolean;
  /** Full message name (for MESSAGE fields). */
  typeName?: string;
  /** The owning message's full name plus "." plus the JSON name, for per-field policies. */
  path: string;
}

export interface MessageDesc {
  name: string;
  /** A synthetic map<K,V> entry message (key 1, value 2). */
  mapEntry: boolean;
  fields: ReadonlyMap<number, FieldDesc>;
}

/** [number, jsonName, type, flags (1 repeated, 2 keepZero), typeName?] */
type FieldRow = [number, string, number, number, string?];
interface DescriptorFile {
  source: string;
  messages: Record<string, { map?: 1; f: FieldRow[] }>;
}

let table: DescriptorFile['messages'] | undefined;
const cache = new Map<string, MessageDesc>();

function load(): DescriptorFile['messages'] {
  table ??= (JSON.parse(readFileSync(new URL('./descriptors.json', import.meta.url), 'utf8')) as DescriptorFile).messages;
  return table;
}

/** The message called `name` (full proto name without the leading dot), or undefined. */
export function messageDesc(name: string): MessageDesc | undefined {
  const hit = cache.get(name);
  if (hit) return hit;
  const row = Object.hasOwn(load(), name) ? load()[name] : undefined;
  if (!row) return undefined;
  const fields = new Map<number, FieldDesc>();
  for (const [no, json, type, flags, typeName] of row.f) {
    fields.set(no, { no, json, type, repeated: (flags & 1) !== 0, keepZero: (flags & 2) !== 0, typeName, path: `${name}.${json}` });
  }
  const desc: MessageDesc = { name, mapEntry: row.map === 1, fields };
  cache.set(name, desc);
  return desc;
}

let packageSet: Set<string> | undefined;
function packages(): Set<string> {
  packageSet ??= new Set(Object.keys(load()).map((n) => n.replace(/\.[A-Z].*$/, '')));
  return packageSet;
}

export const META_V1 = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Kinds from meta/v1 that are sent as bodies under any group version (e.g. DeleteOptions under "v1"). */
const metaKinds = new Set(['DeleteOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'GetOptions', 'ListOptions', 'Status']);

/** The proto package of an API group version: "" → core, "rbac.authorization.k8s.io" → rbac, else the first label. */
export function protoPackage(apiVersion: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (!/^v[0-9a-z]+$/.test(version)) return undefined;
  if (group === 'meta.k8s.io') return `${META_V1.replace(/\.v1$/, '')}.${version}`;
  const name = group === '' ? 'core' : group === 'rbac.authorization.k8s.io' ? 'rbac' : group.split('.')[0]!;
  if (!/^[a-z0-9]+$/.test(name)) return undefined;
  return `k8s.io.api.${name}.${version}`;
}

export type KindLookup =
  | { found: true; message: string }
  /** The group version has no protobuf schema here (e.g. custom resources): upstream answers 415. */
  | { found: false; knownPackage: false }
  /** The group version is known but has no such object kind. */
  | { found: false; knownPackage: true };

/** The message for an object of this apiVersion and kind. */
export function messageForKind(apiVersion: string, kind: string): KindLookup {
  const pkg = protoPackage(apiVersion);
  if (!pkg) return { found: false, knownPackage: false };
  const knownPackage = packages().has(pkg);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) return { found: false, knownPackage };
  const own = messageDesc(`${pkg}.${kind}`);
  // Objects carry ObjectMeta or ListMeta as field 1; anything else is a nested type, not a kind.
  if (own && own.fields.get(1)?.json === 'metadata') return { found: true, message: own.name };
  if (metaKinds.has(kind) && messageDesc(`${META_V1}.${kind}`)) return { found: true, message: `${META_V1}.${kind}` };
  return { found: false, knownPackage };
}
