// Field sets as structured-merge-diff (sigs.k8s.io/structured-merge-diff/fieldpath) models them: sets of
// paths whose elements are "f:<field>", "k:<json of list-map keys>", "v:<json of set value>" or "i:<index>",
// with upstream's ordering, its fieldsV1 JSON encoding ("." marks the node itself) and its printed form
// (".spec.containers[name=\"x\"].image"). Also builds the set a configuration specifies (ToFieldSet).
// Pure data structure; no I/O, no knowledge of managers.
import type { Schema, SchemaResolver } from '../../api/schema/types.js';
import type { JsonObject, JsonValue } from '../../api/types.js';
import { canonicalJson, isObject, isScalar } from './json-value.js';
import {
  childSchema,
  isAtomicMap,
  isDeclaredField,
  itemsSchema,
  keyDefault,
  listSemantics,
  type ListSemantics,
} from './schema-shape.js';
import { innerMap } from '../../util/nested-map.js';

/** A path element in its serialized fieldsV1 form, e.g. "f:spec" or 'k:{"name":"x"}'. */
export type PathElement = string;
export type FieldPath = readonly PathElement[];

/**
 * What a FieldSet without members or children holds until it gets one (most nodes of a trie have only one of
 * the two, and sets made by comparisons are mostly empty): shared, so never changed — every addition goes
 * through ownMembers()/ownChildren().
 */
const NO_MEMBERS: Set<PathElement> = new Set();
const NO_CHILDREN: Map<PathElement, FieldSet> = new Map();

/**
 * A set of field paths, stored as a trie keyed by serialized path elements. What the algebra returns (union,
 * difference, recursiveDifference) shares with its operands every node below which it changes nothing; a
 * node so shared is marked, and insert/childSet copy a marked node before changing anything below it.
 */
export class FieldSet {
  private members = NO_MEMBERS;
  private children = NO_CHILDREN;
  /**
   * The fieldsV1 this node was decoded from (or copied with, see clone and difference), when that is known
   * to be its canonical encoding: what emit(encodedSelf) gives for the node as it is. Kept on every node of
   * a decoded set, so re-encoding a set that changed in one place reuses the stored encoding of every
   * subtree it left alone. Every change of a node's members or children clears it there and on every node
   * above it (insert, addMember, childSet, unionInPlace); a node with an encoding has one on every node below.
   */
  private encoded: JsonObject | undefined;
  /** Whether `encoded` marks the node itself ("."), as its parent's member. */
  private encodedSelf = false;
  /** The node is (or was) a child of more than one set: never changed, copied first (ownChild). */
  private shared = false;

  /** The child at `pe` to change: a copy of it in its place when it is shared. */
  private ownChild(pe: PathElement): FieldSet | undefined {
    let c = this.children.get(pe);
    if (c !== undefined && c.shared) {
      c = c.unsharedCopy();
      this.children.set(pe, c);
    }
    return c;
  }

  /** This node alone copied (its children shared by both, and so marked). */
  private unsharedCopy(): FieldSet {
    const out = new FieldSet();
    if (this.members.size > 0) out.members = new Set(this.members);
    if (this.children.size > 0) {
      out.children = new Map(this.children);
      for (const c of this.children.values()) c.shared = true;
    }
    out.encoded = this.encoded;
    out.encodedSelf = this.encodedSelf;
    return out;
  }

  /** `c`, marked as shared, to be a child of another set too. */
  private static share(c: FieldSet): FieldSet {
    c.shared = true;
    return c;
  }

  private ownMembers(): Set<PathElement> {
    if (this.members === NO_MEMBERS) this.members = new Set();
    return this.members;
  }

  private ownChildren(): Map<PathElement, FieldSet> {
    if (this.children === NO_CHILDREN) this.children = new Map();
    return this.children;
  }

