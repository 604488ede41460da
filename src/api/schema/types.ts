// The OpenAPI v3 schema shape Skiff uses internally for every kind (built-in and CRD): validation,
// pruning, strategic-merge/apply list semantics and the published OpenAPI documents all read it.
// References use "#/components/schemas/<definition name>" (the v2 document rewrites them to #/definitions/).

export interface Schema {
  $ref?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  not?: Schema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  'x-kubernetes-patch-merge-key'?: string;
  /** "merge", "replace", "retainKeys" or "merge,retainKeys". */
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-unions'?: unknown[];
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
}

/** A set of named definitions plus $ref resolution. Implemented by src/api/schema/registry.ts. */
export interface SchemaResolver {
  /** Follows $ref (and single-element allOf wrappers) until a concrete schema; undefined if unknown. */
  resolve(schema: Schema | undefined): Schema | undefined;
  /** The definition for a kind's top-level object, undefined when the kind has no schema. */
  forKind(group: string, version: string, kind: string): Schema | undefined;
  /**
   * Changes whenever a definition is added, replaced or removed; a resolver that has one lets walks
   * memoize what they derive from its schemas until it changes.
   */
  readonly generation?: number;
}
