// Schema-aware merge, comparison and removal of JSON objects as structured-merge-diff's typed package does
// them (Merge, Compare, RemoveItems): list-type map/set/atomic and map-type granular/atomic from the schema,
// lists atomic when the schema says nothing, empty or null on both sides treated as a leaf, and upstream's
// interleaving of live and applied list items. Pure: never mutates its inputs.
import type { Schema, SchemaResolver } from '../../api/schema/types.js';
import type { JsonObject, JsonValue } from '../../api/types.js';
import { FieldSet, comparePathElements, fieldPE, listItemPE, type PathElement } from './field-set.js';
import { deepEqual, isObject } from './json-value.js';
import { childSchema, isAtomicMap, isDeclaredField, itemsSchema, listSemantics } from './schema-shape.js';

interface Walker {
  resolver: SchemaResolver;
  /** Called on leaves (scalars, atomic or empty lists and maps). */
  leaf?: (path: PathElement[], lhs: JsonValue | undefined, rhs: JsonValue | undefined) => void;
  /** Called on every non-leaf node after its children; `structField` marks a declared struct-typed field. */
  item?: (path: PathElement[], lhs: JsonValue | undefined, rhs: JsonValue | undefined, structField: boolean) => void;
  /** In merge mode an explicit null from the right side removes the value. */
  dropNulls: boolean;
  /**
   * Comparison only: a subtree present and deep-equal on both sides is not entered (it can add, change or
   * remove nothing), so an update that touches only status never walks the spec against the schema; and no
   * merged value is built (what walk returns is then meaningless).
   */
  compareOnly?: boolean;
}

function isEmptyOrAbsent(v: JsonValue | undefined): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) {
    for (const _ in v) return false;
    return true;
  }
  return false;
}

const mapLike = (v: JsonValue | undefined): boolean => v === undefined || v === null || isObject(v);
const listLike = (v: JsonValue | undefined): boolean => v === undefined || v === null || Array.isArray(v);

/**
 * `path` is one stack shared by the whole walk (pushed and popped around each child): callbacks may read it
 * but must copy what they keep (FieldSet.insert does not keep the array).
 */
function walk(
  lhs: JsonValue | undefined,
  rhs: JsonValue | undefined,
  schema: Schema | undefined,
  path: PathElement[],
  w: Walker,
  declared = false,
): JsonValue | undefined {
  if (w.compareOnly && lhs !== undefined && rhs !== undefined && deepEqual(lhs, rhs)) return rhs;
  const bothEmpty = isEmptyOrAbsent(lhs) && isEmptyOrAbsent(rhs);

  let out: JsonValue | undefined;
  let map = false;
  if ((isObject(lhs) || isObject(rhs)) && mapLike(lhs) && mapLike(rhs)) {
    if (isAtomicMap(schema) || bothEmpty) return leaf(lhs, rhs, path, w);
    out = walkMap(isObject(lhs) ? lhs : undefined, isObject(rhs) ? rhs : undefined, schema, path, w);
    map = true;
  } else if ((Array.isArray(lhs) || Array.isArray(rhs)) && listLike(lhs) && listLike(rhs)) {
    if (listSemantics(schema).type === 'atomic' || bothEmpty) return leaf(lhs, rhs, path, w);
    out = walkList(Array.isArray(lhs) ? lhs : undefined, Array.isArray(rhs) ? rhs : undefined, schema, path, w);
  } else {
    return leaf(lhs, rhs, path, w);
  }
  w.item?.(path, lhs, rhs, declared && !!schema?.properties && map);
  return out;
}

function leaf(lhs: JsonValue | undefined, rhs: JsonValue | undefined, path: PathElement[], w: Walker): JsonValue | undefined {
  w.leaf?.(path, lhs, rhs);
  if (rhs === undefined) return lhs;
  if (rhs === null && w.dropNulls) return undefined;
  return rhs;
}

