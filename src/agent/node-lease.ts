// A node's heartbeat Lease in kube-node-lease, as the kubelet writes it (holderIdentity = node name,
// leaseDurationSeconds 40, owned by its Node so it goes away with it). Pure: builds the object; renewals are
// done by Heartbeats (src/runtime/sim/heartbeats.ts), shared by real and simulated nodes.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { microTime } from '../util/wire-time.js';

export const nodeLeaseNamespace = 'kube-node-lease';

/** Upstream kubelet defaults: --node-lease-duration-seconds 40, renewed every quarter of it (10 s). */
export const defaultLeaseDurationSeconds = 40;

export function buildLease(nodeName: string, nodeUid: string | undefined, durationSeconds: number, nowMs: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: nodeLeaseNamespace,
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] } : {}),
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: microTime(nowMs) },
  };
}
