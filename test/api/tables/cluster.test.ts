// Tables for networking, discovery, storage, autoscaling, policy, rbac, coordination, scheduling, node,
// admission, certificates, flow-control and apiregistration kinds — cells as upstream prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { tableFor } from '../../../src/api/tables/index.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const S = 1000;
const M = 60 * S;

const obj = (o: Record<string, unknown>): KubeObject => o as unknown as KubeObject;
function table(group: string, kind: string) {
  const t = tableFor(group, kind);
  assert.ok(t, `${group}/${kind} has a table`);
  return t;
}
const header = (group: string, kind: string) => table(group, kind).columns.map((c) => (c.priority ? `${c.name}*` : c.name));
const meta = { name: 'x', creationTimestamp: ago(5 * M) };

test('HPA: REFERENCE, TARGETS (v2 metrics and v1 CPU percentage), MINPODS, MAXPODS, REPLICAS', () => {
  assert.deepEqual(header('autoscaling', 'HorizontalPodAutoscaler'), ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
  const t = table('autoscaling', 'HorizontalPodAutoscaler');
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
  const cpu = (u: number) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: u } } });
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['v2 with current utilization', {
      spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 10, metrics: [cpu(70)] },
      status: { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 85 } } }] },
    }, ['x', 'Deployment/web', 'cpu: 85%/70%', '1', 10, 3, '5m']],
    ['v2 before metrics arrive', {
      spec: { scaleTargetRef: ref, maxReplicas: 5, metrics: [cpu(70)] },
      status: {},
    }, ['x', 'Deployment/web', 'cpu: <unknown>/70%', '<unset>', 5, 0, '5m']],
    ['v2 without metrics', { spec: { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 4 } }, ['x', 'Deployment/web', '<none>', '2', 4, 0, '5m']],
    ['v1 CPU percentage', {
      spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 10, targetCPUUtilizationPercentage: 50 },
      status: { currentReplicas: 2, currentCPUUtilizationPercentage: 12 },
    }, ['x', 'Deployment/web', 'cpu: 12%/50%', '1', 10, 2, '5m']],
    ['several metric kinds, two shown', {
      spec: {
        scaleTargetRef: ref, minReplicas: 1, maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
          { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '30' } } },
        ],
      },
      status: {
        currentReplicas: 1,
        currentMetrics: [
          { type: 'Resource', resource: { name: 'memory', current: { averageValue: '50Mi' } } },
          { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '7' } } },
        ],
      },
    }, ['x', 'Deployment/web', 'memory: 50Mi/100Mi, 7/10 + 1 more...', '1', 10, 1, '5m']],
    ['object and external averages, container resource', {
      spec: {
        scaleTargetRef: ref, maxReplicas: 3,
        metrics: [
          { type: 'Object', object: { metric: { name: 'rps' }, describedObject: { kind: 'Service', name: 's' }, target: { type: 'AverageValue', averageValue: '5' } } },
          { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 60 } } },
        ],
      },
      status: { currentMetrics: [{ type: 'Object', object: { metric: { name: 'rps' }, current: { averageValue: '4' } } }] },
    }, ['x', 'Deployment/web', '4/5 (avg), cpu: <unknown>/60%', '<unset>', 3, 0, '5m']],
  ];
  for (const [what, o, want] of cases) assert.deepEqual(t.row(obj({ metadata: meta, ...o }), NOW), want, what);
});

test('ingress and ingress class', () => {
  assert.deepEqual(header('networking.k8s.io', 'Ingress'), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
  const t = table('networking.k8s.io', 'Ingress');
  assert.deepEqual(
    t.row(obj({
      metadata: meta,
      spec: { ingressClassName: 'haproxy', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '192.168.1.10' }, { ip: '192.168.1.9' }] } },
    }), NOW),
    ['x', 'haproxy', 'a.example.com,b.example.com', '192.168.1.10,192.168.1.9', '80, 443', '5m'],
  );
  assert.deepEqual(t.row(obj({ metadata: meta, spec: { defaultBackend: {} } }), NOW), ['x', '<none>', '*', '', '80', '5m']);
  assert.equal(
    t.row(obj({ metadata: meta, spec: { rules: [{ host: 'a' }, {}, { host: 'c' }, { host: 'd' }, { host: 'e' }] } }), NOW)[2],
    'a,c,d + 2 more...',
  );
  const ic = table('networking.k8s.io', 'IngressClass');
  assert.deepEqual(
    ic.row(obj({ metadata: meta, spec: { controller: 'haproxy.org/ingress', parameters: { apiGroup: 'k8s.example.com', kind: 'Params', name: 'p' } } }), NOW),
    ['x', 'haproxy.org/ingress', 'Params.k8s.example.com/p', '5m'],
  );
  assert.deepEqual(ic.row(obj({ metadata: meta, spec: { controller: 'c' } }), NOW), ['x', 'c', '<none>', '5m']);
});

