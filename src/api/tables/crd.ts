// Tables for custom resources from a CRD version's additionalPrinterColumns, as upstream's apiextensions
// tableconvertor: NAME plus one column per printer column, cells found with (a subset of) kubectl JSONPath and
// typed by the column type (integer truncates, number, boolean, date → age, string → printed text). Without
// printer columns a CRD gets a single AGE column (upstream serveDefaultColumnsIfEmpty). Pure.
import type { TableColumn, TableConvertor } from '../resource.js';
import type { KubeObject } from '../types.js';
import { humanDuration, parseTimestamp } from '../../util/human-duration.js';
import { DOC } from './descriptions.js';
import { NAME_COLUMN, nameOf } from './format.js';
import { evaluateJsonPath, parseJsonPath, type JsonPathStep } from './jsonpath.js';

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

const DEFAULT_COLUMNS: PrinterColumn[] = [
  { name: 'Age', type: 'date', description: DOC['meta.v1.ObjectMeta.creationTimestamp'], jsonPath: '.metadata.creationTimestamp' },
];

const COLUMN_TYPES = new Set<TableColumn['type']>(['string', 'integer', 'number', 'boolean', 'date']);

/**
 * Builds the convertor. A column whose JSONPath does not parse ends the list there, as upstream returns the
 * columns built so far together with its error.
 */
export function crdTableConvertor(columns: PrinterColumn[]): TableConvertor {
  const source = columns.length > 0 ? columns : DEFAULT_COLUMNS;
  const defs: TableColumn[] = [NAME_COLUMN];
  const paths: JsonPathStep[][] = [];
  for (const col of source) {
    let steps: JsonPathStep[];
    try {
      steps = parseJsonPath(col.jsonPath);
    } catch {
      break;
    }
    paths.push(steps);
    const def: TableColumn = {
      name: col.name,
      type: COLUMN_TYPES.has(col.type as TableColumn['type']) ? (col.type as TableColumn['type']) : 'string',
      description: col.description ? col.description : `Custom resource definition column (in JSONPath format): ${col.jsonPath}`,
      priority: col.priority ?? 0,
    };
    if (col.format) def.format = col.format;
    defs.push(def);
  }
  return {
    columns: defs,
    row(obj: KubeObject, now: Date): unknown[] {
      const cells: unknown[] = [nameOf(obj)];
      for (let i = 0; i < paths.length; i++) {
        let results: unknown[];
        try {
          results = evaluateJsonPath(paths[i], obj);
        } catch {
          cells.push(null);
          continue;
        }
        if (results.length === 0) {
          cells.push(null);
          continue;
        }
        cells.push(cellFor(defs[i + 1].type, results[0], now));
      }
      return cells;
    },
  };
}

/** upstream cellForJSONValue, plus the JSONPath text printing used for "string" columns. */
export function cellFor(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return printJsonPathValue(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = parseTimestamp(value);
      if (t === undefined) return '<unknown>';
      if (Number.isNaN(t)) return '<invalid>';
      return humanDuration(now.getTime() - t);
    }
    default:
      return null;
  }
}

/** How kubectl's JSONPath prints one result: text for scalars, compact JSON (sorted keys) for maps and lists. */
export function printJsonPathValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatGoNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(sortKeys(value));
}

/** Go's %v for JSON numbers: integers as such, other floats in shortest form with Go's exponent style. */
function formatGoNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(n);
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
