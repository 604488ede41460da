// The subset of kubectl JSONPath that CRD additionalPrinterColumns use (`.spec.replicas`, `.metadata.labels.a\.b`,
// `.items[0]`, `[-1]`, `[1:3]`, `[*]`, `['key']`, `..name`, `[?(@.type=="Ready")].status`), evaluated the way
// client-go's jsonpath does with AllowMissingKeys(true): a missing key or index yields no result rather than an
// error. Pure: parse once, evaluate many times; never throws from evaluate except for comparisons upstream
// rejects too (callers turn that into an empty cell).

export type JsonPathStep =
  | { op: 'field'; names: string[] }
  | { op: 'wildcard' }
  | { op: 'recursive' }
  | { op: 'index'; indexes: number[] }
  | { op: 'slice'; start?: number; end?: number; step?: number }
  | { op: 'filter'; left: JsonPathStep[]; operator?: FilterOperator; right?: FilterOperand };

type FilterOperator = '==' | '!=' | '<' | '>' | '<=' | '>=';
type FilterOperand = { path: JsonPathStep[] } | { literal: string | number | boolean };

export class JsonPathError extends Error {}

/** Parses a JSONPath expression such as `.status.conditions[?(@.type=="Ready")].status` (braces optional). */
export function parseJsonPath(expr: string): JsonPathStep[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  if (s === '' || s === '.') return [];
  return new Parser(s).steps();
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  steps(): JsonPathStep[] {
    const out: JsonPathStep[] = [];
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '.') {
        if (this.s[this.i + 1] === '.') {
          this.i += 2;
          out.push({ op: 'recursive' });
          if (this.s[this.i] === '[') continue;
        } else {
          this.i += 1;
        }
        if (this.s[this.i] === '*') {
          this.i += 1;
          out.push({ op: 'wildcard' });
          continue;
        }
        const name = this.fieldName();
        if (name === '') {
          if (this.i >= this.s.length) break; // a trailing "." selects the current value
          throw new JsonPathError(`unrecognized character in path at ${this.i}: ${this.s}`);
        }
        out.push({ op: 'field', names: [name] });
      } else if (c === '[') {
        out.push(this.bracket());
      } else {
        throw new JsonPathError(`unrecognized character in path at ${this.i}: ${this.s}`);
      }
    }
    return out;
  }

  private fieldName(): string {
    let name = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\' && this.i + 1 < this.s.length) {
        name += this.s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (c === '.' || c === '[' || c === ']' || c === ' ' || c === ')' || '!<>='.includes(c)) break;
      name += c;
      this.i += 1;
    }
    return name;
  }

  private bracket(): JsonPathStep {
    const close = this.findClose();
    const inner = this.s.slice(this.i + 1, close).trim();
    this.i = close + 1;
    if (inner === '*') return { op: 'wildcard' };
    if (inner.startsWith('?(') && inner.endsWith(')')) return parseFilter(inner.slice(2, -1).trim());
    if (inner.startsWith("'") || inner.startsWith('"')) {
      const names = splitTopLevel(inner, ',').map((part) => unquote(part.trim()));
      return { op: 'field', names };
    }
    if (inner.includes(':')) {
      const parts = inner.split(':').map((p) => p.trim());
      if (parts.length > 3) throw new JsonPathError(`invalid array slice [${inner}]`);
      const num = (p: string | undefined): number | undefined => (p === undefined || p === '' ? undefined : toInt(p));
      return { op: 'slice', start: num(parts[0]), end: num(parts[1]), step: num(parts[2]) };
    }
    const indexes = inner.split(',').map((p) => toInt(p.trim()));
    return { op: 'index', indexes };
  }

  /** Index of the "]" closing the bracket at this.i, skipping quoted text and nested parentheses. */
  private findClose(): number {
    let depth = 0;
    let quote = '';
    for (let j = this.i + 1; j < this.s.length; j++) {
      const c = this.s[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = '';
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      else if (c === '(' || c === '[') depth++;
      else if (c === ')') depth--;
      else if (c === ']') {
        if (depth === 0) return j;
        depth--;
      }
    }
    throw new JsonPathError(`unterminated array index in ${this.s}`);
  }
}

function toInt(p: string): number {
  if (!/^-?\d+$/.test(p)) throw new JsonPathError(`invalid array index ${p}`);
  return Number(p);
}

function unquote(p: string): string {
  const q = p[0];
  if ((q !== "'" && q !== '"') || p[p.length - 1] !== q || p.length < 2) throw new JsonPathError(`invalid key ${p}`);
  return p.slice(1, -1).replace(/\\(.)/g, '$1');
}

