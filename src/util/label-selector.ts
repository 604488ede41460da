// Label selectors as upstream's k8s.io/apimachinery/pkg/labels: the string form used in `?labelSelector=`
// (equality and set-based, `key`, `!key`, `gt`/`lt`), the metav1.LabelSelector object form used in specs,
// and matching. Parse errors are StatusError 400 with upstream's messages. Matching is a hot path (list,
// watch, controllers, scheduler): requirements are pre-sorted and values kept in Sets. No I/O here.
import type { LabelSelector as LabelSelectorObject } from 'kubernetes-types/meta/v1.js';
import { errors, StatusError } from '../api/errors.js';
import { isQualifiedName, isValidLabelValue } from './names.js';

export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted, de-duplicated (as upstream's sets.String). */
  values: string[];
}

type Labels = Record<string, string> | undefined | null;

interface CompiledRequirement extends Requirement {
  set: Set<string>;
}

export class LabelSelector {
  private readonly compiled: CompiledRequirement[];

  constructor(
    requirements: Requirement[],
    /** A nil metav1.LabelSelector selects nothing (upstream labels.Nothing()). */
    readonly matchesNothing = false,
  ) {
    this.compiled = [...requirements]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((r) => ({ ...r, set: new Set(r.values) }));
  }

  get requirements(): readonly Requirement[] {
    return this.compiled;
  }

  /** True when it selects everything. */
  empty(): boolean {
    return !this.matchesNothing && this.compiled.length === 0;
  }

  matches(labels: Labels): boolean {
    if (this.matchesNothing) return false;
    const l = labels ?? {};
    for (const r of this.compiled) {
      if (!requirementMatches(r, l)) return false;
    }
    return true;
  }

  /** Upstream's String(): requirements sorted by key, e.g. `app=x,tier in (a,b),!legacy`. */
  toString(): string {
    return this.compiled.map(requirementString).join(',');
  }

  /** The value a requirement pins the key to (`k=v`, `k==v`, `k in (v)`), for index lookups. */
  exactValue(key: string): string | undefined {
    for (const r of this.compiled) {
      if (r.key !== key) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
    }
    return undefined;
  }
}

function requirementMatches(r: CompiledRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.set.has(labels[r.key]!);
    case 'notin':
    case '!=':
      return !has || !r.set.has(labels[r.key]!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const lv = parseInt64(labels[r.key]!);
      const rv = parseInt64(r.values[0]!);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  return BigInt(s);
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0] ?? ''}`;
    case 'lt':
      return `${r.key}<${r.values[0] ?? ''}`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ''}`;
  }
}

export const everything = (): LabelSelector => new LabelSelector([]);
export const nothing = (): LabelSelector => new LabelSelector([], true);

// ---------------------------------------------------------------------------------------------------------
// String form: a small lexer + recursive-descent parser with upstream's tokens and error texts.

type Tok =
  | 'id'
  | 'eos'
  | '!'
  | '!='
  | '='
  | '=='
  | '>'
  | '<'
  | '('
  | ')'
  | ','
  | 'in'
  | 'notin';

interface Token {
  tok: Tok;
  lit: string;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const SYMBOLS: Record<string, Tok> = {
  '!': '!',
  '!=': '!=',
  '=': '=',
  '==': '==',
  '>': '>',
  '<': '<',
  '(': '(',
  ')': ')',
  ',': ',',
};

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (isWhitespace(ch)) {
      i++;
      continue;
    }
    if (SPECIAL.has(ch)) {
      let buf = ch;
      i++;
      while (i < input.length && SPECIAL.has(input[i]!) && SYMBOLS[buf + input[i]!] !== undefined) {
        buf += input[i]!;
        i++;
      }
      out.push({ tok: SYMBOLS[buf]!, lit: buf });
      continue;
    }
    let buf = '';
    while (i < input.length && !isWhitespace(input[i]!) && !SPECIAL.has(input[i]!)) {
      buf += input[i]!;
      i++;
    }
    out.push({ tok: buf === 'in' ? 'in' : buf === 'notin' ? 'notin' : 'id', lit: buf });
  }
  out.push({ tok: 'eos', lit: '' });
  return out;
}

