// Generates src/api/schema/builtin-definitions.json: OpenAPI v3 component schemas for the built-in kinds,
// named as upstream (io.k8s.api.apps.v1.Deployment, ...). Source of truth:
//   - kubernetes-types (.d.ts with JSDoc): shapes, descriptions, required properties, GVKs;
//   - @kubernetes/client-node's generated models: integer formats (int32 / int64) and doubles;
//   - src/api/schema/list-semantics.ts: patch/list/map extensions that neither of the above carries.
// Run: node --import tsx scripts/gen-builtin-schemas.ts   (deterministic: sorted keys, no pretty printing)
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { atomicStructs, fieldSemantics } from '../src/api/schema/list-semantics.js';
import type { Schema } from '../src/api/schema/types.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const typesDir = join(root, 'node_modules/kubernetes-types');
const modelsDir = join(root, 'node_modules/@kubernetes/client-node/dist/gen/models');
const outFile = join(root, 'src/api/schema/builtin-definitions.json');
const REF = '#/components/schemas/';

interface Source {
  /** Path below kubernetes-types without ".d.ts". */
  file: string;
  /** Definition name prefix. */
  prefix: string;
  /** API group served ("" = core); undefined for non-API packages. */
  group?: string;
  version?: string;
  /** client-node class name prefixes to try, most specific first. */
  client: string[];
}

const apiSource = (file: string, pkg: string, group: string, version: string, clientGroup: string): Source => ({
  file,
  prefix: `io.k8s.api.${pkg}.${version}`,
  group,
  version,
  client: [`${clientGroup}${cap(version)}`, cap(version)],
});

const SOURCES: Source[] = [
  apiSource('core/v1', 'core', '', 'v1', 'Core'),
  apiSource('apps/v1', 'apps', 'apps', 'v1', 'Apps'),
  apiSource('batch/v1', 'batch', 'batch', 'v1', 'Batch'),
  apiSource('autoscaling/v1', 'autoscaling', 'autoscaling', 'v1', 'Autoscaling'),
  apiSource('autoscaling/v2', 'autoscaling', 'autoscaling', 'v2', 'Autoscaling'),
  apiSource('policy/v1', 'policy', 'policy', 'v1', 'Policy'),
  apiSource('networking/v1', 'networking', 'networking.k8s.io', 'v1', 'Networking'),
  apiSource('rbac/v1', 'rbac', 'rbac.authorization.k8s.io', 'v1', 'Rbac'),
  apiSource('coordination/v1', 'coordination', 'coordination.k8s.io', 'v1', 'Coordination'),
  apiSource('discovery/v1', 'discovery', 'discovery.k8s.io', 'v1', 'Discovery'),
  apiSource('storage/v1', 'storage', 'storage.k8s.io', 'v1', 'Storage'),
  apiSource('scheduling/v1', 'scheduling', 'scheduling.k8s.io', 'v1', 'Scheduling'),
  apiSource('events/v1', 'events', 'events.k8s.io', 'v1', 'Events'),
  apiSource('authorization/v1', 'authorization', 'authorization.k8s.io', 'v1', 'Authorization'),
  {
    file: 'apiextensions/v1',
    prefix: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
    group: 'apiextensions.k8s.io',
    version: 'v1',
    client: ['ApiextensionsV1', 'V1'],
  },
  { file: 'meta/v1', prefix: 'io.k8s.apimachinery.pkg.apis.meta.v1', client: ['V1'] },
  { file: 'api/resource', prefix: 'io.k8s.apimachinery.pkg.api.resource', client: [] },
  { file: 'runtime', prefix: 'io.k8s.apimachinery.pkg.runtime', client: [] },
  { file: 'version', prefix: 'io.k8s.apimachinery.pkg.version', client: ['Version'] },
];

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---- integer formats from client-node's generated models ----

type Attr = { name: string; baseName: string; type: string; format: string };
const attrCache = new Map<string, Map<string, Attr> | null>();

function clientAttrs(className: string): Map<string, Attr> | null {
  if (attrCache.has(className)) return attrCache.get(className)!;
  const file = join(modelsDir, `${className}.js`);
  let result: Map<string, Attr> | null = null;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const m = /\.attributeTypeMap = (\[[\s\S]*?\n\]);/.exec(text);
    if (m) {
      const attrs = JSON.parse(m[1]!) as Attr[];
      result = new Map(attrs.map((a) => [a.baseName, a]));
    }
  }
  attrCache.set(className, result);
  return result;
}

const unknownNumberFormats: string[] = [];

