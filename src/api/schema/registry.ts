// The set of OpenAPI definitions Skiff knows: the generated built-in definitions plus one definition per
// served CRD version, with $ref resolution and a GVK index. `generation` changes whenever the set changes,
// so derived documents (OpenAPI v2/v3) can be memoized. This module holds data only: no validation, no I/O
// beyond loading the committed JSON file once.
import { readFileSync } from 'node:fs';
import type { Schema, SchemaResolver } from './types.js';
import { innerMap } from '../../util/nested-map.js';

export const REF_PREFIX = '#/components/schemas/';

let builtinCache: Record<string, Schema> | undefined;
const builtinObjects = new WeakSet<Schema>();

/** The generated built-in definitions (loaded once, shared, never mutated). */
export function builtinDefinitions(): Record<string, Schema> {
  if (!builtinCache) {
    builtinCache = JSON.parse(readFileSync(new URL('./builtin-definitions.json', import.meta.url), 'utf8')) as Record<
      string,
      Schema
    >;
    for (const def of Object.values(builtinCache)) builtinObjects.add(def);
  }
  return builtinCache;
}

/** True for a definition object of a built-in (compiled-in upstream) type, as returned by forKind. */
export function isBuiltinDefinition(schema: Schema): boolean {
  return builtinObjects.has(schema);
}

/** Definition name of a ref ("#/components/schemas/x" → "x"); undefined for foreign refs. */
export function refName(ref: string): string | undefined {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

/** Upstream's definition name for a custom resource: reversed group, version, kind ("com.example.v1.Widget"). */
export function customDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

const gvkKey = (group: string, version: string, kind: string) => `${group}/${version}/${kind}`;

export class SchemaRegistry implements SchemaResolver {
  private readonly builtin: Record<string, Schema>;
  private readonly custom = new Map<string, Schema>();
  private readonly gvkIndex = new Map<string, string>();
  private merged: Record<string, Schema> | undefined;
  private gen = 0;
  /** resolve() results by schema node (null: unresolvable), for the current generation. */
  private resolved = new WeakMap<Schema, Schema | null>();
  /** forKind() results by kind, version and group (null: none), for the current generation (no key string per call). */
  private byKind = new Map<string, Map<string, Map<string, Schema | null>>>();
  private byKindCount = 0;

  constructor(builtin: Record<string, Schema> = builtinDefinitions()) {
    this.builtin = builtin;
    for (const [name, def] of Object.entries(builtin)) {
      builtinObjects.add(def);
      this.indexGvks(name, def);
    }
  }

  /** Changes whenever a definition is added, replaced or removed. */
  get generation(): number {
    return this.gen;
  }

  /** All definitions by name (built-in and custom). The returned object must not be mutated. */
  definitions(): Readonly<Record<string, Schema>> {
    if (!this.merged) {
      this.merged = { ...this.builtin };
      for (const [name, def] of this.custom) this.merged[name] = def;
    }
    return this.merged;
  }

  definition(name: string): Schema | undefined {
    return this.custom.get(name) ?? this.builtin[name];
  }

  /** Definition name serving a kind, if any. */
  definitionNameForKind(group: string, version: string, kind: string): string | undefined {
    return this.gvkIndex.get(gvkKey(group, version, kind));
  }

  /** True when the kind is served from a CRD definition (set with setCustomResource). */
  isCustomResource(group: string, version: string, kind: string): boolean {
    return this.custom.has(customDefinitionName(group, version, kind));
  }

  forKind(group: string, version: string, kind: string): Schema | undefined {
    const byGroup = innerMap(innerMap(this.byKind, kind), version);
    let hit = byGroup.get(group);
    if (hit === undefined) {
      const name = this.definitionNameForKind(group, version, kind);
      hit = (name ? this.definition(name) : undefined) ?? null;
      // Bounded: emptied when full (only made-up kinds would fill it).
      if (++this.byKindCount > 4096) {
        this.byKind = new Map();
        this.byKindCount = 0;
      } else byGroup.set(group, hit);
    }
    return hit ?? undefined;
  }

  resolve(schema: Schema | undefined): Schema | undefined {
    if (!schema || (!schema.$ref && !schema.allOf)) return schema;
    // Every request's walks follow the same few hundred $refs: each is looked up once per generation.
    let hit = this.resolved.get(schema);
    if (hit === undefined) {
      hit = this.follow(schema) ?? null;
      this.resolved.set(schema, hit);
    }
    return hit ?? undefined;
  }

  private follow(schema: Schema): Schema | undefined {
    let s: Schema | undefined = schema;
    for (let depth = 0; s && depth < 32; depth++) {
      if (s.$ref) {
        const name = refName(s.$ref);
        s = name ? this.definition(name) : undefined;
        continue;
      }
      if (s.allOf?.length === 1 && !s.type && !s.properties && s.allOf[0]!.$ref) {
        s = s.allOf[0];
        continue;
      }
      return s;
    }
    return s;
  }

  /**
   * Registers (or replaces) the schema of a custom resource version. The schema is the top-level object
   * schema (as produced by crd.ts's crdVersionSchema); it gets the GVK extension here.
   */
  setCustomResource(group: string, version: string, kind: string, schema: Schema): void {
    const name = customDefinitionName(group, version, kind);
    const def: Schema = { ...schema, 'x-kubernetes-group-version-kind': [{ group, version, kind }] };
    const prev = this.custom.get(name);
    if (prev && JSON.stringify(prev) === JSON.stringify(def)) return;
    this.custom.set(name, def);
    this.gvkIndex.set(gvkKey(group, version, kind), name);
    this.changed();
  }

  removeCustomResource(group: string, version: string, kind: string): void {
    const name = customDefinitionName(group, version, kind);
    if (!this.custom.delete(name)) return;
    const key = gvkKey(group, version, kind);
    const builtinName = Object.entries(this.builtin).find(([, d]) =>
      d['x-kubernetes-group-version-kind']?.some((g) => gvkKey(g.group, g.version, g.kind) === key),
    )?.[0];
    if (builtinName) this.gvkIndex.set(key, builtinName);
    else this.gvkIndex.delete(key);
    this.changed();
  }

  private changed(): void {
    this.merged = undefined;
    this.resolved = new WeakMap();
    this.byKind = new Map();
    this.byKindCount = 0;
    this.gen++;
  }

  private indexGvks(name: string, def: Schema): void {
    const gvks = def['x-kubernetes-group-version-kind'];
    // Shared meta types (DeleteOptions, WatchEvent) carry every GV; they never serve a kind of their own.
    if (!gvks || gvks.length !== 1) return;
    const g = gvks[0]!;
    this.gvkIndex.set(gvkKey(g.group, g.version, g.kind), name);
  }
}