test('network policy, endpoint slice, service CIDR, IP address', () => {
  const np = table('networking.k8s.io', 'NetworkPolicy');
  assert.deepEqual(header('networking.k8s.io', 'NetworkPolicy'), ['Name', 'Pod-Selector', 'Age']);
  assert.deepEqual(np.row(obj({ metadata: meta, spec: { podSelector: {} } }), NOW), ['x', '<none>', '5m']);
  assert.deepEqual(
    np.row(obj({ metadata: meta, spec: { podSelector: { matchLabels: { role: 'db' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['test'] }, { key: 'legacy', operator: 'DoesNotExist' }] } } }), NOW),
    ['x', 'env notin (test),!legacy,role=db', '5m'],
  );

  assert.deepEqual(header('discovery.k8s.io', 'EndpointSlice'), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  const es = table('discovery.k8s.io', 'EndpointSlice');
  assert.deepEqual(
    es.row(obj({
      metadata: meta, addressType: 'IPv4',
      ports: [{ name: 'http', port: 80 }, { name: 'named' }, {}, { port: 9090 }],
      endpoints: [{ addresses: ['10.42.0.1'] }, { addresses: ['10.42.0.2', '10.42.0.3'] }, { addresses: ['10.42.0.4'] }],
    }), NOW),
    ['x', 'IPv4', '80,named,* + 1 more...', '10.42.0.1,10.42.0.2,10.42.0.3 + 1 more...', '5m'],
  );
  assert.deepEqual(es.row(obj({ metadata: meta, addressType: 'IPv6' }), NOW), ['x', 'IPv6', '<unset>', '<unset>', '5m']);

  assert.deepEqual(table('networking.k8s.io', 'ServiceCIDR').row(obj({ metadata: meta, spec: { cidrs: ['10.43.0.0/16', 'fd00::/108'] } }), NOW), [
    'x', '10.43.0.0/16,fd00::/108', '5m',
  ]);
  assert.deepEqual(
    table('networking.k8s.io', 'IPAddress').row(obj({ metadata: meta, spec: { parentRef: { group: '', resource: 'services', namespace: 'default', name: 'web' } } }), NOW),
    ['x', 'services/default/web'],
  );
});