function walkMap(
  lhs: JsonObject | undefined,
  rhs: JsonObject | undefined,
  schema: Schema | undefined,
  path: PathElement[],
  w: Walker,
): JsonObject {
  const out: JsonObject = {};
  const visit = (k: string) => {
    const l = lhs?.[k];
    const r = rhs?.[k];
    // A comparison skips a member both sides share (as walk would, without looking up its schema first).
    if (w.compareOnly && l === r && l !== undefined) return;
    path.push(fieldPE(k));
    const child = walk(l, r, childSchema(schema, k, w.resolver), path, w, isDeclaredField(schema, k));
    path.pop();
    if (child !== undefined && !w.compareOnly) out[k] = child;
  };
  if (lhs) for (const k of Object.keys(lhs)) visit(k);
  if (rhs) for (const k of Object.keys(rhs)) if (!lhs || !Object.prototype.hasOwnProperty.call(lhs, k)) visit(k);
  return out;
}

function indexItems(
  list: JsonValue[] | undefined,
  schema: Schema | undefined,
  w: Walker,
): { pes: PathElement[]; observed: Map<PathElement, JsonValue> } {
  const pes: PathElement[] = [];
  const observed = new Map<PathElement, JsonValue>();
  if (!list) return { pes, observed };
  const sem = listSemantics(schema);
  const items = itemsSchema(schema, w.resolver);
  list.forEach((item, i) => {
    const pe = listItemPE(item, sem, items, w.resolver, i);
    pes.push(pe);
    if (!observed.has(pe)) observed.set(pe, item);
  });
  return { pes, observed };
}

