// Field selectors as upstream's k8s.io/apimachinery/pkg/fields: `a=b,c!=d,e==f` with backslash escapes
// (`\,` `\=` `\\`), matched against a per-kind getter. Unsupported fields fail with upstream's
// `field label not supported: <field>` (400). Pure; the kind-specific getters live in src/api/kinds/.
import { errors } from '../api/errors.js';

export interface FieldRequirement {
  field: string;
  /** `==` is normalised to `=`. */
  operator: '=' | '!=';
  value: string;
}

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  empty(): boolean {
    return this.requirements.length === 0;
  }

  /** `get` returns the object's value for a field; absent counts as "" (as upstream's fields.Set). */
  matches(get: (field: string) => string | undefined): boolean {
    for (const r of this.requirements) {
      const v = get(r.field) ?? '';
      if (r.operator === '=' ? v !== r.value : v === r.value) return false;
    }
    return true;
  }

  /** The value the selector pins a field to (`field=value`), for index lookups (e.g. spec.nodeName). */
  exactValue(field: string): string | undefined {
    for (const r of this.requirements) if (r.field === field && r.operator === '=') return r.value;
    return undefined;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

export function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Upstream's UnescapeValue. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw errors.badRequest(`invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
      continue;
    }
    if (c === '\\') {
      inSlash = true;
      continue;
    }
    if (c === ',' || c === '=') {
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    }
    out += c;
  }
  if (inSlash) throw errors.badRequest('invalid escape sequence: \\');
  return out;
}

function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function splitTerm(term: string): [string, '=' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op === '!=' ? '!=' : '=', term.slice(i + op.length)];
    }
  }
  return undefined;
}

/**
 * Parse `?fieldSelector=`. `supported` says whether a field label is served for the kind; every kind
 * supports metadata.name and metadata.namespace. Throws StatusError 400.
 */
export function parseFieldSelector(input: string, supported?: (field: string) => boolean): FieldSelector {
  const reqs: FieldRequirement[] = [];
  if (input === '') return new FieldSelector(reqs);
  for (const term of splitTerms(input)) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (!parts) throw errors.badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    const [field, operator, raw] = parts;
    const value = unescapeValue(raw);
    if (supported && field !== 'metadata.name' && field !== 'metadata.namespace' && !supported(field)) {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
    reqs.push({ field, operator, value });
  }
  return new FieldSelector(reqs);
}
