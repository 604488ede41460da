// The wire shapes of meta.k8s.io/v1 Table (what `kubectl get` asks for with `as=Table`), plus the optional
// row-conditions hook a convertor may offer. Shapes only; building tables lives in build.ts.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../types.js';
import type { TableConvertor } from '../resource.js';

/** metav1.TableColumnDefinition; every field is always serialized, as upstream does. */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** metav1.TableRowCondition (pods report Completed=True once they succeeded or failed). */
export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: string;
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  /** PartialObjectMetadata (default), the full object (includeObject=Object), or absent (None). */
  object?: PartialObjectMetadata | KubeObject;
}

export interface TableObject {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** null when the client asked for noHeaders (upstream leaves the slice nil). */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

/** A convertor that can also mark rows with conditions (upstream's TableRow.Conditions). */
export interface ConditionalTableConvertor extends TableConvertor {
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
}
