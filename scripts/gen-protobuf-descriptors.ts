// Generates src/apiserver/protobuf/descriptors.json: the field tables of every Kubernetes protobuf message Skiff
// can be sent, taken from a kubectl binary. kubectl is built with gogo-protobuf, which embeds each
// k8s.io/api and k8s.io/apimachinery generated.proto as a gzipped FileDescriptorProto; this script finds those
// gzip members (raw-inflated, one member at a time), parses the descriptors with a small hand-written protobuf reader, and writes a compact,
// deterministic table. It must not depend on anything but Node; it only reads the binary and writes one file.
//
// Usage: node --import tsx scripts/gen-protobuf-descriptors.ts [path-to-kubectl]
//
// Output shape (see src/apiserver/protobuf/descriptors.ts for the reader):
//   { "source": "...", "messages": { "<full message name>": { "map"?: 1, "f": [[number, jsonName, type,
//     flags, typeName?], ...] }, ... } }
// flags: 1 = repeated; 2 = keep a zero value (0, false, "", empty bytes) when it is on the wire, because Go's
// JSON prints it: the Go field is a pointer (gogoproto.nullable is not false, so gogo wrote it only because it
// was set) or its json tag has no omitempty. Without flag 2, gogo wrote the zero only because the Go field is
// a plain value, and encoding/json would omit it.
// omitempty comes from the Go struct tags stored in the binary (`json:"x,omitempty" ... protobuf:"varint,1,
// opt,name=x"`); where one protobuf tag is shared by fields with different json tags, the OpenAPI `required`
// lists in src/api/schema/builtin-definitions.json decide (openapi-gen marks exactly the fields without
// omitempty as required), and failing both the zero is dropped.
// jsonName "" means the field is inlined into its parent (Go `json:",inline"`).
// type is FieldDescriptorProto.Type (1 double … 18 sint64); typeName is the message's full name without the
// leading dot (enums never occur in Kubernetes protos; they would be kept as varints).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync, constants as zlibConstants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outPath = join(root, 'src', 'apiserver', 'protobuf', 'descriptors.json');

/**
 * Proto packages kept: the API groups Skiff serves, at the versions it serves (v1, and v2 for autoscaling), plus
 * apimachinery (meta/v1, runtime, resource, intstr). Clients send bodies only for served versions.
 */
const keptPackages: RegExp[] = [
  /^k8s\.io\.api\.(core|apps|batch|autoscaling|policy|networking|rbac|coordination|discovery|storage|scheduling|events|authorization|authentication)\.v[12]$/,
  /^k8s\.io\.apimachinery\.pkg\.(apis\.meta\.v1|runtime|runtime\.schema|api\.resource|util\.intstr)$/,
  /^k8s\.io\.apiextensions_apiserver\./,
];

/**
 * Where the Go JSON name differs from the proto field name (found by comparing every field with the OpenAPI
 * definitions in src/api/schema/builtin-definitions.json). "" marks an embedded struct whose fields Go's JSON
 * inlines into the parent (`json:",inline"`).
 */
const jsonNameFixes: Record<string, string> = {
  'k8s.io.api.core.v1.Volume.volumeSource': '',
  'k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource': '',
  'k8s.io.api.core.v1.Probe.handler': '',
  'k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon': '',
  'k8s.io.api.core.v1.ConfigMapEnvSource.localObjectReference': '',
  'k8s.io.api.core.v1.ConfigMapKeySelector.localObjectReference': '',
  'k8s.io.api.core.v1.ConfigMapProjection.localObjectReference': '',
  'k8s.io.api.core.v1.ConfigMapVolumeSource.localObjectReference': '',
  'k8s.io.api.core.v1.SecretEnvSource.localObjectReference': '',
  'k8s.io.api.core.v1.SecretKeySelector.localObjectReference': '',
  'k8s.io.api.core.v1.SecretProjection.localObjectReference': '',
  'k8s.io.api.networking.v1.IngressRule.ingressRuleValue': '',
  'k8s.io.api.networking.v1.IngressClassParametersReference.aPIGroup': 'apiGroup',
  'k8s.io.api.authentication.v1.BoundObjectReference.uID': 'uid',
};

// ---- a minimal protobuf reader (enough for descriptor.proto) ----

interface RawField {
  no: number;
  wire: number;
  int: number;
  bytes: Uint8Array;
}

function readFields(buf: Uint8Array): RawField[] {
  const out: RawField[] = [];
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length) throw new Error('truncated varint');
      const b = buf[p++]!;
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 128;
    }
    throw new Error('varint too long');
  };
  while (p < buf.length) {
    const key = varint();
    const f: RawField = { no: Math.floor(key / 8), wire: key % 8, int: 0, bytes: new Uint8Array(0) };
    if (f.wire === 0) f.int = varint();
    else if (f.wire === 1) p += 8;
    else if (f.wire === 5) p += 4;
    else if (f.wire === 2) {
      const len = varint();
      if (p + len > buf.length) throw new Error('length past end');
      f.bytes = buf.subarray(p, p + len);
      p += len;
    } else throw new Error(`wire type ${f.wire}`);
    out.push(f);
  }
  return out;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const str = (fs: RawField[], no: number): string | undefined => {
  const f = fs.filter((x) => x.no === no).pop();
  return f ? text(f.bytes) : undefined;
};
const num = (fs: RawField[], no: number): number | undefined => fs.filter((x) => x.no === no).pop()?.int;
const msgs = (fs: RawField[], no: number): RawField[][] => fs.filter((x) => x.no === no).map((x) => readFields(x.bytes));