test('storage class marks the default, plus CSI and attachment tables', () => {
  assert.deepEqual(header('storage.k8s.io', 'StorageClass'), ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']);
  const sc = table('storage.k8s.io', 'StorageClass');
  assert.deepEqual(
    sc.row(obj({
      metadata: { ...meta, name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer',
    }), NOW),
    ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '5m'],
  );
  assert.deepEqual(
    sc.row(obj({ metadata: { ...meta, name: 'fast', annotations: { 'storageclass.beta.kubernetes.io/is-default-class': 'false' } }, provisioner: 'p', allowVolumeExpansion: true }), NOW),
    ['fast', 'p', 'Delete', 'Immediate', true, '5m'],
  );
  assert.deepEqual(
    table('storage.k8s.io', 'VolumeAttachment').row(obj({ metadata: meta, spec: { attacher: 'csi.x', source: { persistentVolumeName: 'pv' }, nodeName: 'n1' }, status: { attached: true } }), NOW),
    ['x', 'csi.x', 'pv', 'n1', true, '5m'],
  );
  assert.deepEqual(
    table('storage.k8s.io', 'CSIDriver').row(obj({ metadata: meta, spec: { volumeLifecycleModes: ['Persistent', 'Ephemeral'], tokenRequests: [{ audience: 'a' }, { audience: 'b' }] } }), NOW),
    ['x', true, false, false, 'a,b', false, 'Persistent,Ephemeral', '5m'],
  );
  assert.deepEqual(table('storage.k8s.io', 'CSIDriver').row(obj({ metadata: meta, spec: {} }), NOW), ['x', true, false, false, '<unset>', false, '<none>', '5m']);
  assert.deepEqual(table('storage.k8s.io', 'CSINode').row(obj({ metadata: meta, spec: { drivers: [{ name: 'd', nodeID: 'n' }] } }), NOW), ['x', 1, '5m']);
  assert.deepEqual(table('storage.k8s.io', 'CSIStorageCapacity').row(obj({ metadata: meta, storageClassName: 'sc', capacity: '10Gi' }), NOW), ['x', 'sc', '10Gi']);
  assert.deepEqual(table('storage.k8s.io', 'CSIStorageCapacity').row(obj({ metadata: meta, storageClassName: 'sc' }), NOW), ['x', 'sc', '<unset>']);
});

test('pod disruption budget', () => {
  assert.deepEqual(header('policy', 'PodDisruptionBudget'), ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
  const t = table('policy', 'PodDisruptionBudget');
  assert.deepEqual(t.row(obj({ metadata: meta, spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }), NOW), ['x', '2', 'N/A', 1, '5m']);
  assert.deepEqual(t.row(obj({ metadata: meta, spec: { maxUnavailable: '25%' } }), NOW), ['x', 'N/A', '25%', 0, '5m']);
});

test('role bindings and cluster role bindings; roles use the default table', () => {
  assert.deepEqual(header('rbac.authorization.k8s.io', 'RoleBinding'), ['Name', 'Role', 'Age', 'Users*', 'Groups*', 'ServiceAccounts*']);
  const subjects = [
    { kind: 'User', name: 'alice' },
    { kind: 'User', name: 'bob' },
    { kind: 'Group', name: 'devs' },
    { kind: 'ServiceAccount', name: 'ci', namespace: 'build' },
  ];
  assert.deepEqual(
    table('rbac.authorization.k8s.io', 'RoleBinding').row(obj({ metadata: meta, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects }), NOW),
    ['x', 'ClusterRole/edit', '5m', 'alice, bob', 'devs', 'build/ci'],
  );
  const crb = table('rbac.authorization.k8s.io', 'ClusterRoleBinding');
  assert.equal(crb.columns[3].description, 'Users in the clusterRoleBinding');
  assert.deepEqual(crb.row(obj({ metadata: meta, roleRef: { kind: 'ClusterRole', name: 'view' } }), NOW), ['x', 'ClusterRole/view', '5m', '', '', '']);
  assert.equal(tableFor('rbac.authorization.k8s.io', 'Role'), undefined);
  assert.equal(tableFor('rbac.authorization.k8s.io', 'ClusterRole'), undefined);
  assert.equal(tableFor('', 'LimitRange'), undefined);
  assert.equal(tableFor('apiextensions.k8s.io', 'CustomResourceDefinition'), undefined);
});

test('lease, priority class, runtime class', () => {
  assert.deepEqual(table('coordination.k8s.io', 'Lease').row(obj({ metadata: meta, spec: { holderIdentity: 'server-1' } }), NOW), ['x', 'server-1', '5m']);
  assert.deepEqual(table('coordination.k8s.io', 'Lease').row(obj({ metadata: meta, spec: {} }), NOW), ['x', '', '5m']);
  assert.deepEqual(header('scheduling.k8s.io', 'PriorityClass'), ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy']);
  assert.deepEqual(
    table('scheduling.k8s.io', 'PriorityClass').row(obj({ metadata: meta, value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }), NOW),
    ['x', 2000001000, false, '5m', 'PreemptLowerPriority'],
  );
  assert.deepEqual(table('node.k8s.io', 'RuntimeClass').row(obj({ metadata: meta, handler: 'runc' }), NOW), ['x', 'runc', '5m']);
});

test('admission webhooks and policies, CSRs, flow control, API services', () => {
  assert.deepEqual(
    table('admissionregistration.k8s.io', 'MutatingWebhookConfiguration').row(obj({ metadata: meta, webhooks: [{}, {}] }), NOW),
    ['x', 2, '5m'],
  );
  assert.deepEqual(table('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration').row(obj({ metadata: meta }), NOW), ['x', 0, '5m']);
  assert.deepEqual(
    table('admissionregistration.k8s.io', 'ValidatingAdmissionPolicy').row(obj({ metadata: meta, spec: { validations: [{}], paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } } }), NOW),
    ['x', 1, 'v1/ConfigMap', '5m'],
  );
  const vapb = table('admissionregistration.k8s.io', 'ValidatingAdmissionPolicyBinding');
  assert.deepEqual(vapb.row(obj({ metadata: meta, spec: { policyName: 'p', paramRef: { name: 'cfg' } } }), NOW), ['x', 'p', '*/cfg', '5m']);
  assert.deepEqual(vapb.row(obj({ metadata: meta, spec: { policyName: 'p', paramRef: { name: 'cfg', namespace: 'ns' } } }), NOW), ['x', 'p', 'ns/cfg', '5m']);
  assert.deepEqual(vapb.row(obj({ metadata: meta, spec: { policyName: 'p', paramRef: { selector: { matchLabels: { a: 'b' } } } } }), NOW), ['x', 'p', 'a=b', '5m']);
  assert.deepEqual(vapb.row(obj({ metadata: meta, spec: { policyName: 'p' } }), NOW), ['x', 'p', '<unset>', '5m']);

  assert.deepEqual(header('certificates.k8s.io', 'CertificateSigningRequest'), ['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']);
  const csr = table('certificates.k8s.io', 'CertificateSigningRequest');
  assert.deepEqual(
    csr.row(obj({
      metadata: meta,
      spec: { signerName: 'kubernetes.io/kube-apiserver-client', username: 'alice', expirationSeconds: 86400, request: 'x' },
      status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'Y2VydA==' },
    }), NOW),
    ['x', '5m', 'kubernetes.io/kube-apiserver-client', 'alice', '24h', 'Approved,Issued'],
  );
  assert.deepEqual(
    csr.row(obj({ metadata: meta, spec: { username: 'bob' }, status: { conditions: [{ type: 'Approved' }, { type: 'Denied' }, { type: 'Failed' }] } }), NOW),
    ['x', '5m', '<none>', 'bob', '<none>', 'Denied,Failed'],
  );
  assert.equal(csr.row(obj({ metadata: meta, spec: {} }), NOW)[5], 'Pending');

  assert.deepEqual(
    table('flowcontrol.apiserver.k8s.io', 'FlowSchema').row(obj({
      metadata: meta,
      spec: { priorityLevelConfiguration: { name: 'workload-low' }, matchingPrecedence: 9000, distinguisherMethod: { type: 'ByUser' } },
      status: { conditions: [{ type: 'Dangling', status: 'False' }] },
    }), NOW),
    ['x', 'workload-low', 9000, 'ByUser', '5m', 'False'],
  );
  const plc = table('flowcontrol.apiserver.k8s.io', 'PriorityLevelConfiguration');
  assert.deepEqual(
    plc.row(obj({ metadata: meta, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 30, limitResponse: { type: 'Queue', queuing: { queues: 64, handSize: 6, queueLengthLimit: 50 } } } } }), NOW),
    ['x', 'Limited', 30, 64, 6, 50, '5m'],
  );
  assert.deepEqual(plc.row(obj({ metadata: meta, spec: { type: 'Exempt', exempt: {} } }), NOW), ['x', 'Exempt', '<none>', '<none>', '<none>', '<none>', '5m']);

  const api = table('apiregistration.k8s.io', 'APIService');
  assert.deepEqual(api.row(obj({ metadata: meta, spec: {}, status: { conditions: [{ type: 'Available', status: 'True', reason: 'Local' }] } }), NOW), ['x', 'Local', 'True', '5m']);
  assert.deepEqual(
    api.row(obj({ metadata: meta, spec: { service: { namespace: 'kube-system', name: 'metrics-server' } }, status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] } }), NOW),
    ['x', 'kube-system/metrics-server', 'False (MissingEndpoints)', '5m'],
  );
  assert.equal(api.row(obj({ metadata: meta, spec: {} }), NOW)[2], 'Unknown');
});