  static of(...paths: FieldPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    let cur: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      cur.encoded = undefined;
      let next = cur.ownChild(path[i]!);
      if (!next) {
        next = new FieldSet();
        cur.ownChildren().set(path[i]!, next);
      }
      cur = next;
    }
    cur.encoded = undefined;
    cur.ownMembers().add(path[path.length - 1]!);
  }

  /** Adds the one-element path `pe` (insert([pe]) without the walk from the root). */
  addMember(pe: PathElement): void {
    this.encoded = undefined;
    this.ownMembers().add(pe);
  }

  /** The set of paths below `pe`, created empty when absent; inserting into it inserts below `pe` here. */
  childSet(pe: PathElement): FieldSet {
    this.encoded = undefined;
    let c = this.ownChild(pe);
    if (!c) {
      c = new FieldSet();
      this.ownChildren().set(pe, c);
    }
    return c;
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let cur: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && cur; i++) cur = cur.children.get(path[i]!);
    return !!cur && cur.members.has(path[path.length - 1]!);
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** The paths below `pe` (relative), or an empty set. */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(pe) ?? EMPTY;
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(pe);
  }

  memberElements(): PathElement[] {
    return [...this.members];
  }

  childElements(): PathElement[] {
    return [...this.children.keys()];
  }

  /**
   * A new node where both sets have children below the same element, each operand's node (with its encoding)
   * where only it has any; members in this set's order, then those only `o` has.
   */
  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    if (this.members.size > 0 || o.members.size > 0) {
      const members = new Set(this.members);
      for (const m of o.members) members.add(m);
      out.members = members;
    }
    if (this.children.size > 0 || o.children.size > 0) {
      const children = new Map<PathElement, FieldSet>();
      for (const [pe, c] of this.children) {
        const oc = o.children.get(pe);
        children.set(pe, oc ? c.union(oc) : FieldSet.share(c));
      }
      for (const [pe, c] of o.children) if (!this.children.has(pe)) children.set(pe, FieldSet.share(c));
      out.children = children;
    }
    return out;
  }

  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    // Whether `out` holds just what this node holds (then it keeps this node's encoding).
    let same = this.encoded !== undefined;
    for (const m of this.members) {
      if (!o.members.has(m)) out.ownMembers().add(m);
      else same = false;
    }
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      const d = oc ? c.difference(oc) : c;
      if (!d.isEmpty()) out.ownChildren().set(pe, d === c ? FieldSet.share(c) : d);
      if (d.encoded === undefined || d.encoded !== c.encoded) same = false;
    }
    if (same) {
      out.encoded = this.encoded;
      out.encodedSelf = this.encodedSelf;
    }
    return out;
  }

  /** True when no path is in both sets (then `difference(o)` would return this set's paths unchanged). */
  disjoint(o: FieldSet): boolean {
    const mine = this.members.size <= o.members.size;
    const small = mine ? this.members : o.members;
    const large = mine ? o.members : this.members;
    for (const m of small) if (large.has(m)) return false;
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      if (oc && !c.disjoint(oc)) return false;
    }
    return true;
  }

  /** True when every path of this set is in `o` (then `union(o)` equals `o`). */
  subsetOf(o: FieldSet): boolean {
    for (const m of this.members) if (!o.members.has(m)) return false;
    for (const [pe, c] of this.children) {
      if (c.isEmpty()) continue;
      const oc = o.children.get(pe);
      if (!oc || !c.subsetOf(oc)) return false;
    }
    return true;
  }

  /** disjoint() against a set in its fieldsV1 form, without decoding it (`v` as toFieldsV1 writes it). */
  disjointFromFieldsV1(v: JsonObject): boolean {
    for (const m of this.members) if (isMemberOfFieldsV1(v, m)) return false;
    for (const [pe, c] of this.children) {
      const sub = v[pe];
      if (isObject(sub) && !c.disjointFromFieldsV1(sub)) return false;
    }
    return true;
  }

  /** subsetOf() a set in its fieldsV1 form, without decoding it (`v` as toFieldsV1 writes it). */
  subsetOfFieldsV1(v: JsonObject): boolean {
    for (const m of this.members) if (!isMemberOfFieldsV1(v, m)) return false;
    for (const [pe, c] of this.children) {
      if (c.isEmpty()) continue;
      const sub = v[pe];
      if (!isObject(sub) || !c.subsetOfFieldsV1(sub)) return false;
    }
    return true;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.ownMembers().add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      if (!oc) continue;
      const i = c.intersection(oc);
      if (!i.isEmpty()) out.ownChildren().set(pe, i);
    }
    return out;
  }

  /** Removes every path that is in `o` or lies below a member of `o` (upstream RecursiveDifference). */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.ownMembers().add(m);
    for (const [pe, c] of this.children) {
      if (o.members.has(pe)) continue;
      const oc = o.children.get(pe);
      const d = oc ? c.recursiveDifference(oc) : c;
      if (!d.isEmpty()) out.ownChildren().set(pe, d === c ? FieldSet.share(c) : d);
    }
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.ownMembers().add(m);
    for (const [pe, c] of this.children) out.ownChildren().set(pe, c.clone());
    out.encoded = this.encoded;
    out.encodedSelf = this.encodedSelf;
    return out;
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).isEmpty() && o.difference(this).isEmpty();
  }

  /** Every path, in upstream's iteration order: this level's members, then each child's paths. */
  paths(prefix: PathElement[] = []): PathElement[][] {
    const out: PathElement[][] = [];
    for (const m of [...this.members].sort(comparePathElements)) out.push([...prefix, m]);
    for (const pe of [...this.children.keys()].sort(comparePathElements)) {
      out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    }
    return out;
  }

  /** The fieldsV1 JSON object, keys in upstream's order. */
  toFieldsV1(): JsonObject {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): JsonObject {
    if (this.encoded !== undefined && this.encodedSelf === includeSelf) return this.encoded;
    const out: JsonObject = {};
    const members = this.members;
    if (this.children.size === 0) {
      // A level of leaves only (most levels of a set): every member is an empty node.
      if (members.size === 0) return out;
      if (includeSelf) out['.'] = {};
      for (const pe of sortPathElements([...members])) out[pe] = {};
      return out;
    }
    const keys = [...members];
    for (const pe of this.children.keys()) if (!members.has(pe)) keys.push(pe);
    // Each child is emitted once, in key order; an empty emission is an empty child (no members anywhere
    // below), left out unless its element is a member.
    if (includeSelf && members.size > 0) out['.'] = {};
    for (const pe of sortPathElements(keys)) {
      const member = members.has(pe);
      const e = this.children.get(pe)?.emit(member);
      if (e !== undefined && hasKeys(e)) out[pe] = e;
      else if (member) out[pe] = {};
    }
    // Without members, the node marks itself only when some child emitted anything ("." comes first).
    if (includeSelf && members.size === 0 && hasKeys(out)) return { '.': {}, ...out };
    return out;
  }

  /**
   * The fieldsV1 of (fromFieldsV1(v) − remove) ∪ this, built on the encoded form without decoding it: every
   * subtree of `v` that neither set touches (and whose own membership stays) is `v`'s own object, shared; the
   * rest is emitted as toFieldsV1 would. `v` must be canonical (toFieldsV1's, as a stored entry's) and is not
   * changed.
   */
  unionIntoFieldsV1(v: JsonObject, remove: FieldSet): JsonObject {
    return this.mergeInto(v, remove, false);
  }

  /** One level of unionIntoFieldsV1: `v` the stored node (undefined: none), "." first when includeSelf and not empty. */
  private mergeInto(v: JsonObject | undefined, remove: FieldSet, includeSelf: boolean): JsonObject {
    const keys: PathElement[] = [];
    if (v !== undefined) for (const k in v) if (k !== '.' && Object.prototype.hasOwnProperty.call(v, k)) keys.push(k);
    const fresh = (pe: PathElement) => v === undefined || !Object.prototype.hasOwnProperty.call(v, pe);
    for (const m of this.members) if (fresh(m)) keys.push(m);
    for (const pe of this.children.keys()) if (!this.members.has(pe) && fresh(pe)) keys.push(pe);
    let out: JsonObject | undefined;
    for (const pe of sortPathElements(keys)) {
      const stored = v !== undefined && !fresh(pe) ? (v[pe] as JsonObject) : undefined;
      const wasMember = stored !== undefined && (!hasKeys(stored) || stored['.'] !== undefined);
      const member = this.members.has(pe) || (wasMember && !remove.members.has(pe));
      const add = this.children.get(pe);
      const rem = remove.children.get(pe);
      let e: JsonObject;
      if (stored !== undefined && add === undefined && rem === undefined && member === wasMember) e = stored;
      else {
        e = (add ?? EMPTY).mergeInto(stored !== undefined && hasKeys(stored) ? stored : undefined, rem ?? EMPTY, member);
        if (!hasKeys(e)) {
          if (!member) continue;
          e = {};
        }
      }
      out ??= includeSelf ? { '.': {} } : {};
      out[pe] = e;
    }
    return out ?? {};
  }

  /**
   * Parses fieldsV1 JSON; throws a FieldSetError when it is not a valid encoding. `canonical` says `v` was
   * written by toFieldsV1 (ownership stored by this server): it is then kept and re-encoding the unchanged
   * set returns it instead of emitting it again. The caller must not mutate `v` afterwards.
   */
  static fromFieldsV1(v: unknown, canonical = false): FieldSet {
    const s = new FieldSet();
    if (!isObject(v)) throw new FieldSetError('fieldsV1 must be an object');
    s.read(v, true, canonical);
    if (canonical) s.encoded = v;
    return s;
  }

  /**
   * Reads the members and children `v` encodes into this (empty) node; true when `v` marks the node itself
   * ("."). `canonical`: as fromFieldsV1's, every child node keeps its part of `v` as its encoding.
   */
  private read(v: JsonObject, top: boolean, canonical: boolean): boolean {
    let self = false;
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      if (k === '.') {
        if (top) throw new FieldSetError('"." at the top of fieldsV1');
        self = true;
        continue;
      }
      parsePathElement(k);
      const child = v[k];
      if (!isObject(child)) throw new FieldSetError(`value of ${k} must be an object`);
      if (!hasKeys(child)) {
        this.ownMembers().add(k);
        continue;
      }
      const below = new FieldSet();
      const childSelf = below.read(child, false, canonical);
      if (childSelf) this.ownMembers().add(k);
      if (!below.isEmpty()) {
        if (canonical) {
          below.encoded = child;
          below.encodedSelf = childSelf;
        }
        this.ownChildren().set(k, below);
      }
    }
    return self;
  }
}