// descriptor.proto field numbers.
const FILE = { name: 1, package: 2, messageType: 4 } as const;
const MESSAGE = { name: 1, field: 2, nestedType: 3, options: 7 } as const;
const MESSAGE_OPTIONS = { mapEntry: 7 } as const;
const FIELD = { name: 1, number: 3, label: 4, type: 5, typeName: 6, options: 8, jsonName: 10 } as const;
const LABEL_REPEATED = 3;
const GOGO_NULLABLE = 65001; // FieldOptions extension (gogoproto.nullable)
const FLAG_REPEATED = 1;
const FLAG_KEEP_ZERO = 2;

type FieldRow = [number, string, number, number] | [number, string, number, number, string];

// ---- Go struct tags ----

/** json tags by the start of the protobuf tag ("varint,1,opt,name=replicas"); several when they differ. */
type TagIndex = Map<string, Set<string>>;

function scanTags(bin: Buffer): TagIndex {
  const text = bin.toString('latin1');
  const re = /json:"([^"\x00-\x1f]*)"(?: [a-zA-Z]+:"[^"\x00-\x1f]*")*? protobuf:"([^"\x00-\x1f]*)"/g;
  const index: TagIndex = new Map();
  for (const m of text.matchAll(re)) {
    const key = m[2]!.split(',').slice(0, 4).join(',');
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(m[1]!);
  }
  return index;
}

const wireWord = (type: number): string =>
  [1, 6, 16].includes(type) ? 'fixed64' : [2, 7, 15].includes(type) ? 'fixed32' : [9, 11, 12].includes(type) ? 'bytes' : type === 17 ? 'zigzag32' : type === 18 ? 'zigzag64' : 'varint';

/** The Go json tag of a field when the binary's tags agree on it, else undefined. */
function goJsonTag(tags: TagIndex, protoName: string, no: number, type: number, repeated: boolean): string | undefined {
  const set = tags.get(`${wireWord(type)},${no},${repeated ? 'rep' : 'opt'},name=${protoName}`);
  return set && set.size === 1 ? [...set][0] : undefined;
}

interface SchemaDefs {
  [name: string]: { required?: string[] };
}
let schemaDefs: SchemaDefs = {};
const stats = { fromTag: 0, fromSchema: 0, dropped: 0 };
let tagIndex: TagIndex = new Map();
interface MessageRow {
  map?: 1;
  f: FieldRow[];
}

/** Messages with hand-written JSON forms, whose Go tags (json:"-") say nothing about their JSON. */
const customJson = new Set([
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io.apimachinery.pkg.runtime.Unknown',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
]);

const applied = new Set<string>();
const mismatches: string[] = [];

function collectMessage(prefix: string, m: RawField[], out: Map<string, MessageRow>): void {
  const name = `${prefix}.${str(m, MESSAGE.name) ?? ''}`;
  const opts = msgs(m, MESSAGE.options)[0];
  const isMap = opts ? num(opts, MESSAGE_OPTIONS.mapEntry) === 1 : false;
  const fields: FieldRow[] = msgs(m, MESSAGE.field)
    .map((f): FieldRow => {
      const protoName = str(f, FIELD.name) ?? '';
      const no = num(f, FIELD.number) ?? 0;
      const type = num(f, FIELD.type) ?? 0;
      const repeated = num(f, FIELD.label) === LABEL_REPEATED;
      // Kubernetes names proto fields after the Go JSON tag; json_name (when protoc filled it in) is the same
      // for every such lowerCamel name, so the proto name is used when json_name is absent.
      const fix = jsonNameFixes[`${name}.${protoName}`];
      const jsonName = fix ?? str(f, FIELD.jsonName) ?? protoName;
      if (fix !== undefined) applied.add(`${name}.${protoName}`);
      const tag = goJsonTag(tagIndex, protoName, no, type, repeated);
      if (customJson.has(name)) {
        // decoded by hand (src/apiserver/protobuf/well-known.ts); their Go JSON is a MarshalJSON method
      } else if (tag !== undefined && tag.split(',')[0] !== jsonName && !tag.startsWith(',inline')) {
        mismatches.push(`${name}.${protoName}: Go json tag "${tag}" but JSON name "${jsonName}"`);
      }
      if (!customJson.has(name) && tag?.startsWith(',inline') && jsonName !== '') mismatches.push(`${name}.${protoName} is inline in Go`);
      const opts = msgs(f, FIELD.options)[0];
      const pointer = !opts || num(opts, GOGO_NULLABLE) !== 0;
      let omitempty: boolean;
      if (tag !== undefined) {
        omitempty = tag.split(',').slice(1).includes('omitempty');
        stats.fromTag++;
      } else {
        const def = schemaDefs[`io.${name.replace(/^k8s\.io\./, 'k8s.')}`];
        omitempty = !(def?.required ?? []).includes(jsonName);
        if (def) stats.fromSchema++;
        else stats.dropped++;
      }
      const flags = (repeated ? FLAG_REPEATED : 0) | (pointer || !omitempty ? FLAG_KEEP_ZERO : 0);
      const row: FieldRow = [no, jsonName, type, flags];
      const typeName = str(f, FIELD.typeName);
      return typeName ? [...row, typeName.replace(/^\./, '')] : row;
    })
    .sort((a, b) => a[0] - b[0]);
  const row: MessageRow = isMap ? { map: 1, f: fields } : { f: fields };
  out.set(name, row);
  for (const nested of msgs(m, MESSAGE.nestedType)) collectMessage(name, nested, out);
}

