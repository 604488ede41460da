// The selector upstream's PodTopologySpread default constraints use for a pod: the AND of the selectors
// of the Services that select it and of its controlling ReplicaSet / StatefulSet / ReplicationController.
// Reads informer caches only.
import type { Pod, ReplicationController, Service } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector as LabelSelectorObject, LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js';
import type { ReadonlyIndexer } from '../client/index.js';
import { labelSelectorFromObject, selectorFromSet, type LabelSelector } from '../util/label-selector.js';
import type { PodInfo } from './framework/node-info.js';

export interface OwnerCaches {
  services?: ReadonlyIndexer<Service>;
  replicaSets?: ReadonlyIndexer<ReplicaSet>;
  statefulSets?: ReadonlyIndexer<StatefulSet>;
  replicationControllers?: ReadonlyIndexer<ReplicationController>;
}

export function defaultSpreadSelector(caches: OwnerCaches): (pod: PodInfo) => LabelSelector | undefined {
  return (pi) => {
    const pod: Pod = pi.pod;
    const ns = pi.namespace;
    const matchLabels: Record<string, string> = {};
    const matchExpressions: LabelSelectorRequirement[] = [];
    let any = false;
    if (caches.services) {
      for (const s of caches.services.byIndex('namespace', ns)) {
        const sel = s.spec?.selector;
        if (!sel || Object.keys(sel).length === 0) continue;
        if (!selectorFromSet(sel).matches(pi.labels)) continue;
        Object.assign(matchLabels, sel);
        any = true;
      }
    }
    const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
    if (owner) {
      let sel: LabelSelectorObject | undefined;
      const key = `${ns}/${owner.name}`;
      if (owner.kind === 'ReplicaSet') sel = caches.replicaSets?.get(key)?.spec?.selector;
      else if (owner.kind === 'StatefulSet') sel = caches.statefulSets?.get(key)?.spec?.selector;
      else if (owner.kind === 'ReplicationController') {
        const s = caches.replicationControllers?.get(key)?.spec?.selector;
        if (s) sel = { matchLabels: s };
      }
      if (sel) {
        Object.assign(matchLabels, sel.matchLabels ?? {});
        matchExpressions.push(...(sel.matchExpressions ?? []));
        any = true;
      }
    }
    if (!any) return undefined;
    return labelSelectorFromObject({ matchLabels, matchExpressions });
  };
}
