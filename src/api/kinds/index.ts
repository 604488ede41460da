// Every built-in resource the API server serves, with upstream's discovery identity and storage layout.
// Order: core first, then groups in upstream's discovery order. Kinds are declared per group in sibling
// modules; this module only assembles them and must not hold kind rules itself.
import type { ResourceType } from '../resource.js';
import { apiextensionsResources } from './apiextensions.js';
import { appsResources } from './apps.js';
import { autoscalingResources } from './autoscaling.js';
import { batchResources } from './batch.js';
import { coreResources } from './core.js';
import { eventResources } from './events.js';
import { networkingResources } from './networking.js';
import { rbacResources } from './rbac.js';
import { reviewResources } from './reviews.js';
import { smallGroupResources } from './small-groups.js';

/** Upstream's group order in /apis discovery (the groups Skiff serves). */
const GROUP_ORDER = [
  '',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
];

export function builtinResources(): ResourceType[] {
  const all = [
    ...coreResources(),
    ...eventResources(),
    ...appsResources(),
    ...batchResources(),
    ...autoscalingResources(),
    ...networkingResources(),
    ...rbacResources(),
    ...smallGroupResources(),
    ...reviewResources(),
    ...apiextensionsResources(),
  ];
  const rank = (g: string): number => {
    const i = GROUP_ORDER.indexOf(g);
    return i < 0 ? GROUP_ORDER.length : i;
  };
  // Stable sort: by group rank, preferred version first, then resource name.
  return all
    .map((rt, i) => ({ rt, i }))
    .sort((a, b) => rank(a.rt.group) - rank(b.rt.group) || Number(b.rt.preferred) - Number(a.rt.preferred) || a.rt.resource.localeCompare(b.rt.resource) || a.i - b.i)
    .map((x) => x.rt);
}

export { eventsV1ToCore, coreToEventsV1 } from './events.js';
export { hpaV1ToV2, hpaV2ToV1 } from './autoscaling.js';
export { podQosClass, defaultImagePullPolicy } from './pod-spec.js';
