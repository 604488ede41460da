// Assembles a meta.k8s.io/v1 Table from objects and a convertor, as upstream's asTable + TableGenerator with
// Wide=true (the server always sends every column; kubectl hides priority>0 ones unless -o wide). Rows carry
// PartialObjectMetadata so `kubectl get -A` and `--show-labels` can fill NAMESPACE and LABELS. Pure: no I/O,
// no clock reads.
import type { TableConvertor } from '../resource.js';
import type { KubeObject } from '../types.js';
import { defaultTableConvertor } from './default.js';
import type { ConditionalTableConvertor, TableColumnDefinition, TableObject, TableRow } from './types.js';

export interface BuildTableOptions {
  includeObject: 'Metadata' | 'Object' | 'None';
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  /** apiVersion and kind written into full row objects (includeObject=Object). */
  apiVersionOfItems: string;
  kindOfItems: string;
  now: Date;
  noHeaders?: boolean;
}

export function columnDefinitions(convertor: TableConvertor): TableColumnDefinition[] {
  return convertor.columns.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description,
    priority: c.priority,
  }));
}

export function buildTable(objects: KubeObject[], convertor: TableConvertor | undefined, opts: BuildTableOptions): TableObject {
  const conv: ConditionalTableConvertor = convertor ?? defaultTableConvertor;
  const rows: TableRow[] = objects.map((obj) => {
    const row: TableRow = { cells: conv.row(obj, opts.now) };
    const conditions = conv.conditions?.(obj);
    if (conditions && conditions.length > 0) row.conditions = conditions.map((c) => ({ ...c }));
    if (opts.includeObject === 'Metadata') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
    } else if (opts.includeObject === 'Object') {
      const { apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
      row.object = { apiVersion: opts.apiVersionOfItems, kind: opts.kindOfItems, ...rest };
    }
    return row;
  });
  const metadata: TableObject['metadata'] = {};
  if (opts.resourceVersion) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? null : columnDefinitions(conv),
    rows,
  };
}