/** Upstream mergingWalker.visitListItems: keeps live-only items in place, applied order for shared items. */
function walkList(
  lhs: JsonValue[] | undefined,
  rhs: JsonValue[] | undefined,
  schema: Schema | undefined,
  path: PathElement[],
  w: Walker,
): JsonValue[] {
  const items = itemsSchema(schema, w.resolver);
  const R = indexItems(rhs, schema, w);
  const L = indexItems(lhs, schema, w);
  const sharedOrder = R.pes.filter((pe) => L.observed.has(pe));
  let nextShared = sharedOrder.shift();
  const mergedRHS = new Set<PathElement>();
  const out: JsonValue[] = [];
  const mergeItem = (pe: PathElement, l: JsonValue | undefined, r: JsonValue | undefined) => {
    path.push(pe);
    const v = walk(l, r, items, path, w);
    path.pop();
    if (v !== undefined && !w.compareOnly) out.push(v);
  };
  let lI = 0;
  let rI = 0;
  const lLen = L.pes.length;
  const rLen = R.pes.length;
  while (lI < lLen || rI < rLen) {
    if (lI < lLen && rI < rLen) {
      const pe = L.pes[lI]!;
      if (pe === R.pes[rI]) {
        mergedRHS.add(pe);
        mergeItem(pe, L.observed.get(pe), R.observed.get(pe));
        lI++;
        rI++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (R.observed.has(pe) && nextShared !== undefined && nextShared !== pe) {
        lI++;
        continue;
      }
    }
    if (lI < lLen) {
      const pe = L.pes[lI]!;
      if (!R.observed.has(pe)) {
        mergeItem(pe, lhs![lI], undefined);
        lI++;
        continue;
      } else if (mergedRHS.has(pe)) {
        lI++;
        continue;
      }
    }
    if (rI < rLen) {
      const pe = R.pes[rI]!;
      mergedRHS.add(pe);
      mergeItem(pe, L.observed.get(pe), R.observed.get(pe));
      rI++;
      if (nextShared !== undefined && nextShared === pe) nextShared = sharedOrder.shift();
    }
  }
  return out;
}

/** Upstream TypedValue.Merge: `rhs` (an applied configuration) merged over `lhs` (the live object). */
export function mergeObjects(lhs: JsonObject, rhs: JsonObject, schema: Schema | undefined, resolver: SchemaResolver): JsonObject {
  const out = walk(lhs, rhs, schema, [], { resolver, dropNulls: true });
  return isObject(out) ? out : {};
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * Upstream TypedValue.Compare: which paths `rhs` adds, changes and removes relative to `lhs`.
 * Upstream compares Go-typed objects, where a non-pointer struct field (spec, template, strategy) is always
 * present; without Go types we treat every declared struct-typed field that way, so such fields are never
 * added or removed themselves (only their contents are).
 */
export function compareObjects(
  lhs: JsonObject,
  rhs: JsonObject,
  schema: Schema | undefined,
  resolver: SchemaResolver,
  /**
   * Added and modified paths go into one set (`added` and `modified` are then the same FieldSet): for callers
   * that only need their union (managed fields' changed set), without a union of two sets afterwards.
   */
  oneChangedSet = false,
): Comparison {
  const added = new FieldSet();
  const c: Comparison = { added, modified: oneChangedSet ? added : new FieldSet(), removed: new FieldSet() };
  if (isEmptyOrAbsent(lhs)) {
    // A create: everything rhs holds is added (the paths the two-sided walk would find, found one-sided).
    for (const k of Object.keys(rhs)) {
      insertAdded(rhs[k], childSchema(schema, k, resolver), c.added, fieldPE(k), resolver, isDeclaredField(schema, k));
    }
    return c;
  }
  // The root is walked member by member without comparing it whole first (a write whose objects are equal is
  // rare, and every member is compared before it is entered).
  if (isAtomicMap(schema)) compareWalk(lhs, rhs, schema, [], c, resolver, false);
  else compareMap(lhs, rhs, schema, [], c, resolver);
  return c;
}

/**
 * walk() in comparison mode with compareObjects' callbacks, written out: no merged values, no closures per
 * node. Lists go back to walkList (with the same callbacks) only when both sides hold an element twice.
 */
function compareWalk(
  lhs: JsonValue | undefined,
  rhs: JsonValue | undefined,
  schema: Schema | undefined,
  path: PathElement[],
  c: Comparison,
  resolver: SchemaResolver,
  declared: boolean,
): void {
  if (lhs === undefined && rhs !== undefined && path.length > 0) {
    // What only the right side has (a status field a write adds): inserted below its parent's node, found
    // once, instead of from the root for every path below it.
    let at = c.added;
    for (let i = 0; i < path.length - 1; i++) at = at.childSet(path[i]!);
    insertAdded(rhs, schema, at, path[path.length - 1]!, resolver, declared);
    return;
  }
  if (lhs !== undefined && rhs !== undefined && deepEqual(lhs, rhs)) return;
  const bothEmpty = isEmptyOrAbsent(lhs) && isEmptyOrAbsent(rhs);
  let structField = false;
  if ((isObject(lhs) || isObject(rhs)) && mapLike(lhs) && mapLike(rhs)) {
    if (isAtomicMap(schema) || bothEmpty) return compareLeaf(lhs, rhs, path, c);
    compareMap(isObject(lhs) ? lhs : undefined, isObject(rhs) ? rhs : undefined, schema, path, c, resolver);
    structField = declared && !!schema?.properties;
  } else if ((Array.isArray(lhs) || Array.isArray(rhs)) && listLike(lhs) && listLike(rhs)) {
    if (listSemantics(schema).type === 'atomic' || bothEmpty) return compareLeaf(lhs, rhs, path, c);
    compareList(Array.isArray(lhs) ? lhs : undefined, Array.isArray(rhs) ? rhs : undefined, schema, path, c, resolver);
  } else {
    return compareLeaf(lhs, rhs, path, c);
  }
  if (structField) return;
  if (lhs === undefined) c.added.insert(path);
  else if (rhs === undefined) c.removed.insert(path);
}

function compareLeaf(lhs: JsonValue | undefined, rhs: JsonValue | undefined, path: PathElement[], c: Comparison): void {
  if (lhs === undefined) c.added.insert(path);
  else if (rhs === undefined) c.removed.insert(path);
  else if (!deepEqual(lhs, rhs)) c.modified.insert(path);
}

/** walkMap in comparison mode: lhs's members in order, then those only rhs has. */
function compareMap(lhs: JsonObject | undefined, rhs: JsonObject | undefined, schema: Schema | undefined, path: PathElement[], c: Comparison, resolver: SchemaResolver): void {
  if (lhs) {
    for (const k in lhs) {
      if (!Object.prototype.hasOwnProperty.call(lhs, k)) continue;
      compareMember(k, lhs[k], rhs?.[k], schema, path, c, resolver);
    }
  }
  if (rhs) {
    for (const k in rhs) {
      if (!Object.prototype.hasOwnProperty.call(rhs, k) || (lhs && Object.prototype.hasOwnProperty.call(lhs, k))) continue;
      compareMember(k, lhs?.[k], rhs[k], schema, path, c, resolver);
    }
  }
}

function compareMember(k: string, l: JsonValue | undefined, r: JsonValue | undefined, schema: Schema | undefined, path: PathElement[], c: Comparison, resolver: SchemaResolver): void {
  // A member both sides share is skipped (as walk would, without looking up its schema first).
  if (l === r && l !== undefined) return;
  path.push(fieldPE(k));
  compareWalk(l, r, childSchema(schema, k, resolver), path, c, resolver, isDeclaredField(schema, k));
  path.pop();
}

function compareList(lhs: JsonValue[] | undefined, rhs: JsonValue[] | undefined, schema: Schema | undefined, path: PathElement[], c: Comparison, resolver: SchemaResolver): void {
  const ln = lhs?.length ?? 0;
  const rn = rhs?.length ?? 0;
  if (ln > 32 || rn > 32) {
    walkList(lhs, rhs, schema, path, comparisonWalker(c, resolver));
    return;
  }
  const sem = listSemantics(schema);
  const items = itemsSchema(schema, resolver);
  // The right side's elements first, as walkList indexes them (the same ListItemError when both sides have a
  // bad item).
  const rp = elementsOf(rhs, sem, items, resolver);
  const lp = elementsOf(lhs, sem, items, resolver);
  const rDistinct = distinct(rp);
  const lDistinct = distinct(lp);
  if (!rDistinct || !lDistinct) {
    // walkList visits every item of a one-sided list in order; a right-side item as the first item with its
    // element (the one its index keeps). Duplicates on both sides: walkList's interleaving decides.
    if (ln === 0) {
      for (let i = 0; i < rn; i++) compareItem(rp[i]!, undefined, rhs![rp.indexOf(rp[i]!)], items, path, c, resolver);
    } else if (rn === 0) {
      for (let i = 0; i < ln; i++) compareItem(lp[i]!, lhs![i], undefined, items, path, c, resolver);
    } else walkList(lhs, rhs, schema, path, comparisonWalker(c, resolver));
    return;
  }
  // No element twice on either side: walkList visits each element of either side once, with the item each
  // side has at it (in an order that only changes the order of insertion into the sets).
  for (let i = 0; i < ln; i++) {
    const pe = lp[i]!;
    const j = rp[i] === pe ? i : rp.indexOf(pe);
    compareItem(pe, lhs![i], j >= 0 ? rhs![j] : undefined, items, path, c, resolver);
  }
  for (let j = 0; j < rn; j++) {
    const pe = rp[j]!;
    if (lp[j] !== pe && !lp.includes(pe)) compareItem(pe, undefined, rhs![j], items, path, c, resolver);
  }
}

const NO_ELEMENTS: PathElement[] = [];

function elementsOf(list: JsonValue[] | undefined, sem: ReturnType<typeof listSemantics>, items: Schema | undefined, resolver: SchemaResolver): PathElement[] {
  if (list === undefined || list.length === 0) return NO_ELEMENTS;
  const pes = new Array<PathElement>(list.length);
  for (let i = 0; i < list.length; i++) pes[i] = listItemPE(list[i]!, sem, items, resolver, i);
  return pes;
}

function distinct(pes: PathElement[]): boolean {
  for (let i = 1; i < pes.length; i++) for (let j = 0; j < i; j++) if (pes[j] === pes[i]) return false;
  return true;
}

function compareItem(pe: PathElement, l: JsonValue | undefined, r: JsonValue | undefined, items: Schema | undefined, path: PathElement[], c: Comparison, resolver: SchemaResolver): void {
  path.push(pe);
  compareWalk(l, r, items, path, c, resolver, false);
  path.pop();
}

/**
 * compareObjects by the general walk alone (walk's compare mode with callbacks): what compareWalk must agree
 * with, for the equivalence tests.
 */
export function compareObjectsByWalk(lhs: JsonObject, rhs: JsonObject, schema: Schema | undefined, resolver: SchemaResolver): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const w = comparisonWalker(c, resolver);
  if (isAtomicMap(schema)) walk(lhs, rhs, schema, [], w);
  else walkMap(lhs, rhs, schema, [], w);
  return c;
}

/** The Walker of a comparison into `c` (walk's compare mode, for what compareWalk hands back to walkList). */
function comparisonWalker(c: Comparison, resolver: SchemaResolver): Walker {
  return {
    resolver,
    dropNulls: false,
    compareOnly: true,
    leaf: (path, l, r) => compareLeaf(l, r, path, c),
    item: (path, l, r, structField) => {
      if (structField) return;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
    },
  };
}

/**
 * What walk() in comparison mode inserts into `added` for a value the left side lacks: `v` is at element
 * `pe` of the set `at` (the added paths below the parent), so each insertion is local, not a walk from the root.
 */
function insertAdded(
  v: JsonValue | undefined,
  schema: Schema | undefined,
  at: FieldSet,
  pe: PathElement,
  resolver: SchemaResolver,
  declared: boolean,
): void {
  if (isObject(v)) {
    if (isAtomicMap(schema) || isEmptyOrAbsent(v)) {
      at.addMember(pe);
      return;
    }
    const below = at.childSet(pe);
    for (const k of Object.keys(v)) {
      insertAdded(v[k], childSchema(schema, k, resolver), below, fieldPE(k), resolver, isDeclaredField(schema, k));
    }
    // A declared struct field is never added itself (see compareObjects).
    if (!(declared && schema?.properties)) at.addMember(pe);
    return;
  }
  if (Array.isArray(v)) {
    const sem = listSemantics(schema);
    if (sem.type === 'atomic' || v.length === 0) {
      at.addMember(pe);
      return;
    }
    const items = itemsSchema(schema, resolver);
    const below = at.childSet(pe);
    const seen = new Set<PathElement>();
    for (let i = 0; i < v.length; i++) {
      const itemPE = listItemPE(v[i]!, sem, items, resolver, i);
      if (seen.has(itemPE)) continue; // a duplicate adds nothing the first item did not
      seen.add(itemPE);
      insertAdded(v[i], items, below, itemPE, resolver, false);
    }
    at.addMember(pe);
    return;
  }
  at.addMember(pe);
}

/**
 * The fieldsV1 encoding of what a create adds (compareObjects({}, obj).added less `stripped`, then
 * toFieldsV1), built in one walk without a FieldSet: the same paths insertAdded finds, each node's members
 * marked as toFieldsV1 marks them ("." for a member that also has members below), keys in upstream's
 * order. `stripped` maps a top-level field element to the elements removed as members below it ("" = the
 * top-level member itself), as recordUpdate's identity fields. Throws ListItemError as insertAdded does.
 */
export function createdFieldsV1(
  obj: JsonObject,
  schema: Schema | undefined,
  resolver: SchemaResolver,
  stripped: ReadonlyMap<PathElement, ReadonlySet<PathElement>>,
  /** Top-level members left out with everything below them (fields nobody owns through the write). */
  skip?: readonly string[],
): JsonObject {
  // The scratch stack may hold what a walk left when it threw (ListItemError).
  pendingPEs.length = 0;
  pendingNodes.length = 0;
  for (const k in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, k) || (skip !== undefined && skip.includes(k))) continue;
    const pe = fieldPE(k);
    const strip = stripped.get(pe);
    addedNode(pe, obj[k], childSchema(schema, k, resolver), resolver, isDeclaredField(schema, k), !strip?.has(''), strip);
  }
  return nodeOf(0, false);
}