const EMPTY = new FieldSet();

/** In fieldsV1, `pe` is a member when its node is empty (a leaf) or marks itself with ".". */
function isMemberOfFieldsV1(v: JsonObject, pe: PathElement): boolean {
  const n = v[pe];
  if (!isObject(n)) return false;
  return !hasKeys(n) || n['.'] !== undefined;
}

/** Whether the object has any own enumerable key (without building the key list). */
export function hasKeys(o: JsonObject): boolean {
  for (const _ in o) return true;
  return false;
}

export class FieldSetError extends Error {}

// ---- path elements ----

export type ParsedPathElement =
  | { kind: 'field'; name: string }
  | { kind: 'key'; fields: [string, JsonValue][] }
  | { kind: 'value'; value: JsonValue }
  | { kind: 'index'; index: number };

/**
 * "f:<name>" strings already made, by name: the same string each time, so using it as a property key (fieldsV1
 * objects are built from them) finds it internalized instead of hashing a new concatenation. Bounded (field
 * names are few; map keys such as label keys are not): emptied when full.
 */
const fieldPEs = new Map<string, PathElement>();
const MAX_FIELD_PES = 10_000;

export function fieldPE(name: string): PathElement {
  let pe = fieldPEs.get(name);
  if (pe === undefined) {
    pe = `f:${name}`;
    if (fieldPEs.size >= MAX_FIELD_PES) fieldPEs.clear();
    fieldPEs.set(name, pe);
  }
  return pe;
}

