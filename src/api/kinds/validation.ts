// Field-validation building blocks shared by the kind strategies, mirroring upstream's
// apimachinery/pkg/api/validation and pkg/apis/core/validation helpers (messages and field paths as upstream).
// Pure functions returning StatusCauses; metadata of the object itself is validated by the server
// (src/apiserver/rest/object-meta.ts), so only nested metadata (pod templates) is checked here.
import type { LabelSelector as LabelSelectorObject } from 'kubernetes-types/meta/v1.js';
import { cause, type StatusCause } from '../errors.js';
import type { KubeObject } from '../types.js';
import { isQualifiedName, isValidLabelValue } from '../../util/names.js';
import { tryParseQuantity, type Quantity } from '../../util/quantity.js';
import { deepEqual } from '../../util/deep-equal.js';
import { memoByText } from '../../util/text-memo.js';

/** Internal loose view of API objects; strategies read and fill fields by name. Not exported from kinds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = { [k: string]: any };

export function loose(obj: KubeObject): Loose {
  return obj as unknown as Loose;
}

export const IMMUTABLE = 'field is immutable';

/** A cause whose value is already rendered (Go's %#v for maps and structs). */
export function invalidRendered(field: string, rendered: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${rendered}: ${detail}`, field };
}

export function notFound(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(value)}`, field };
}

