// Which PersistentVolume satisfies a claim, as upstream's PV controller chooses (pkg/controller/volume/
// persistentvolume/index.go findMatchingVolume): a volume pre-bound to the claim wins; otherwise the smallest
// available volume of the claim's class whose capacity covers the request, whose access modes include the
// claim's, whose volumeMode matches, whose labels match the claim's selector and (for a claim waiting on a
// selected node) whose node affinity admits that node. Pure.
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { termsMatchNode } from '../../scheduler/framework/node-selector.js';
import { labelSelectorFromObject, matchesLabels } from '../../util/label-selector.js';
import { tryParseQuantity } from '../../util/quantity.js';

export const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
export const betaDefaultClassAnnotation = 'storageclass.beta.kubernetes.io/is-default-class';

/** The claim's class ("" = no class). undefined storageClassName reads as "" here; the default is assigned earlier. */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? '';
}

export function volumeClass(pv: PersistentVolume): string {
  return pv.spec?.storageClassName ?? '';
}

/** The cluster's default class (newest among several, as upstream since 1.26), or undefined. */
export function defaultStorageClass(classes: StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter((c) => c.metadata?.annotations?.[defaultClassAnnotation] === 'true' || c.metadata?.annotations?.[betaDefaultClassAnnotation] === 'true');
  defaults.sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  return defaults[0];
}

function requestBytes(pvc: PersistentVolumeClaim): bigint {
  return tryParseQuantity(pvc.spec?.resources?.requests?.['storage'])?.scaledValue(0) ?? 0n;
}

function capacityBytes(pv: PersistentVolume): bigint {
  return tryParseQuantity(pv.spec?.capacity?.['storage'])?.scaledValue(0) ?? 0n;
}

function isPreBoundTo(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata?.name || (ref.namespace ?? '') !== (pvc.metadata?.namespace ?? '')) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/** Whether the PV's required node affinity admits the node (the scheduler's node-selector matching). */
export function nodeAffinityAdmits(pv: PersistentVolume, node: Pick<Node, 'metadata'>): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return termsMatchNode(terms, node.metadata?.labels ?? {}, node.metadata?.name ?? '');
}

/** Why a volume cannot serve the claim, or undefined when it can (pure). */
export function mismatch(pv: PersistentVolume, pvc: PersistentVolumeClaim, node?: Pick<Node, 'metadata'>): string | undefined {
  if (pv.metadata?.deletionTimestamp) return 'being deleted';
  if (pv.spec?.claimRef && !isPreBoundTo(pv, pvc)) return 'bound to another claim';
  if (volumeClass(pv) !== claimClass(pvc)) return 'different class';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return 'different volumeMode';
  if (capacityBytes(pv) < requestBytes(pvc)) return 'too small';
  const modes = pv.spec?.accessModes ?? [];
  if (!(pvc.spec?.accessModes ?? []).every((m) => modes.includes(m))) return 'access modes';
  if (pvc.spec?.selector && !matchesLabels(labelSelectorFromObject(pvc.spec.selector), pv.metadata?.labels ?? {})) return 'selector';
  if (node && !nodeAffinityAdmits(pv, node)) return 'node affinity';
  const phase = pv.status?.phase;
  if (!isPreBoundTo(pv, pvc) && phase && phase !== 'Available' && phase !== 'Pending') return `phase ${phase}`;
  return undefined;
}

/** The volume to bind: a matching pre-bound one first, else the smallest matching (ties by name). */
export function findMatchingVolume(pvc: PersistentVolumeClaim, pvs: PersistentVolume[], node?: Pick<Node, 'metadata'>): PersistentVolume | undefined {
  const candidates = pvs.filter((pv) => mismatch(pv, pvc, node) === undefined);
  const pre = candidates.find((pv) => isPreBoundTo(pv, pvc));
  if (pre) return pre;
  candidates.sort((a, b) => {
    const d = capacityBytes(a) - capacityBytes(b);
    return d < 0n ? -1 : d > 0n ? 1 : String(a.metadata?.name).localeCompare(String(b.metadata?.name));
  });
  return candidates[0];
}
