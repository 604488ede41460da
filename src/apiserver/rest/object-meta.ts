// Generic ObjectMeta rules every kind shares (upstream's BeforeCreate/BeforeUpdate and
// ValidateObjectMeta): generated names, uid, timestamps, generation, and validation of names, labels,
// annotations, finalizers and ownerReferences. Kind-specific rules live in the kind strategies.
import { randomInt } from 'node:crypto';
import { newUid } from './uid.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject } from '../../api/types.js';
import { cause, errors, type StatusCause } from '../../api/errors.js';
import { isQualifiedName, isValidLabelValue, validateName } from '../../util/names.js';
import { deepEqual } from '../../util/deep-equal.js';


const totalAnnotationSizeLimit = 256 * 1024;
// upstream's utilrand alphabet (no vowels, no confusable characters)
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

let nowSecond = -1;
let nowText = '';

/** The current time as RFC 3339 seconds (formatted once per second: every write asks, often several times). */
export function now(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== nowSecond) {
    nowSecond = second;
    nowText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return nowText;
}

export function generateNameSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += nameAlphabet[randomInt(nameAlphabet.length)];
  return s;
}

/** Checks the object's namespace against the URL's and fills it in (namespaced kinds) or clears it. */
export function reconcileNamespace(rt: ResourceType, obj: KubeObject, urlNamespace: string): void {
  const meta = obj.metadata;
  if (!rt.namespaced) {
    if (meta.namespace) meta.namespace = undefined;
    return;
  }
  if (meta.namespace && urlNamespace && meta.namespace !== urlNamespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  meta.namespace = meta.namespace || urlNamespace;
}

/** System fields for a new object. Runs after the client's metadata was checked for shape. */
export function prepareCreateMeta(rt: ResourceType, obj: KubeObject, timestamp: string): void {
  const meta = obj.metadata;
  if (!meta.name && meta.generateName) meta.name = meta.generateName + generateNameSuffix();
  meta.uid = newUid();
  meta.creationTimestamp = timestamp;
  const m = meta as Record<string, unknown>;
  setOrDrop(m, 'deletionTimestamp', undefined);
  setOrDrop(m, 'deletionGracePeriodSeconds', undefined);
  setOrDrop(m, 'resourceVersion', undefined);
  setOrDrop(m, 'selfLink', undefined);
  setOrDrop(m, 'generation', rt.strategy.generation ? 1 : undefined);
  dropUndefined(meta);
}

/** Carries system fields from the stored object and bumps generation when the spec changed. */
export function prepareUpdateMeta(rt: ResourceType, obj: KubeObject, old: KubeObject): StatusCause[] {
  const meta = obj.metadata;
  const oldMeta = old.metadata;
  const causes: StatusCause[] = [];
  if (meta.uid && meta.uid !== oldMeta.uid) causes.push(cause.invalid('metadata.uid', meta.uid, 'field is immutable'));
  if (meta.creationTimestamp && meta.creationTimestamp !== oldMeta.creationTimestamp) {
    // upstream silently resets it
  }
  // Members set only when they have a value, and deleted only when present: a property set to undefined and
  // then deleted turns the object into a slow dictionary-mode one for the rest of its life.
  const m = meta as Record<string, unknown>;
  setOrDrop(m, 'uid', oldMeta.uid);
  setOrDrop(m, 'creationTimestamp', oldMeta.creationTimestamp);
  setOrDrop(m, 'deletionTimestamp', oldMeta.deletionTimestamp);
  setOrDrop(m, 'deletionGracePeriodSeconds', oldMeta.deletionGracePeriodSeconds);
  if (meta.generateName === undefined || meta.generateName === null) setOrDrop(m, 'generateName', oldMeta.generateName);
  setOrDrop(m, 'selfLink', undefined);
  if (rt.strategy.generation) {
    const oldGen = oldMeta.generation ?? 1;
    meta.generation = specChanged(obj, old) ? oldGen + 1 : oldGen;
  } else {
    setOrDrop(m, 'generation', oldMeta.generation);
  }
  dropUndefined(meta);
  return causes;
}

/** Anything outside metadata and status counts as spec for generation purposes. */
export function specChanged(a: KubeObject, b: KubeObject): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'status' || k === 'apiVersion' || k === 'kind') continue;
    if (!deepEqual(a[k], b[k])) return true;
  }
  return false;
}

/**
 * Metadata checks of a create or an update. `old`: the stored object an update replaces; what equals its
 * metadata passed these checks when it was written and is not checked again (an update's name and namespace
 * are the stored object's; most updates leave labels, annotations, finalizers and owners alone).
 */