/**
 * Key elements of one string-valued key already made, by key name then value (a condition's type, a
 * container's name: a few recur on every write of every object). Bounded: emptied when full.
 */
const singleKeyPEs = new Map<string, Map<string, PathElement>>();
let singleKeyPECount = 0;
const MAX_SINGLE_KEY_PES = 10_000;

export function keyPE(fields: [string, JsonValue][]): PathElement {
  // One key (a container's name, a condition's type): nothing to sort.
  if (fields.length === 1) {
    const [name, value] = fields[0]!;
    if (typeof value !== 'string') return `k:{${JSON.stringify(name)}:${canonicalJson(value)}}`;
    return stringKeyPE(name, value);
  }
  const sorted = [...fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `k:{${sorted.map(([n, v]) => `${JSON.stringify(n)}:${canonicalJson(v)}`).join(',')}}`;
}

/** keyPE([[name, value]]) for one string-valued key, without the list of fields. */
function stringKeyPE(name: string, value: string): PathElement {
  let pe = singleKeyPEs.get(name)?.get(value);
  if (pe === undefined) {
    pe = `k:{${JSON.stringify(name)}:${JSON.stringify(value)}}`;
    if (singleKeyPECount >= MAX_SINGLE_KEY_PES) {
      singleKeyPEs.clear();
      singleKeyPECount = 0;
    }
    innerMap(singleKeyPEs, name).set(value, pe);
    singleKeyPECount++;
  }
  return pe;
}

const isPairKeyValue = (v: JsonValue | undefined): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * Key elements of two scalar keys already made, by the list's key names then the two values (a Map tells
 * 80 from "80"). Bounded: emptied when full.
 */