/**
 * The members of the fieldsV1 nodes being built, as one stack shared by the whole walk (element and node in
 * two parallel arrays): a node's members are what its children pushed above the stack's height when it
 * started, made into its object and popped when it ends (no list of entries per node).
 */
const pendingPEs: PathElement[] = [];
const pendingNodes: JsonObject[] = [];

/**
 * One value's part of createdFieldsV1, pushed onto the stack when there is any: the value's element `pe` (a
 * member unless `allowMember` is false or it is a declared struct field) with the encoding of what is below
 * it. `strip`: elements that are not members below this value (see createdFieldsV1).
 */
function addedNode(
  pe: PathElement,
  v: JsonValue | undefined,
  schema: Schema | undefined,
  resolver: SchemaResolver,
  declared: boolean,
  allowMember: boolean,
  strip?: ReadonlySet<PathElement>,
): void {
  let member = allowMember;
  const base = pendingPEs.length;
  if (isObject(v)) {
    if (!isAtomicMap(schema) && !isEmptyOrAbsent(v)) {
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        const childPE = fieldPE(k);
        addedNode(childPE, v[k], childSchema(schema, k, resolver), resolver, isDeclaredField(schema, k), !strip?.has(childPE));
      }
      member &&= !(declared && schema?.properties);
    }
  } else if (Array.isArray(v)) {
    const sem = listSemantics(schema);
    if (sem.type !== 'atomic' && v.length > 0) {
      const items = itemsSchema(schema, resolver);
      // Items already added are what this list pushed since `base` (each item pushes its one element).
      const seen = v.length > 32 ? new Set<PathElement>() : undefined;
      for (let i = 0; i < v.length; i++) {
        const itemPE = listItemPE(v[i]!, sem, items, resolver, i);
        if (seen !== undefined ? seen.has(itemPE) : pendingPEs.indexOf(itemPE, base) >= 0) continue;
        seen?.add(itemPE);
        addedNode(itemPE, v[i], items, resolver, false, true);
      }
    }
  }
  if (pendingPEs.length > base) {
    const node = nodeOf(base, member);
    pendingPEs.push(pe);
    pendingNodes.push(node);
  } else if (member) {
    pendingPEs.push(pe);
    pendingNodes.push({});
  }
}

