// Cell formatting shared by the per-kind printers, mirroring upstream's printers.go helpers (label and selector
// strings, container layout, "+ N more..." lists, access modes, column builders). Pure string functions; no
// knowledge of any single kind.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { TableColumn } from '../resource.js';
import type { KubeObject } from '../types.js';
import { ageSince } from '../../util/human-duration.js';
import { DOC, type DocKey } from './descriptions.js';

/** Column builder: the description is a DOC key (upstream's SwaggerDoc lookups) or literal text. */
export function column(
  name: string,
  type: TableColumn['type'],
  description: DocKey | { text: string },
  opts: { priority?: number; format?: string } = {},
): TableColumn {
  const text = typeof description === 'string' ? DOC[description] : description.text;
  const col: TableColumn = { name, type, description: text, priority: opts.priority ?? 0 };
  if (opts.format !== undefined) col.format = opts.format;
  return col;
}

export const NAME_COLUMN: TableColumn = column('Name', 'string', 'meta.v1.ObjectMeta.name', { format: 'name' });
export const AGE_COLUMN: TableColumn = column('Age', 'string', 'meta.v1.ObjectMeta.creationTimestamp');
export const CONTAINERS_COLUMN: TableColumn = column('Containers', 'string', { text: 'Names of each container in the template.' }, { priority: 1 });
export const IMAGES_COLUMN: TableColumn = column('Images', 'string', { text: 'Images referenced by each container in the template.' }, { priority: 1 });

/** upstream translateTimestampSince(obj.CreationTimestamp). */
export function age(obj: KubeObject, now: Date): string {
  return ageSince(obj.metadata.creationTimestamp, now);
}

export function nameOf(obj: KubeObject): string {
  return obj.metadata.name ?? '';
}

/** labels.FormatLabels: "a=1,b=2" sorted by key, "<none>" when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${(labels ?? {})[k]}`).join(',');
}

/**
 * metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, In/NotIn values sorted.
 * Returns undefined for selectors upstream cannot convert (unknown operator, bad value count).
 */
export function labelSelectorString(selector: LabelSelector | undefined | null): string | undefined {
  if (!selector) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const key of Object.keys(selector.matchLabels ?? {})) {
    reqs.push({ key, text: `${key}=${(selector.matchLabels ?? {})[key]}` });
  }
  for (const expr of selector.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])].sort();
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return undefined;
        reqs.push({ key: expr.key, text: `${expr.key} ${expr.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})` });
        break;
      case 'Exists':
        if (values.length > 0) return undefined;
        reqs.push({ key: expr.key, text: expr.key });
        break;
      case 'DoesNotExist':
        if (values.length > 0) return undefined;
        reqs.push({ key: expr.key, text: `!${expr.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: "<none>" for empty/nil selectors, "<error>" for unconvertible ones. */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  const s = labelSelectorString(selector);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** layoutContainerCells: comma-joined container names and images. */
export function layoutContainers(containers: { name?: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** listWithMoreString: "a,b,c + 2 more...", "<unset>" when empty. */
export function listWithMore(list: string[], max = 3): string {
  const shown = list.slice(0, max).join(',');
  if (list.length > max) return `${shown} + ${list.length - max} more...`;
  return shown === '' ? '<unset>' : shown;
}

/** helper.GetAccessModesAsString: fixed order RWO, ROX, RWX, RWOP. */
export function accessModesString(modes: string[] | undefined): string {
  const set = new Set(modes ?? []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** net.JoinHostPort: brackets around IPv6 hosts. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** intstr.IntOrString.String(). */
export function intOrString(v: number | string | undefined | null): string {
  return v === undefined || v === null ? '' : String(v);
}

/** A Quantity as upstream prints it; Skiff stores quantities in their submitted form (see report). */
export function quantity(v: unknown): string {
  if (v === undefined || v === null || v === '') return '0';
  return String(v);
}

/** printBoolPtr: "True" / "False" / "<unset>". */
export function boolPtr(v: boolean | undefined | null): string {
  if (v === undefined || v === null) return '<unset>';
  return v ? 'True' : 'False';
}

/** upstream Time.UTC().Format(time.RFC3339): whole seconds, "Z"; Go's zero time when absent. */
export function rfc3339(timestamp: unknown): string {
  if (typeof timestamp === 'string' && timestamp !== '') {
    const ms = Date.parse(timestamp);
    if (!Number.isNaN(ms)) return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }
  return '0001-01-01T00:00:00Z';
}

/** The controlling owner reference, as metav1.GetControllerOf. */
export function controllerOf(obj: KubeObject): { apiVersion: string; kind: string; name: string } | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

/** Untyped read of a nested field, for printers handling several served shapes of one kind. */
export function field(obj: unknown, ...path: string[]): unknown {
  let v: unknown = obj;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}