function numberSchema(src: Source, owner: string, prop: string): Schema {
  for (const prefix of src.client) {
    const attrs = clientAttrs(`${prefix}${owner}`);
    const a = attrs?.get(prop);
    if (a) {
      if (a.format === 'double' || a.format === 'float') return { type: 'number', format: a.format };
      if (a.format === 'int64' || a.format === 'int32') return { type: 'integer', format: a.format };
      return { type: 'integer' };
    }
  }
  unknownNumberFormats.push(`${src.prefix}.${owner}.${prop}`);
  return { type: 'integer', format: 'int32' };
}

// ---- .d.ts walking ----

interface Parsed {
  src: Source;
  sf: ts.SourceFile;
  /** Local type name → definition name (own declarations and imports). */
  names: Map<string, string>;
}

function parse(src: Source): Parsed {
  const path = join(typesDir, `${src.file}.d.ts`);
  const sf = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const names = new Map<string, string>();
  for (const st of sf.statements) {
    if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) names.set(st.name.text, `${src.prefix}.${st.name.text}`);
  }
  return { src, sf, names };
}

function resolveImports(p: Parsed, all: Map<string, Parsed>): void {
  for (const st of p.sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const target = join(dirname(p.src.file), st.moduleSpecifier.text).replace(/\\/g, '/');
    const other = all.get(target);
    if (!other) throw new Error(`${p.src.file}: import of unknown module ${target}`);
    const bindings = st.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) {
      for (const el of bindings.elements) p.names.set(el.name.text, `${other.src.prefix}.${el.name.text}`);
    }
  }
}

function docOf(node: ts.Node, sf: ts.SourceFile): string | undefined {
  const text = sf.getFullText();
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  const last = ranges.filter((r) => text.slice(r.pos, r.pos + 3) === '/**').pop();
  if (!last) return undefined;
  const raw = text.slice(last.pos + 3, last.end - 2);
  const lines = raw.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  const out = lines.join('\n').trim();
  return out || undefined;
}

function typeToSchema(node: ts.TypeNode, p: Parsed, owner: string, prop: string): Schema {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: 'string' };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
    case ts.SyntaxKind.NumberKeyword:
      return numberSchema(p.src, owner, prop);
  }
  if (ts.isLiteralTypeNode(node)) return { type: 'string' };
  if (ts.isParenthesizedTypeNode(node)) return typeToSchema(node.type, p, owner, prop);
  if (ts.isUnionTypeNode(node)) {
    const kinds = new Set(node.types.map((t) => t.kind));
    if (kinds.has(ts.SyntaxKind.NumberKeyword) && kinds.has(ts.SyntaxKind.StringKeyword)) return { $ref: REF + INT_OR_STRING };
    if (node.types.every((t) => ts.isLiteralTypeNode(t))) return { type: 'string' };
    throw new Error(`${owner}.${prop}: unsupported union ${node.getText()}`);
  }
  if (ts.isArrayTypeNode(node)) return { type: 'array', items: typeToSchema(node.elementType, p, owner, prop) };
  if (ts.isTypeLiteralNode(node)) {
    const index = node.members.find(ts.isIndexSignatureDeclaration);
    if (index?.type) return { type: 'object', additionalProperties: typeToSchema(index.type, p, owner, prop) };
    throw new Error(`${owner}.${prop}: unsupported type literal`);
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === 'Array' && node.typeArguments?.length === 1) {
      return { type: 'array', items: typeToSchema(node.typeArguments[0]!, p, owner, prop) };
    }
    const def = p.names.get(name);
    if (!def) throw new Error(`${owner}.${prop}: unknown type ${name}`);
    return { $ref: REF + def };
  }
  throw new Error(`${owner}.${prop}: unsupported type node ${ts.SyntaxKind[node.kind]}`);
}

function propName(name: ts.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  throw new Error(`unsupported property name ${name.getText()}`);
}

/** Upstream v3 wraps a described $ref property as {allOf: [{$ref}], description}. */
function withDescription(s: Schema, description: string | undefined): Schema {
  if (!description) return s;
  if (s.$ref) return { allOf: [{ $ref: s.$ref }], description };
  return { ...s, description };
}

function literalOf(member: ts.TypeElement | undefined): string | undefined {
  if (!member || !ts.isPropertySignature(member) || !member.type) return undefined;
  const t = member.type;
  if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return t.literal.text;
  return undefined;
}