/**
 * The fieldsV1 node of the members on the stack from `base` up, in upstream's key order, "." first when the
 * node is a member itself; pops them.
 */
function nodeOf(base: number, member: boolean): JsonObject {
  const top = pendingPEs.length;
  if (top - base > 16) sortPending(base, top);
  else {
    // Insertion sort: a node holds a handful of members, which this orders faster than Array.prototype.sort.
    for (let i = base + 1; i < top; i++) {
      const pe = pendingPEs[i]!;
      const node = pendingNodes[i]!;
      let j = i - 1;
      while (j >= base && comparePathElements(pendingPEs[j]!, pe) > 0) {
        pendingPEs[j + 1] = pendingPEs[j]!;
        pendingNodes[j + 1] = pendingNodes[j]!;
        j--;
      }
      pendingPEs[j + 1] = pe;
      pendingNodes[j + 1] = node;
    }
  }
  const out: JsonObject = {};
  if (member) out['.'] = {};
  for (let i = base; i < top; i++) out[pendingPEs[i]!] = pendingNodes[i]!;
  pendingPEs.length = base;
  pendingNodes.length = base;
  return out;
}

/** Sorts a long run of the stack (a large map's members) by element. */
function sortPending(base: number, top: number): void {
  const order = Array.from({ length: top - base }, (_, i) => base + i).sort((a, b) => comparePathElements(pendingPEs[a]!, pendingPEs[b]!));
  const pes = order.map((i) => pendingPEs[i]!);
  const nodes = order.map((i) => pendingNodes[i]!);
  for (let i = 0; i < pes.length; i++) {
    pendingPEs[base + i] = pes[i]!;
    pendingNodes[base + i] = nodes[i]!;
  }
}