// ---- scanning the binary ----

interface FoundFile {
  name: string;
  pkg: string;
  messages: RawField[][];
}

function scan(bin: Buffer): FoundFile[] {
  const found = new Map<string, FoundFile>();
  const magic = Buffer.from([0x1f, 0x8b, 0x08]);
  for (let i = bin.indexOf(magic); i >= 0; i = bin.indexOf(magic, i + 1)) {
    // Go's gzip writer sets no optional header fields (FLG 0), so the deflate stream starts 10 bytes in.
    // Raw inflate stops at the end of this member; gunzip would run on into an adjacent member and merge two
    // descriptors into one message.
    if (bin[i + 3] !== 0) continue;
    let out: Buffer;
    try {
      out = inflateRawSync(bin.subarray(i + 10, i + 4 * 1024 * 1024), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      continue;
    }
    if (out[0] !== 0x0a) continue;
    let fs: RawField[];
    try {
      fs = readFields(out);
    } catch {
      continue;
    }
    const name = str(fs, FILE.name) ?? '';
    if (!/^k8s\.io\/.*generated\.proto$/.test(name)) continue;
    const pkg = str(fs, FILE.package) ?? '';
    if (!found.has(name)) found.set(name, { name, pkg, messages: msgs(fs, FILE.messageType) });
  }
  return [...found.values()];
}

function main(): void {
  const candidates = [process.argv[2], '/usr/lib/google-cloud-sdk/bin/kubectl.1.32', '/usr/bin/kubectl'].filter(
    (p): p is string => !!p,
  );
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`no kubectl binary found (tried ${candidates.join(', ')})`);
  const started = Date.now();
  const bin = readFileSync(path);
  tagIndex = scanTags(bin);
  const defsPath = join(root, 'src', 'api', 'schema', 'builtin-definitions.json');
  schemaDefs = existsSync(defsPath) ? (JSON.parse(readFileSync(defsPath, 'utf8')) as SchemaDefs) : {};
  const files = scan(bin);
  const messages = new Map<string, MessageRow>();
  const kept = files.filter((f) => keptPackages.some((re) => re.test(f.pkg)));
  for (const f of kept) for (const m of f.messages) collectMessage(f.pkg, m, messages);

  // Every referenced message must be present, or the decoder would silently drop data.
  const missing = new Set<string>();
  for (const row of messages.values()) for (const f of row.f) if (f[4] && !messages.has(f[4])) missing.add(f[4]);
  if (missing.size) throw new Error(`descriptors reference messages outside the kept packages: ${[...missing].join(', ')}`);

  const unapplied = Object.keys(jsonNameFixes).filter((k) => !applied.has(k));
  if (unapplied.length) throw new Error(`JSON name fixes that match no field (update the table): ${unapplied.join(', ')}`);

  if (mismatches.length) throw new Error(`JSON names disagree with the Go struct tags:\n  ${mismatches.join('\n  ')}`);

  const names = [...messages.keys()].sort();
  const lines = names.map((n) => `    ${JSON.stringify(n)}: ${JSON.stringify(messages.get(n))}`);
  const source = `${path.replace(/^.*\//, '')}: ${kept.length} of ${files.length} embedded generated.proto files`;
  writeFileSync(outPath, `{\n  "source": ${JSON.stringify(source)},\n  "messages": {\n${lines.join(',\n')}\n  }\n}\n`);
  process.stderr.write(
    `gen-protobuf-descriptors: ${source}, ${names.length} messages → ${outPath} in ${Date.now() - started} ms\n` +
      `  packages: ${[...new Set(kept.map((f) => f.pkg))].sort().join(' ')}\n` +
      `  omitempty from Go tags: ${stats.fromTag} fields, from OpenAPI required: ${stats.fromSchema}, unknown (zero dropped): ${stats.dropped}\n`,
  );
}

main();