const pairKeyPEs = new Map<readonly string[], Map<string | number | boolean, Map<string | number | boolean, PathElement>>>();
let pairKeyPECount = 0;
const MAX_PAIR_KEY_PES = 10_000;

/** keyPE([[keys[0], a], [keys[1], b]]), made once per pair of values. */
function pairKeyPE(keys: readonly string[], a: string | number | boolean, b: string | number | boolean): PathElement {
  let pe = pairKeyPEs.get(keys)?.get(a)?.get(b);
  if (pe === undefined) {
    pe = keyPE([
      [keys[0]!, a],
      [keys[1]!, b],
    ]);
    if (pairKeyPECount >= MAX_PAIR_KEY_PES) {
      pairKeyPEs.clear();
      pairKeyPECount = 0;
    }
    innerMap(innerMap(pairKeyPEs, keys), a).set(b, pe);
    pairKeyPECount++;
  }
  return pe;
}

export const valuePE = (v: JsonValue): PathElement => `v:${canonicalJson(v)}`;
export const indexPE = (i: number): PathElement => `i:${i}`;

const parsedCache = new Map<string, ParsedPathElement>();

export function parsePathElement(s: PathElement): ParsedPathElement {
  const hit = parsedCache.get(s);
  if (hit) return hit;
  let out: ParsedPathElement;
  const body = s.slice(2);
  try {
    switch (s.slice(0, 2)) {
      case 'f:':
        out = { kind: 'field', name: body };
        break;
      case 'k:': {
        const o = JSON.parse(body) as unknown;
        if (!isObject(o)) throw new FieldSetError(`bad key element ${s}`);
        out = { kind: 'key', fields: Object.entries(o).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
        break;
      }
      case 'v:':
        out = { kind: 'value', value: JSON.parse(body) as JsonValue };
        break;
      case 'i:': {
        if (!/^-?\d+$/.test(body)) throw new FieldSetError(`bad index element ${s}`);
        out = { kind: 'index', index: Number(body) };
        break;
      }
      default:
        throw new FieldSetError(`unknown path element ${JSON.stringify(s)}`);
    }
  } catch (e) {
    if (e instanceof FieldSetError) throw e;
    throw new FieldSetError(`invalid path element ${JSON.stringify(s)}: ${(e as Error).message}`);
  }
  if (parsedCache.size < 10000) parsedCache.set(s, out);
  return out;
}

const KIND_RANK = { field: 0, key: 1, value: 2, index: 3 } as const;

/** Upstream PathElement.Compare: fields < keys < values < indices, then by content. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a === b) return 0;
  // Two fields (the common case) order by name, which is the order of the whole strings.
  if (a.charCodeAt(0) === 102 && b.charCodeAt(0) === 102 && a.charCodeAt(1) === 58 && b.charCodeAt(1) === 58) return a < b ? -1 : 1;
  const pa = parsePathElement(a);
  const pb = parsePathElement(b);
  if (pa.kind !== pb.kind) return KIND_RANK[pa.kind] - KIND_RANK[pb.kind];
  switch (pa.kind) {
    case 'field':
      return cmpStr(pa.name, (pb as typeof pa).name);
    case 'key': {
      const fb = (pb as typeof pa).fields;
      for (let i = 0; ; i++) {
        if (i >= pa.fields.length && i >= fb.length) return 0;
        if (i >= pa.fields.length) return -1;
        if (i >= fb.length) return 1;
        const c = cmpStr(pa.fields[i]![0], fb[i]![0]) || compareValues(pa.fields[i]![1], fb[i]![1]);
        if (c !== 0) return c;
      }
    }
    case 'value':
      return compareValues(pa.value, (pb as typeof pa).value);
    case 'index':
      return pa.index - (pb as typeof pa).index;
  }
}

/**
 * Sorts path elements in place in upstream's order (comparePathElements). Field elements alone (the usual
 * level) order as their whole strings, which the comparator-less sort gives without a call per comparison.
 */
export function sortPathElements(pes: PathElement[]): PathElement[] {
  const n = pes.length;
  if (n < 2) return pes;
  for (const pe of pes) if (pe.charCodeAt(0) !== 102 || pe.charCodeAt(1) !== 58) return n > 16 ? pes.sort(comparePathElements) : insertionSort(pes);
  if (n > 16) return pes.sort();
  // Insertion sort: a level holds a handful of fields, which this orders faster than Array.prototype.sort.
  for (let i = 1; i < n; i++) {
    const x = pes[i]!;
    let j = i - 1;
    while (j >= 0 && pes[j]! > x) {
      pes[j + 1] = pes[j]!;
      j--;
    }
    pes[j + 1] = x;
  }
  return pes;
}

/** A short mixed level (list items with their fields) in upstream's order, without sort's work array. */
function insertionSort(pes: PathElement[]): PathElement[] {
  for (let i = 1; i < pes.length; i++) {
    const x = pes[i]!;
    let j = i - 1;
    while (j >= 0 && comparePathElements(pes[j]!, x) > 0) {
      pes[j + 1] = pes[j]!;
      j--;
    }
    pes[j + 1] = x;
  }
  return pes;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A total order over JSON values in the spirit of upstream value.Compare (numbers, strings, bools, lists, maps, null). */
function compareValues(a: JsonValue, b: JsonValue): number {
  // Two strings (a container's name, a condition's type): the usual key value.
  if (typeof a === 'string' && typeof b === 'string') return cmpStr(a, b);
  const rank = (v: JsonValue) =>
    typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : v === null ? 5 : 4;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return a - (b as number);
  if (typeof a === 'string') return cmpStr(a, b as string);
  if (typeof a === 'boolean') return Number(a) - Number(b as boolean);
  return cmpStr(canonicalJson(a), canonicalJson(b));
}

/** Upstream value.ToString for path printing: strings quoted, others as JSON-ish text. */
function valueToString(v: JsonValue): string {
  return v === null ? 'null' : typeof v === 'object' ? canonicalJson(v) : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** The printed form upstream uses in conflict messages: .spec.containers[name="x"].ports[containerPort=80,protocol="TCP"]. */
export function pathToString(path: FieldPath): string {
  return path
    .map((s) => {
      const pe = parsePathElement(s);
      switch (pe.kind) {
        case 'field':
          return `.${pe.name}`;
        case 'key':
          return `[${pe.fields.map(([n, v]) => `${n}=${valueToString(v)}`).join(',')}]`;
        case 'value':
          return `[=${valueToString(pe.value)}]`;
        case 'index':
          return `[${pe.index}]`;
      }
    })
    .join('');
}

// ---- list items ----

/** A list item that cannot be addressed (missing key, map in a set); the message follows upstream's. */
export class ListItemError extends Error {}

/** The path element addressing `item` in a non-atomic list with the given semantics. */
export function listItemPE(
  item: JsonValue,
  sem: ListSemantics,
  itemSchema: Schema | undefined,
  resolver: SchemaResolver,
  index: number,
): PathElement {
  if (sem.type === 'set') {
    if (!isScalar(item)) {
      throw new ListItemError(`associative list without keys has an element that's a ${Array.isArray(item) ? 'list' : 'map'} type`);
    }
    return valuePE(item);
  }
  if (sem.type === 'map') {
    if (!isObject(item)) throw new ListItemError('associative list with keys may only have map elements');
    // One string-valued key present (a container's name, a condition's type): its cached element directly.
    if (sem.keys.length === 1) {
      const v = item[sem.keys[0]!];
      if (typeof v === 'string') return stringKeyPE(sem.keys[0]!, v);
    } else if (sem.keys.length === 2) {
      // Two scalar keys present (a port's containerPort and protocol): the element made once per pair.
      const a = item[sem.keys[0]!];
      const b = item[sem.keys[1]!];
      if (isPairKeyValue(a) && isPairKeyValue(b)) return pairKeyPE(sem.keys, a, b);
    }
    const fields: [string, JsonValue][] = [];
    for (const k of sem.keys) {
      let v = item[k];
      if (v === undefined) {
        const d = keyDefault(itemSchema, k, resolver);
        if (d === undefined) {
          throw new ListItemError(`associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
        }
        v = d as JsonValue;
      }
      fields.push([k, v]);
    }
    return keyPE(fields);
  }
  return indexPE(index);
}

// ---- the set a configuration specifies ----

export class DuplicateItemError extends Error {}

/**
 * The fields `obj` specifies, as upstream's TypedValue.ToFieldSet: leaves, list items, null or empty map
 * values and entries of map-typed (not struct) objects; atomic lists and maps are single leaves.
 * Throws ListItemError / DuplicateItemError for list items that cannot be addressed.
 */
export function fieldSetFromObject(obj: JsonValue, schema: Schema | undefined, resolver: SchemaResolver): FieldSet {
  const set = new FieldSet();
  walkToSet(obj, schema, resolver, [], set);
  return set;
}

function walkToSet(v: JsonValue, schema: Schema | undefined, resolver: SchemaResolver, path: PathElement[], set: FieldSet): void {
  if (isObject(v)) {
    if (isAtomicMap(schema)) {
      set.insert(path);
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      const p = [...path, fieldPE(k)];
      walkToSet(child, childSchema(schema, k, resolver), resolver, p, set);
      if (child === null || (isObject(child) && Object.keys(child).length === 0) || !isDeclaredField(schema, k)) set.insert(p);
    }
    return;
  }
  if (Array.isArray(v)) {
    const sem = listSemantics(schema);
    if (sem.type === 'atomic') {
      set.insert(path);
      return;
    }
    const items = itemsSchema(schema, resolver);
    const seen = new Set<PathElement>();
    v.forEach((item, i) => {
      const pe = listItemPE(item, sem, items, resolver, i);
      if (seen.has(pe)) throw new DuplicateItemError(`${pathToString(path)}: duplicate entries for key ${pathToString([pe])}`);
      seen.add(pe);
      const p = [...path, pe];
      walkToSet(item, items, resolver, p, set);
      set.insert(p);
    });
    return;
  }
  set.insert(path);
}

/**
 * Upstream EnsureNamedFieldsAreMembers: adds every declared struct field that has members below it, so
 * pruning and ownership see ".spec" when ".spec.replicas" is owned (map entries are not added).
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, schema: Schema | undefined, resolver: SchemaResolver): FieldSet {
  const out = new FieldSet();
  ensureInto(set, schema, resolver, [], out);
  return out;
}

function ensureInto(set: FieldSet, schema: Schema | undefined, resolver: SchemaResolver, prefix: PathElement[], out: FieldSet): void {
  for (const m of set.memberElements()) out.insert([...prefix, m]);
  for (const pe of set.childElements()) {
    const child = set.withPrefix(pe);
    if (child.isEmpty()) continue;
    const parsed = parsePathElement(pe);
    let sub: Schema | undefined;
    if (parsed.kind === 'field') {
      if (isDeclaredField(schema, parsed.name)) out.insert([...prefix, pe]);
      sub = childSchema(schema, parsed.name, resolver);
    } else {
      sub = itemsSchema(schema, resolver);
    }
    ensureInto(child, sub, resolver, [...prefix, pe], out);
  }
}