/**
 * Upstream TypedValue.RemoveItems: drops every member of `set` (map entries, fields and list items, with
 * everything below them); atomic values are never entered.
 */
export function removeItems(obj: JsonObject, set: FieldSet, schema: Schema | undefined, resolver: SchemaResolver): JsonObject {
  if (set.isEmpty()) return obj;
  const out = removeIn(obj, set, schema, resolver);
  return isObject(out) ? out : obj;
}

function removeIn(v: JsonValue, set: FieldSet, schema: Schema | undefined, resolver: SchemaResolver): JsonValue {
  if (isObject(v)) {
    if (isAtomicMap(schema)) return v;
    const out: JsonObject = {};
    for (const [k, child] of Object.entries(v)) {
      const pe = fieldPE(k);
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      out[k] = sub.isEmpty() ? child : removeIn(child, sub, childSchema(schema, k, resolver), resolver);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const sem = listSemantics(schema);
    if (sem.type === 'atomic') return v;
    const items = itemsSchema(schema, resolver);
    const out: JsonValue[] = [];
    v.forEach((item, i) => {
      const pe = listItemPE(item, sem, items, resolver, i);
      if (set.hasMember(pe)) return;
      const sub = set.withPrefix(pe);
      out.push(sub.isEmpty() ? item : removeIn(item, sub, items, resolver));
    });
    return out;
  }
  return v;
}
