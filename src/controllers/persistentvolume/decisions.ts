// What the PV controller does next for a claim or a volume (pure): assign the default class, wait for the
// first consumer, bind to a matching volume, hand over to a provisioner, or report that nothing fits; mark a
// volume Available, Bound or Released and decide its reclaim. The controller performs the writes.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { annDynamicallyProvisioned, annSelectedNode, annStorageProvisioner } from './annotations.js';
import { claimClass, findMatchingVolume } from './matching.js';

export type ClaimAction =
  | { kind: 'none' }
  | { kind: 'assignDefaultClass'; className: string }
  | { kind: 'selectNode'; nodeName: string }
  | { kind: 'waitForConsumer' }
  | { kind: 'bind'; pv: PersistentVolume }
  | { kind: 'provision'; provisioner: string }
  | { kind: 'noVolume'; message: string }
  | { kind: 'completeBound'; pv: PersistentVolume }
  | { kind: 'lost'; message: string };

export interface ClaimInputs {
  pvc: PersistentVolumeClaim;
  volumes: PersistentVolume[];
  classes: Map<string, StorageClass>;
  defaultClass?: StorageClass;
  /** Scheduled pods of the claim's namespace that use it (for WaitForFirstConsumer). */
  consumers: Pod[];
  nodes: Map<string, Node>;
}

const noProvisioner = 'kubernetes.io/no-provisioner';

export function claimUsers(pods: Pod[], pvc: PersistentVolumeClaim): Pod[] {
  return pods.filter((p) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata?.name));
}

export function decideClaim(i: ClaimInputs): ClaimAction {
  const { pvc } = i;
  if (pvc.metadata?.deletionTimestamp) return { kind: 'none' };
  const volumeName = pvc.spec?.volumeName;
  if (volumeName) {
    const pv = i.volumes.find((v) => v.metadata?.name === volumeName);
    if (!pv) return { kind: 'lost', message: 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!' };
    const ref = pv.spec?.claimRef;
    if (ref && (ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace || (ref.uid && ref.uid !== pvc.metadata?.uid))) {
      return { kind: 'lost', message: 'Two claims are bound to the same volume, this one is bound incorrectly' };
    }
    return { kind: 'completeBound', pv };
  }
  if (pvc.spec?.storageClassName === undefined && i.defaultClass?.metadata?.name) return { kind: 'assignDefaultClass', className: i.defaultClass.metadata.name };
  const cls = i.classes.get(claimClass(pvc));
  const selected = pvc.metadata?.annotations?.[annSelectedNode];
  if (cls?.volumeBindingMode === 'WaitForFirstConsumer' && !selected) {
    const scheduled = i.consumers.find((p) => p.spec?.nodeName);
    return scheduled ? { kind: 'selectNode', nodeName: scheduled.spec!.nodeName! } : { kind: 'waitForConsumer' };
  }
  const node = selected ? (i.nodes.get(selected) ?? { metadata: { name: selected, labels: { 'kubernetes.io/hostname': selected } } }) : undefined;
  const pv = findMatchingVolume(pvc, i.volumes, cls?.volumeBindingMode === 'WaitForFirstConsumer' ? node : undefined);
  if (pv) return { kind: 'bind', pv };
  if (cls?.provisioner && cls.provisioner !== noProvisioner) {
    return pvc.metadata?.annotations?.[annStorageProvisioner] === cls.provisioner ? { kind: 'none' } : { kind: 'provision', provisioner: cls.provisioner };
  }
  const className = claimClass(pvc);
  if (!className) return { kind: 'noVolume', message: 'no persistent volumes available for this claim and no storage class is set' };
  if (!cls) return { kind: 'noVolume', message: `storageclass.storage.k8s.io "${className}" not found` };
  return { kind: 'noVolume', message: 'no persistent volumes available for this claim and no storage class is set' };
}

export type VolumeAction =
  | { kind: 'none' }
  | { kind: 'phase'; phase: 'Available' | 'Bound' | 'Released' }
  | { kind: 'failed'; message: string }
  /** A provisioner (or the node agent, for local-path) deletes the volume's data and the object. */
  | { kind: 'awaitDeletion' };

/** What a volume needs, given whether its claim still exists with the same uid. */
export function decideVolume(pv: PersistentVolume, claim: PersistentVolumeClaim | undefined): VolumeAction {
  const phase = pv.status?.phase;
  const ref = pv.spec?.claimRef;
  if (pv.metadata?.deletionTimestamp) return { kind: 'none' };
  if (!ref) return phase === 'Available' ? { kind: 'none' } : { kind: 'phase', phase: 'Available' };
  if (!ref.uid) return phase === 'Available' ? { kind: 'none' } : { kind: 'phase', phase: 'Available' }; // pre-bound, waiting for its claim
  const claimAlive = claim && claim.metadata?.uid === ref.uid;
  if (claimAlive) {
    if (claim.spec?.volumeName === pv.metadata?.name) return phase === 'Bound' ? { kind: 'none' } : { kind: 'phase', phase: 'Bound' };
    return { kind: 'none' }; // binding in progress
  }
  if (phase !== 'Released' && phase !== 'Failed') return { kind: 'phase', phase: 'Released' };
  if (phase === 'Failed') return { kind: 'none' };
  const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
  if (policy === 'Retain') return { kind: 'none' };
  if (policy === 'Delete' && pv.metadata?.annotations?.[annDynamicallyProvisioned]) return { kind: 'awaitDeletion' };
  if (policy === 'Recycle') return { kind: 'failed', message: 'No recycler plugin found for the volume!' };
  return { kind: 'failed', message: `error getting deleter volume plugin for volume "${pv.metadata?.name}": no deletable volume plugin matched` };
}