function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let quote = '';
  let start = 0;
  for (let j = 0; j < s.length; j++) {
    const c = s[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === sep) {
      out.push(s.slice(start, j));
      start = j + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

const OPERATORS: FilterOperator[] = ['==', '!=', '<=', '>=', '<', '>'];

function parseFilter(expr: string): JsonPathStep {
  // Find the operator outside quotes.
  let quote = '';
  for (let j = 0; j < expr.length; j++) {
    const c = expr[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      continue;
    }
    for (const op of OPERATORS) {
      if (expr.startsWith(op, j)) {
        const left = parseOperandPath(expr.slice(0, j).trim());
        const right = parseOperand(expr.slice(j + op.length).trim());
        return { op: 'filter', left, operator: op, right };
      }
    }
  }
  return { op: 'filter', left: parseOperandPath(expr) };
}

function parseOperandPath(s: string): JsonPathStep[] {
  if (!s.startsWith('@')) throw new JsonPathError(`unrecognized filter operand ${s}`);
  const rest = s.slice(1);
  if (rest === '') return [];
  return new Parser(rest).steps();
}

function parseOperand(s: string): FilterOperand {
  if (s.startsWith('@')) return { path: parseOperandPath(s) };
  if (s.startsWith("'") || s.startsWith('"')) return { literal: unquote(s) };
  if (s === 'true' || s === 'false') return { literal: s === 'true' };
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s)) return { literal: Number(s) };
  throw new JsonPathError(`unrecognized filter operand ${s}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Evaluates parsed steps against a JSON value; returns every match in document order. */
export function evaluateJsonPath(steps: JsonPathStep[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k];
    if (step.op === 'recursive') {
      current = current.flatMap((v) => descendants(v));
      continue;
    }
    current = apply(step, current);
  }
  return current;
}

function descendants(v: unknown): unknown[] {
  const out: unknown[] = [v];
  if (Array.isArray(v)) for (const x of v) out.push(...descendants(x));
  else if (isObject(v)) for (const key of Object.keys(v)) out.push(...descendants(v[key]));
  return out;
}

function apply(step: Exclude<JsonPathStep, { op: 'recursive' }>, input: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of input) {
    switch (step.op) {
      case 'field':
        if (!isObject(v)) break;
        for (const name of step.names) {
          if (Object.prototype.hasOwnProperty.call(v, name) && v[name] !== undefined) out.push(v[name]);
        }
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...v);
        else if (isObject(v)) for (const key of Object.keys(v).sort()) out.push(v[key]);
        break;
      case 'index':
        if (!Array.isArray(v)) break;
        for (const raw of step.indexes) {
          const idx = raw < 0 ? raw + v.length : raw;
          if (idx >= 0 && idx < v.length) out.push(v[idx]);
        }
        break;
      case 'slice': {
        if (!Array.isArray(v)) break;
        const len = v.length;
        const norm = (n: number | undefined, dflt: number): number => {
          if (n === undefined) return dflt;
          const x = n < 0 ? n + len : n;
          return Math.min(Math.max(x, 0), len);
        };
        const stepBy = step.step === undefined || step.step === 0 ? 1 : step.step;
        const start = norm(step.start, 0);
        const end = norm(step.end, len);
        if (stepBy > 0) for (let j = start; j < end; j += stepBy) out.push(v[j]);
        break;
      }
      case 'filter': {
        if (!Array.isArray(v)) throw new JsonPathError('value is not an array or slice and cannot be filtered');
        for (const el of v) if (filterMatches(step, el)) out.push(el);
        break;
      }
    }
  }
  return out;
}

function filterMatches(step: Extract<JsonPathStep, { op: 'filter' }>, el: unknown): boolean {
  const lefts = evaluateJsonPath(step.left, el);
  if (step.operator === undefined || step.right === undefined) return lefts.length > 0;
  if (lefts.length === 0) return false;
  if (lefts.length > 1) throw new JsonPathError('can only compare one element at a time');
  let right: unknown;
  if ('path' in step.right) {
    const rights = evaluateJsonPath(step.right.path, el);
    if (rights.length === 0) return false;
    if (rights.length > 1) throw new JsonPathError('can only compare one element at a time');
    right = rights[0];
  } else {
    right = step.right.literal;
  }
  return compare(lefts[0], step.operator, right);
}

function compare(left: unknown, op: FilterOperator, right: unknown): boolean {
  if (op === '==' || op === '!=') {
    if (typeof left !== typeof right || (typeof left !== 'string' && typeof left !== 'number' && typeof left !== 'boolean')) {
      throw new JsonPathError('incompatible types for comparison');
    }
    return (left === right) === (op === '==');
  }
  const bothNumbers = typeof left === 'number' && typeof right === 'number';
  const bothStrings = typeof left === 'string' && typeof right === 'string';
  if (!bothNumbers && !bothStrings) throw new JsonPathError('invalid type for comparison');
  const l = left as number | string;
  const r = right as number | string;
  switch (op) {
    case '<':
      return l < r;
    case '>':
      return l > r;
    case '<=':
      return l <= r;
    default:
      return l >= r;
  }
}