// Types whose shape is special upstream (not what the TypeScript type says).
function specialDefinition(name: string, description: string | undefined): Schema | undefined {
  const d = description ? { description } : {};
  switch (name) {
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.Time':
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime':
      return { ...d, type: 'string', format: 'date-time' };
    case 'io.k8s.apimachinery.pkg.api.resource.Quantity':
      return { ...d, oneOf: [{ type: 'string' }, { type: 'number' }] };
    case 'io.k8s.apimachinery.pkg.runtime.RawExtension':
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1':
      return { ...d, type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON':
    case 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray':
    case 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool':
    case 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray':
      return { ...d, 'x-kubernetes-preserve-unknown-fields': true };
  }
  return undefined;
}

// kubernetes-types leaves out JSONSchemaProps' x-kubernetes-* properties; CRDs need them not to be pruned.
const JSON_SCHEMA_PROPS_EXTENSIONS: Record<string, Schema> = {
  'x-kubernetes-embedded-resource': {
    type: 'boolean',
    description:
      'x-kubernetes-embedded-resource defines that the value is an embedded Kubernetes runtime.Object, with TypeMeta and ObjectMeta. The type must be object. It is allowed to further restrict the embedded object. kind, apiVersion and metadata are validated automatically. x-kubernetes-preserve-unknown-fields is allowed to be true, but does not have to be if the object is fully specified (up to kind, apiVersion, metadata).',
  },
  'x-kubernetes-int-or-string': {
    type: 'boolean',
    description:
      'x-kubernetes-int-or-string specifies that this value is either an integer or a string. If this is true, an empty type is allowed and type as child of anyOf is permitted if following one of the following patterns:\n\n1) anyOf:\n   - type: integer\n   - type: string\n2) allOf:\n   - anyOf:\n     - type: integer\n     - type: string\n   - ... zero or more',
  },
  'x-kubernetes-list-map-keys': {
    type: 'array',
    items: { type: 'string' },
    description:
      'x-kubernetes-list-map-keys annotates an array with the x-kubernetes-list-type `map` by specifying the keys used as the index of the map.\n\nThis tag MUST only be used on lists that have the "x-kubernetes-list-type" extension set to "map". Also, the values specified for this attribute must be a scalar typed field of the child structure (no nesting is supported).\n\nThe properties specified must either be required or have a default value, to ensure those properties are present for all list items.',
  },
  'x-kubernetes-list-type': {
    type: 'string',
    description:
      'x-kubernetes-list-type annotates an array to further describe its topology. This extension must only be used on lists and may have 3 possible values:\n\n1) `atomic`: the list is treated as a single entity, like a scalar.\n     Atomic lists will be entirely replaced when updated. This extension\n     may be used on any type of list (struct, scalar, ...).\n2) `set`:\n     Sets are lists that must not have multiple items with the same value. Each\n     value must be a scalar, an object with x-kubernetes-map-type `atomic` or an\n     array with x-kubernetes-list-type `atomic`.\n3) `map`:\n     These lists are like maps in that their elements have a non-index key\n     used to identify them. Order is preserved upon merge. The map tag\n     must only be used on a list with elements of type object.\nDefaults to atomic for arrays.',
  },
  'x-kubernetes-map-type': {
    type: 'string',
    description:
      'x-kubernetes-map-type annotates an object to further describe its topology. This extension must only be used when type is object and may have 2 possible values:\n\n1) `granular`:\n     These maps are actual maps (key-value pairs) and each fields are independent\n     from each other (they can each be manipulated by separate actors). This is\n     the default behaviour for all maps.\n2) `atomic`: the list is treated as a single entity, like a scalar.\n     Atomic maps will be entirely replaced when updated.',
  },
  'x-kubernetes-preserve-unknown-fields': {
    type: 'boolean',
    description:
      'x-kubernetes-preserve-unknown-fields stops the API server decoding step from pruning fields which are not specified in the validation schema. This affects fields recursively, but switches back to normal pruning behaviour if nested properties or additionalProperties are specified in the schema. This can either be true or undefined. False is forbidden.',
  },
  'x-kubernetes-validations': {
    type: 'array',
    items: { $ref: REF + 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ValidationRule' },
    description: 'x-kubernetes-validations describes a list of validation rules written in the CEL expression language.',
  },
};

function interfaceDefinition(decl: ts.InterfaceDeclaration, p: Parsed, name: string): Schema {
  const owner = decl.name.text;
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const m of decl.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    const prop = propName(m.name);
    properties[prop] = withDescription(typeToSchema(m.type, p, owner, prop), docOf(m, p.sf));
    if (!m.questionToken) required.push(prop);
  }
  if (name === 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps') {
    Object.assign(properties, JSON_SCHEMA_PROPS_EXTENSIONS);
  }
  const def: Schema = { type: 'object' };
  const description = docOf(decl, p.sf);
  if (description) def.description = description;
  if (Object.keys(properties).length) def.properties = properties;
  if (required.length) def.required = required;
  const apiVersion = literalOf(decl.members.find((m) => m.name && propName(m.name) === 'apiVersion'));
  const kind = literalOf(decl.members.find((m) => m.name && propName(m.name) === 'kind'));
  if (apiVersion && kind) {
    const i = apiVersion.indexOf('/');
    def['x-kubernetes-group-version-kind'] = [
      { group: i < 0 ? '' : apiVersion.slice(0, i), version: i < 0 ? apiVersion : apiVersion.slice(i + 1), kind },
    ];
  }
  return def;
}

function overlaySemantics(defs: Record<string, Schema>): void {
  for (const [defName, fields] of Object.entries(fieldSemantics)) {
    const def = defs[defName];
    if (!def) throw new Error(`list-semantics: unknown definition ${defName}`);
    for (const [field, sem] of Object.entries(fields)) {
      const prop = def.properties?.[field];
      if (!prop) throw new Error(`list-semantics: ${defName} has no property ${field}`);
      if (sem.patchMergeKey) prop['x-kubernetes-patch-merge-key'] = sem.patchMergeKey;
      if (sem.patchStrategy) prop['x-kubernetes-patch-strategy'] = sem.patchStrategy;
      if (sem.listType) prop['x-kubernetes-list-type'] = sem.listType;
      if (sem.listMapKeys) prop['x-kubernetes-list-map-keys'] = sem.listMapKeys;
      if (sem.mapType) prop['x-kubernetes-map-type'] = sem.mapType;
    }
  }
  for (const defName of atomicStructs) {
    const def = defs[defName];
    if (!def) throw new Error(`list-semantics: unknown atomic struct ${defName}`);
    def['x-kubernetes-map-type'] = 'atomic';
  }
}

/** Meta types that upstream tags with every served group version's GVK. */
function addSharedGvks(defs: Record<string, Schema>): void {
  const gvs = SOURCES.filter((s) => s.version !== undefined).map((s) => ({ group: s.group!, version: s.version! }));
  for (const kind of ['DeleteOptions', 'WatchEvent']) {
    const def = defs[`io.k8s.apimachinery.pkg.apis.meta.v1.${kind}`]!;
    def['x-kubernetes-group-version-kind'] = gvs.map((gv) => ({ ...gv, kind }));
  }
  defs['io.k8s.apimachinery.pkg.apis.meta.v1.Status']!['x-kubernetes-group-version-kind'] = [
    { group: '', version: 'v1', kind: 'Status' },
  ];
  // Patch is the request body type of every PATCH operation; any JSON is accepted.
  defs['io.k8s.apimachinery.pkg.apis.meta.v1.Patch'] = {
    description:
      'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function main(): void {
  const parsed = new Map<string, Parsed>();
  for (const src of SOURCES) parsed.set(src.file, parse(src));
  for (const p of parsed.values()) resolveImports(p, parsed);

  const defs: Record<string, Schema> = {};
  for (const p of parsed.values()) {
    for (const st of p.sf.statements) {
      if (!ts.isInterfaceDeclaration(st) && !ts.isTypeAliasDeclaration(st)) continue;
      const name = `${p.src.prefix}.${st.name.text}`;
      const description = docOf(st, p.sf);
      const special = specialDefinition(name, description);
      if (special) defs[name] = special;
      else if (ts.isInterfaceDeclaration(st)) defs[name] = interfaceDefinition(st, p, name);
      else throw new Error(`unhandled type alias ${name}`);
    }
  }
  defs[INT_OR_STRING] = {
    description:
      'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  };
  addSharedGvks(defs);
  overlaySemantics(defs);

  // Every $ref must resolve.
  const missing = new Set<string>();
  JSON.stringify(defs, (k, v: unknown) => {
    if (k === '$ref' && typeof v === 'string' && !defs[v.slice(REF.length)]) missing.add(v);
    return v;
  });
  if (missing.size) throw new Error(`unresolved refs: ${[...missing].join(', ')}`);

  const json = JSON.stringify(sortKeys(defs));
  writeFileSync(outFile, json + '\n');
  if (unknownNumberFormats.length) {
    console.warn(`no client-node format for ${unknownNumberFormats.length} numbers (int32 assumed):`);
    for (const n of unknownNumberFormats) console.warn(`  ${n}`);
  }
  console.log(`wrote ${Object.keys(defs).length} definitions (${json.length} bytes) to ${outFile}`);
}

main();
