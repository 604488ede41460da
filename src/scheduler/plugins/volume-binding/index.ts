// VolumeBinding (the part Skiff has): a pod whose claims are bound to PersistentVolumes with node affinity
// (local and local-path volumes) fits only nodes those volumes admit, with upstream's reason. Unbound
// WaitForFirstConsumer claims do not constrain the node: the PV controller selects the node the pod was
// bound to (docs/compatibility.md). Missing or unbound claims are left to the node agent (FailedMount).
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { termsMatchNode } from '../../framework/node-selector.js';
import { unresolvable, type FilterPlugin, type PreFilterPlugin } from '../../framework/types.js';

export const name = 'VolumeBinding';
export const reason = 'node(s) had volume node affinity conflict';

export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
}

const stateKey = 'PreFilter' + name;

/** The bound volumes of a pod's claims that carry required node affinity (pure). */
export function constrainingVolumes(podNamespace: string, claimNames: string[], lookup: VolumeLookup): PersistentVolume[] {
  const out: PersistentVolume[] = [];
  for (const c of claimNames) {
    const volumeName = lookup.claim(podNamespace, c)?.spec?.volumeName;
    const pv = volumeName ? lookup.volume(volumeName) : undefined;
    if (pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms?.length) out.push(pv);
  }
  return out;
}

export function volumeBinding(lookup: VolumeLookup): PreFilterPlugin & FilterPlugin {
  return {
    name,
    events: () => ['NodeAdd', 'NodeLabel'],
    preFilter: (state, pod) => {
      const claims = (pod.pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
      const pvs = claims.length ? constrainingVolumes(pod.namespace, claims, lookup) : [];
      if (!pvs.length) state.skipFilter.add(name);
      else state.write(stateKey, pvs);
      return null;
    },
    filter: (state, _pod, ni) => {
      const pvs = state.read<PersistentVolume[]>(stateKey) ?? [];
      const labels = ni.node?.metadata?.labels ?? {};
      for (const pv of pvs) {
        if (!termsMatchNode(pv.spec!.nodeAffinity!.required!.nodeSelectorTerms, labels, ni.name)) return unresolvable(reason);
      }
      return null;
    },
  };
}