export function validateObjectMeta(rt: ResourceType, obj: KubeObject, isCreate: boolean, old?: KubeObject): StatusCause[] {
  const meta = obj.metadata;
  const oldMeta = old?.metadata;
  const causes: StatusCause[] = [];
  if (!meta.name) {
    if (isCreate && !meta.generateName) {
      causes.push(cause.required('metadata.name', 'name or generateName is required'));
    }
  } else if (meta.name !== oldMeta?.name) {
    for (const msg of validateName(rt.strategy.nameRule, meta.name)) {
      causes.push(cause.invalid('metadata.name', meta.name, msg));
    }
  }
  if (meta.generateName && !meta.name) {
    for (const msg of validateName(rt.strategy.nameRule, meta.generateName, true)) {
      causes.push(cause.invalid('metadata.generateName', meta.generateName, msg));
    }
  }
  if (rt.namespaced && !meta.namespace) causes.push(cause.required('metadata.namespace'));
  if (meta.namespace && rt.namespaced && meta.namespace !== oldMeta?.namespace) {
    for (const msg of validateName('dns1123-label', meta.namespace)) {
      causes.push(cause.invalid('metadata.namespace', meta.namespace, msg));
    }
  }
  // An absent (or null) member has nothing to check.
  if (meta.labels != null && changedMember(meta.labels, oldMeta?.labels, oldMeta)) causes.push(...validateLabels(meta.labels, 'metadata.labels'));
  if (meta.annotations != null && changedMember(meta.annotations, oldMeta?.annotations, oldMeta)) causes.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  if (meta.finalizers != null && changedMember(meta.finalizers, oldMeta?.finalizers, oldMeta)) causes.push(...validateFinalizers(meta.finalizers));
  if (meta.ownerReferences != null && changedMember(meta.ownerReferences, oldMeta?.ownerReferences, oldMeta)) causes.push(...validateOwnerReferences(meta.ownerReferences));
  return causes;
}

/** Whether a metadata member is new or differs from the stored object's (a create has no stored object). */
function changedMember(v: unknown, was: unknown, oldMeta: ObjectMeta | undefined): boolean {
  return oldMeta === undefined || !deepEqual(v, was);
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!labels) return causes;
  if (typeof labels !== 'object' || Array.isArray(labels)) return [cause.typeInvalid(field, labels, 'must be a map')];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) causes.push(cause.invalid(field, k, msg));
    if (typeof v !== 'string') {
      causes.push(cause.typeInvalid(`${field}`, v, 'label values must be strings'));
      continue;
    }
    for (const msg of isValidLabelValue(v)) causes.push(cause.invalid(field, v, msg));
  }
  return causes;
}

export function validateAnnotations(ann: Record<string, string> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!ann) return causes;
  if (typeof ann !== 'object' || Array.isArray(ann)) return [cause.typeInvalid(field, ann, 'must be a map')];
  let total = 0;
  for (const [k, v] of Object.entries(ann)) {
    for (const msg of isQualifiedName(k.toLowerCase())) causes.push(cause.invalid(field, k, msg));
    if (typeof v !== 'string') causes.push(cause.typeInvalid(field, v, 'annotation values must be strings'));
    total += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (total > totalAnnotationSizeLimit) causes.push(cause.tooLong(field, totalAnnotationSizeLimit));
  return causes;
}

function validateFinalizers(finalizers: string[] | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!finalizers) return causes;
  finalizers.forEach((f, i) => {
    if (typeof f !== 'string') {
      causes.push(cause.typeInvalid(`metadata.finalizers[${i}]`, f, 'must be a string'));
      return;
    }
    for (const msg of isQualifiedName(f)) causes.push(cause.invalid(`metadata.finalizers[${i}]`, f, msg));
  });
  return causes;
}

function validateOwnerReferences(refs: ObjectMeta['ownerReferences']): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!refs) return causes;
  let controllers = 0;
  refs.forEach((r, i) => {
    const f = `metadata.ownerReferences[${i}]`;
    if (!r || typeof r !== 'object') {
      causes.push(cause.typeInvalid(f, r, 'must be an object'));
      return;
    }
    if (!r.apiVersion) causes.push(cause.invalid(`${f}.apiVersion`, r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) causes.push(cause.invalid(`${f}.kind`, r.kind ?? '', 'kind must not be empty'));
    if (!r.name) causes.push(cause.invalid(`${f}.name`, r.name ?? '', 'name must not be empty'));
    if (!r.uid) causes.push(cause.invalid(`${f}.uid`, r.uid ?? '', 'uid must not be empty'));
    if (r.controller) controllers++;
  });
  if (controllers > 1) {
    causes.push(cause.invalid('metadata.ownerReferences', refs, 'Only one reference can have Controller set to true'));
  }
  return causes;
}

/**
 * Whatever still holds a deleted object: metadata.finalizers, and for namespaces also spec.finalizers (the
 * namespace controller's "kubernetes" finalizer, released through /finalize).
 */
export function hasPendingFinalizers(rt: ResourceType, obj: KubeObject): boolean {
  if (obj.metadata.finalizers?.length) return true;
  if (rt.group === '' && rt.resource === 'namespaces') {
    return ((obj['spec'] as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0;
  }
  return false;
}

/** Finalizer names upstream reserves for deletion propagation. */
export const finalizers = {
  orphan: 'orphan',
  foreground: 'foregroundDeletion',
};

/** Sets o[k] to v, or removes k when v is undefined (without adding it first). */
function setOrDrop(o: Record<string, unknown>, k: string, v: unknown): void {
  if (v !== undefined) o[k] = v;
  else if (Object.prototype.hasOwnProperty.call(o, k)) delete o[k];
}

function dropUndefined(o: Record<string, unknown> | ObjectMeta): void {
  for (const k of Object.keys(o)) if ((o as Record<string, unknown>)[k] === undefined) delete (o as Record<string, unknown>)[k];
}