/** Go's %#v of map[string]string: keys sorted, `map[string]string{"a":"b", "c":"d"}`. */
export function goStringMap(m: Record<string, string> | undefined | null): string {
  if (!m) return 'map[string]string(nil)';
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** Go's %#v of a metav1.LabelSelector, as it appears in "field is immutable" messages. */
export function goLabelSelector(sel: LabelSelectorObject | undefined | null): string {
  if (!sel) return '(*v1.LabelSelector)(nil)';
  const ml = sel.matchLabels ? goStringMap(sel.matchLabels) : 'map[string]string(nil)';
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key)}, Operator:${JSON.stringify(e.operator)}, Values:${
              e.values ? `[]string{${e.values.map((v) => JSON.stringify(v)).join(', ')}}` : '[]string(nil)'
            }}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${exprs}}`;
}

export { deepEqual };

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Upstream ValidateNonnegativeField. */
export function nonNegative(v: unknown, field: string): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (!isInt(v)) return [cause.typeInvalid(field, v, 'must be an integer')];
  return v < 0 ? [cause.invalid(field, v, 'must be greater than or equal to 0')] : [];
}

/** Upstream ValidatePositiveField-style check ("must be greater than 0"). */
export function positive(v: unknown, field: string): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (!isInt(v)) return [cause.typeInvalid(field, v, 'must be an integer')];
  return v <= 0 ? [cause.invalid(field, v, 'must be greater than 0')] : [];
}

export function immutable(newV: unknown, oldV: unknown, field: string, rendered?: string): StatusCause[] {
  if (deepEqual(newV, oldV)) return [];
  return rendered !== undefined ? [invalidRendered(field, rendered, IMMUTABLE)] : [cause.invalid(field, newV ?? null, IMMUTABLE)];
}

export function oneOf(v: unknown, field: string, allowed: string[], required = false): StatusCause[] {
  if (v === undefined || v === null || v === '') return required ? [cause.required(field)] : [];
  return allowed.includes(v as string) ? [] : [cause.notSupported(field, v, allowed)];
}

/** Upstream ValidateLabels on a nested map (e.g. spec.template.metadata.labels, spec.nodeSelector). */
export function validateLabelMap(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [cause.typeInvalid(field, labels, 'must be a map')];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const m of isQualifiedName(k)) out.push(cause.invalid(field, k, m));
    if (typeof v !== 'string') out.push(cause.typeInvalid(field, v, 'must be a string'));
    else for (const m of isValidLabelValue(v)) out.push(cause.invalid(field, v, m));
  }
  return out;
}

export function validateAnnotationMap(ann: unknown, field: string): StatusCause[] {
  if (ann === undefined || ann === null) return [];
  if (typeof ann !== 'object' || Array.isArray(ann)) return [cause.typeInvalid(field, ann, 'must be a map')];
  const out: StatusCause[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(ann as Record<string, unknown>)) {
    for (const m of isQualifiedName(k.toLowerCase())) out.push(cause.invalid(field, k, m));
    total += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (total > 256 * 1024) out.push(cause.tooLong(field, 256 * 1024));
  return out;
}

/** Upstream metav1validation.ValidateLabelSelector. */
export function validateLabelSelector(sel: LabelSelectorObject | undefined | null, field: string): StatusCause[] {
  if (!sel) return [];
  const out: StatusCause[] = [];
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const f = `${field}.matchExpressions[${i}]`;
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!e.values || e.values.length === 0) out.push(cause.required(`${f}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (e.values && e.values.length > 0) out.push(cause.forbidden(`${f}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        out.push(cause.invalid(`${f}.operator`, e.operator, 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(e.key ?? '')) out.push(cause.invalid(`${f}.key`, e.key ?? '', m));
    (e.values ?? []).forEach((v, j) => {
      for (const m of isValidLabelValue(v)) out.push(cause.invalid(`${f}.values[${j}]`, v, m));
    });
  });
  out.push(...validateLabelMap(sel.matchLabels, `${field}.matchLabels`));
  return out;
}

/** True when the selector object is `{}` (selects everything), which workloads reject. */
export function selectorIsEmpty(sel: LabelSelectorObject): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

/**
 * tryParseQuantity with the results of strings kept (Quantity is immutable): every pod's writes parse the
 * same few requests and limits ("100m", "64Mi") for validation and its QoS class. Bounded: emptied when full.
 */
export function parsedQuantity(v: unknown): Quantity | undefined {
  if (typeof v === 'number') return tryParseQuantity(v);
  if (typeof v !== 'string') return undefined;
  return parsedQuantityText(v);
}

const parsedQuantityText = memoByText((text: string) => tryParseQuantity(text));

/** A map of resource quantities (requests, limits, capacity, hard): each value must parse. */
export function validateResourceList(list: unknown, field: string): StatusCause[] {
  if (list === undefined || list === null) return [];
  if (typeof list !== 'object' || Array.isArray(list)) return [cause.typeInvalid(field, list, 'must be a map')];
  const out: StatusCause[] = [];
  const map = list as Record<string, unknown>;
  // Each entry's field path is made only for a cause.
  for (const k in map) {
    if (!Object.prototype.hasOwnProperty.call(map, k)) continue;
    const v = map[k];
    const q = parsedQuantity(v);
    if (!q) {
      out.push(cause.invalid(`${field}[${k}]`, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
      continue;
    }
    if (q.sign() < 0) out.push(cause.invalid(`${field}[${k}]`, v, 'must be greater than or equal to 0'));
  }
  return out;
}

/** IntOrString percentages as upstream's ValidatePositiveIntOrPercent / IsValidPercent. */
export function validateIntOrPercent(v: unknown, field: string): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return v < 0 ? [cause.invalid(field, v, 'must be greater than or equal to 0')] : [];
  if (typeof v === 'string') {
    if (!/^[0-9]+%$/.test(v)) {
      return [
        cause.invalid(
          field,
          v,
          "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        ),
      ];
    }
    return [];
  }
  return [cause.typeInvalid(field, v, 'must be an integer or percentage')];
}

/** Percent value of an IntOrString ("25%" → 25), undefined for integers. */
export function percentOf(v: unknown): number | undefined {
  return typeof v === 'string' && /^[0-9]+%$/.test(v) ? Number.parseInt(v, 10) : undefined;
}

export function isZeroIntOrPercent(v: unknown): boolean {
  return v === 0 || v === '0%' || (typeof v === 'string' && /^0+%$/.test(v));
}

/** Ensure a nested object exists and return it. */
export function ensure(o: Loose, key: string): Loose {
  if (o[key] === undefined || o[key] === null || typeof o[key] !== 'object') o[key] = {};
  return o[key] as Loose;
}

export function setIfAbsent(o: Loose, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}
