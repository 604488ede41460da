// What a PodInfo derives from its pod, as plain data to compare two PodInfos with deepEqual (tests).
import type { PodInfo } from '../../src/scheduler/framework/node-info.js';

export const podInfoDerived = (p: PodInfo) => ({
  key: p.key,
  namespace: p.namespace,
  name: p.name,
  priority: p.priority,
  requests: p.requests,
  nonZeroRequests: p.nonZeroRequests,
  hostPorts: p.hostPorts,
  tolerations: p.tolerations,
  terms: [p.requiredAffinity, p.requiredAntiAffinity, p.preferredAffinity, p.preferredAntiAffinity].map((ts) => ts.map((t) => [t.key, t.topologyKey, t.weight])),
  labels: p.labels,
  terminating: p.terminating,
  startTime: p.startTime,
});