class ParseError extends Error {}

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  /** In "values" context keywords are plain identifiers (upstream's Values parser context). */
  private lookahead(values: boolean): Token {
    const t = this.toks[this.pos]!;
    return values && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'id', lit: t.lit } : t;
  }

  private consume(values: boolean): Token {
    const t = this.lookahead(values);
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const t = this.lookahead(true);
      if (t.tok === 'id' || t.tok === '!') {
        try {
          reqs.push(this.parseRequirement());
        } catch (e) {
          if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        const n = this.consume(true);
        if (n.tok === 'eos') return reqs;
        if (n.tok === ',') {
          const n2 = this.lookahead(true);
          if (n2.tok !== 'id' && n2.tok !== '!') throw new ParseError(`found '${n2.lit}', expected: identifier after ','`);
          continue;
        }
        throw new ParseError(`found '${n.lit}', expected: ',' or 'end of string'`);
      }
      if (t.tok === 'eos') return reqs;
      throw new ParseError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private parseRequirement(): Requirement {
    let t = this.consume(true);
    let op: Operator | undefined;
    if (t.tok === '!') {
      op = '!';
      t = this.consume(true);
    }
    if (t.tok !== 'id') throw new ParseError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new ParseError(fieldInvalid('<nil>', key, keyErrs.join('; ')));
    const next = this.lookahead(true).tok;
    if (next === 'eos' || next === ',') return newRequirement(key, op ?? 'exists', []);
    if (op === '!') {
      // `!key` followed by anything else: upstream then tries a binary operator and fails on it.
    }
    const opTok = this.consume(false);
    let binOp: Operator;
    switch (opTok.tok) {
      case 'in':
        binOp = 'in';
        break;
      case 'notin':
        binOp = 'notin';
        break;
      case '=':
        binOp = '=';
        break;
      case '==':
        binOp = '==';
        break;
      case '!=':
        binOp = '!=';
        break;
      case '>':
        binOp = 'gt';
        break;
      case '<':
        binOp = 'lt';
        break;
      default:
        throw new ParseError(`found '${opTok.lit}', expected: ${BINARY_OPERATORS}`);
    }
    const values = binOp === 'in' || binOp === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, binOp, values);
  }

  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') throw new ParseError(`found '${open.lit}' expected: '('`);
    const t = this.lookahead(true);
    if (t.tok === 'id' || t.tok === ',') {
      const s = this.parseIdentifiersList();
      const close = this.consume(true);
      if (close.tok !== ')') throw new ParseError(`found '${t.lit}', expected: ')'`);
      return s;
    }
    if (t.tok === ')') {
      this.consume(true);
      return [''];
    }
    throw new ParseError(`found '${t.lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const t = this.consume(true);
      if (t.tok === 'id') {
        s.add(t.lit);
        const t2 = this.lookahead(true);
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return [...s];
        throw new ParseError(`found '${t2.lit}', expected: ',' or ')'`);
      }
      if (t.tok === ',') {
        if (s.size === 0) s.add('');
        const t2 = this.lookahead(true);
        if (t2.tok === ')') {
          s.add('');
          return [...s];
        }
        if (t2.tok === ',') {
          this.consume(true);
          s.add('');
        }
        continue;
      }
      throw new ParseError(`found '${t.lit}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): string[] {
    const t = this.lookahead(true);
    if (t.tok === 'eos' || t.tok === ',') return [''];
    const v = this.consume(true);
    if (v.tok === 'id') return [v.lit];
    throw new ParseError(`found '${v.lit}', expected: identifier`);
  }
}

function quote(v: string): string {
  return JSON.stringify(v);
}

function goStringSlice(vals: string[]): string {
  return `[]string{${vals.map(quote).join(', ')}}`;
}

function fieldInvalid(path: string, value: string, detail: string): string {
  return `${path}: Invalid value: ${value.startsWith('[]string{') ? value : quote(value)}: ${detail}`;
}

/** Upstream's NewRequirement checks; errors aggregate as "[a, b]" when there are several. */
function newRequirement(key: string, operator: Operator, rawValues: string[]): Requirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(fieldInvalid('key', key, keyErrs.join('; ')));
  const values = [...new Set(rawValues)].sort();
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(fieldInvalid('values', goStringSlice(values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(fieldInvalid('values', goStringSlice(values), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(fieldInvalid('values', goStringSlice(values), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(fieldInvalid('values', goStringSlice(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(fieldInvalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length) errs.push(fieldInvalid(`values[${i}][${key}]`, v, ve.join('; ')));
  });
  if (errs.length === 1) throw new ParseError(errs[0]!);
  if (errs.length > 1) throw new ParseError(`[${errs.join(', ')}]`);
  return { key, operator, values };
}

/** Parse `?labelSelector=` (empty string selects everything). Throws StatusError 400. */
export function parseLabelSelector(input: string): LabelSelector {
  try {
    return new LabelSelector(new Parser(lex(input)).parse());
  } catch (e) {
    if (e instanceof ParseError) throw errors.badRequest(e.message);
    throw e;
  }
}

/**
 * metav1.LabelSelector → selector, as upstream's LabelSelectorAsSelector: undefined/null selects nothing,
 * `{}` selects everything. Throws StatusError 400 on invalid operators or values.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | undefined | null): LabelSelector {
  if (sel === undefined || sel === null) return nothing();
  const reqs: Requirement[] = [];
  try {
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
    for (const expr of sel.matchExpressions ?? []) {
      let op: Operator;
      switch (expr.operator) {
        case 'In':
          op = 'in';
          break;
        case 'NotIn':
          op = 'notin';
          break;
        case 'Exists':
          op = 'exists';
          break;
        case 'DoesNotExist':
          op = '!';
          break;
        default:
          throw new ParseError(`${quote(expr.operator)} is not a valid label selector operator`);
      }
      reqs.push(newRequirement(expr.key, op, expr.values ?? []));
    }
  } catch (e) {
    if (e instanceof ParseError) throw errors.badRequest(e.message);
    throw e;
  }
  return new LabelSelector(reqs);
}

/** metav1.LabelSelector → its `?labelSelector=` string (upstream FormatLabelSelector; "<none>" when empty). */
export function formatLabelSelector(sel: LabelSelectorObject | undefined | null): string {
  let s: string;
  try {
    s = labelSelectorFromObject(sel).toString();
  } catch (e) {
    if (e instanceof StatusError) return '<error>';
    throw e;
  }
  return s === '' ? '<none>' : s;
}

/** Map-style selector (Service.spec.selector, ReplicationController): every key must equal. */
export function selectorFromSet(set: Record<string, string> | undefined | null): LabelSelector {
  return new LabelSelector(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] })));
}

export function matchesLabels(selector: LabelSelector, labels: Labels): boolean {
  return selector.matches(labels);
}
