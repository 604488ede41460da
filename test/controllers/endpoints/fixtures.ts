// Pod and Service fixtures for the endpoints / endpointslice decision tests.
import type { Pod, Service } from 'kubernetes-types/core/v1.js';

export function pod(name: string, o: { ip?: string; ready?: boolean; deleting?: boolean; phase?: string; ports?: { name: string; containerPort: number }[]; hostname?: string; subdomain?: string; node?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'c', image: 'x', ports: o.ports }], nodeName: o.node, hostname: o.hostname, subdomain: o.subdomain },
    status: { phase: o.phase ?? 'Running', podIP: o.ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

export function service(spec: Service['spec'] = {}): Service {
  return { metadata: { name: 'web', namespace: 'default', uid: 'svc-uid' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec } };
}
