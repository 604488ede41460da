// Tables for the core group (other than pods): services, endpoints, nodes, namespaces, config maps,
// secrets, service accounts, events (core/v1 and events.k8s.io/v1), persistent volumes and claims, resource
// quotas, replication controllers and pod templates — cells as upstream printers.go prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { tableFor } from '../../../src/api/tables/index.js';

const NOW = new Date('2024-06-01T12:00:00Z');
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const obj = (o: Record<string, unknown>): KubeObject => o as unknown as KubeObject;
function table(group: string, kind: string) {
  const t = tableFor(group, kind);
  assert.ok(t, `${group}/${kind} has a table`);
  return t;
}
const header = (group: string, kind: string) => table(group, kind).columns.map((c) => (c.priority ? `${c.name}*` : c.name));

test('service: TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), wide SELECTOR', () => {
  assert.deepEqual(header('', 'Service'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
  const t = table('', 'Service');
  const meta = { name: 'web', creationTimestamp: ago(5 * M) };
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['cluster IP', {
      spec: { type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'web', tier: 'fe' } },
    }, ['web', 'ClusterIP', '10.43.0.10', '<none>', '80/TCP,53/UDP', '5m', 'app=web,tier=fe']],
    ['node port', {
      spec: { type: 'NodePort', clusterIPs: ['10.43.1.2'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] },
    }, ['web', 'NodePort', '10.43.1.2', '<none>', '80:30080/TCP', '5m', '<none>']],
    ['cluster IP with external IPs', {
      spec: { type: 'ClusterIP', clusterIPs: ['10.43.1.3'], externalIPs: ['1.2.3.4', '5.6.7.8'], ports: [{ port: 443, protocol: 'TCP' }] },
    }, ['web', 'ClusterIP', '10.43.1.3', '1.2.3.4,5.6.7.8', '443/TCP', '5m', '<none>']],
    ['pending load balancer', {
      spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.4'], ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }] },
    }, ['web', 'LoadBalancer', '10.43.1.4', '<pending>', '80:31000/TCP', '5m', '<none>']],
    ['load balancer with ingress and external IPs', {
      spec: { type: 'LoadBalancer', clusterIPs: ['10.43.1.5'], externalIPs: ['9.9.9.9'], ports: [{ port: 80, nodePort: 31001, protocol: 'TCP' }] },
      status: { loadBalancer: { ingress: [{ ip: '3.3.3.3' }, { hostname: 'lb.example.com' }, { ip: '2.2.2.2' }] } },
    }, ['web', 'LoadBalancer', '10.43.1.5', '2.2.2.2,3.3.3.3,lb.example.com,9.9.9.9', '80:31001/TCP', '5m', '<none>']],
    ['external name, no ports', {
      spec: { type: 'ExternalName', externalName: 'db.example.com' },
    }, ['web', 'ExternalName', '<none>', 'db.example.com', '<none>', '5m', '<none>']],
    ['headless', {
      spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }], selector: { app: 'db' } },
    }, ['web', 'ClusterIP', 'None', '<none>', '5432/TCP', '5m', 'app=db']],
  ];
  for (const [what, o, want] of cases) assert.deepEqual(t.row(obj({ metadata: meta, ...o }), NOW), want, what);
});

test('endpoints: up to three addresses then "+ N more..."', () => {
  const t = table('', 'Endpoints');
  assert.deepEqual(header('', 'Endpoints'), ['Name', 'Endpoints', 'Age']);
  const cases: [string, unknown, string][] = [
    ['no subsets', undefined, '<none>'],
    ['one address one port', [{ addresses: [{ ip: '10.42.0.5' }], ports: [{ port: 8080 }] }], '10.42.0.5:8080'],
    ['ipv6', [{ addresses: [{ ip: 'fd00::5' }], ports: [{ port: 80 }] }], '[fd00::5]:80'],
    ['headless without ports', [{ addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }] }], '10.42.0.5,10.42.0.6'],
    [
      'more than three',
      [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] }],
      '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...',
    ],
    ['only not-ready addresses', [{ notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }], ''],
  ];
  for (const [what, subsets, want] of cases) {
    assert.deepEqual(t.row(obj({ metadata: { name: 'svc', creationTimestamp: ago(90 * S) }, subsets }), NOW), ['svc', want, '90s'], what);
  }
});

test('node: STATUS with SchedulingDisabled, ROLES, VERSION, wide addresses and system info', () => {
  assert.deepEqual(header('', 'Node'), [
    'Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*',
  ]);
  const t = table('', 'Node');
  const nodeInfo = { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu 24.04', kernelVersion: '6.8.0', containerRuntimeVersion: 'containerd://1.7.0' };
  assert.deepEqual(
    t.row(obj({
      metadata: {
        name: 'server-1',
        creationTimestamp: ago(3 * D),
        labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': 'true', 'kubernetes.io/role': 'etcd' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
        addresses: [{ type: 'Hostname', address: 'server-1' }, { type: 'InternalIP', address: '192.168.1.10' }, { type: 'ExternalIP', address: '203.0.113.7' }],
        nodeInfo,
      },
    }), NOW),
    ['server-1', 'Ready,SchedulingDisabled', 'control-plane,etcd,master', '3d', 'v1.32.0', '192.168.1.10', '203.0.113.7', 'Ubuntu 24.04', '6.8.0', 'containerd://1.7.0'],
  );
  assert.deepEqual(
    t.row(obj({ metadata: { name: 'agent' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }), NOW),
    ['agent', 'NotReady', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
  );
  assert.equal(t.row(obj({ metadata: { name: 'new' } }), NOW)[1], 'Unknown');
});

test('namespace, config map, secret, service account', () => {
  assert.deepEqual(table('', 'Namespace').row(obj({ metadata: { name: 'default', creationTimestamp: ago(400 * D) }, status: { phase: 'Active' } }), NOW), ['default', 'Active', '400d']);
  assert.deepEqual(
    table('', 'Namespace').row(obj({ metadata: { name: 'old', deletionTimestamp: ago(S) }, status: { phase: 'Terminating' } }), NOW),
    ['old', 'Terminating', '<unknown>'],
  );
  assert.deepEqual(header('', 'ConfigMap'), ['Name', 'Data', 'Age']);
  assert.deepEqual(
    table('', 'ConfigMap').row(obj({ metadata: { name: 'cfg', creationTimestamp: ago(2 * Y()) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), NOW),
    ['cfg', 3, '2y'],
  );
  assert.deepEqual(header('', 'Secret'), ['Name', 'Type', 'Data', 'Age']);
  assert.deepEqual(
    table('', 'Secret').row(obj({ metadata: { name: 'tls', creationTimestamp: ago(S) }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }), NOW),
    ['tls', 'kubernetes.io/tls', 2, '1s'],
  );
  assert.deepEqual(table('', 'Secret').row(obj({ metadata: { name: 'e' }, type: 'Opaque' }), NOW), ['e', 'Opaque', 0, '<unknown>']);
  assert.deepEqual(header('', 'ServiceAccount'), ['Name', 'Secrets', 'Age']);
  assert.deepEqual(table('', 'ServiceAccount').row(obj({ metadata: { name: 'default', creationTimestamp: ago(M) } }), NOW), ['default', 0, '60s']);
});

function Y(): number {
  return 365 * D;
}

test('events: columns, Object "kind/name", count and series (core/v1)', () => {
  assert.deepEqual(header('', 'Event'), [
    'Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*',
  ]);
  assert.equal(table('', 'Event').columns[9].format, 'name');
  const t = table('', 'Event');
  const cases: [string, Record<string, unknown>, unknown[]][] = [
    ['classic event', {
      metadata: { name: 'web-1.17a', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{web}' },
      reason: 'Pulled', message: '  Successfully pulled image "nginx"\n', type: 'Normal',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ago(10 * M), lastTimestamp: ago(2 * M), count: 4,
    }, ['2m', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{web}', 'kubelet, node-1', 'Successfully pulled image "nginx"', '10m', 4, 'web-1.17a']],
    ['no last timestamp: last seen = first seen, count defaults to 1', {
      metadata: { name: 'e2' },
      involvedObject: { kind: 'Node', name: 'node-1' },
      reason: 'Starting', message: 'Starting kubelet.', type: 'Normal',
      source: { component: 'kubelet' },
      firstTimestamp: ago(30 * S),
    }, ['30s', 'Normal', 'Starting', 'node/node-1', '', 'kubelet', 'Starting kubelet.', '30s', 1, 'e2']],
    ['new-style event with eventTime, series and reporting controller', {
      metadata: { name: 'e3' },
      involvedObject: { kind: 'Deployment', name: 'web' },
      reason: 'ScalingReplicaSet', message: 'Scaled up', type: 'Normal',
      eventTime: ago(20 * M), series: { count: 7, lastObservedTime: ago(3 * M) },
      reportingComponent: 'deployment-controller', reportingInstance: 'server-1',
    }, ['3m', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller, server-1', 'Scaled up', '20m', 7, 'e3']],
    ['involved object without name', {
      metadata: { name: 'e4' },
      involvedObject: { kind: 'Cluster' },
      reason: 'R', message: 'm', type: 'Warning',
    }, ['<unknown>', 'Warning', 'R', 'cluster', '', '', 'm', '<unknown>', 1, 'e4']],
  ];
  for (const [what, o, want] of cases) assert.deepEqual(t.row(obj(o), NOW), want, what);
});

test('events.k8s.io/v1 events use the same table, reading regarding/note/deprecated* fields', () => {
  const t = table('events.k8s.io', 'Event');
  assert.equal(t, tableFor('', 'Event'));
  assert.deepEqual(
    t.row(obj({
      metadata: { name: 'e5' },
      regarding: { kind: 'Pod', name: 'web-2' },
      reason: 'Scheduled', note: 'Successfully assigned default/web-2 to node-1', type: 'Normal',
      reportingController: 'default-scheduler', reportingInstance: 'default-scheduler-server-1',
      eventTime: ago(45 * S),
    }), NOW),
    ['45s', 'Normal', 'Scheduled', 'pod/web-2', '', 'default-scheduler, default-scheduler-server-1', 'Successfully assigned default/web-2 to node-1', '45s', 1, 'e5'],
  );
});

test('persistent volumes and claims', () => {
  assert.deepEqual(header('', 'PersistentVolume'), [
    'Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode*',
  ]);
  const pv = table('', 'PersistentVolume');
  assert.deepEqual(
    pv.row(obj({
      metadata: { name: 'pv-1', creationTimestamp: ago(H) },
      spec: {
        capacity: { storage: '10Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' },
        storageClassName: 'local-path', volumeMode: 'Filesystem',
      },
      status: { phase: 'Bound' },
    }), NOW),
    ['pv-1', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local-path', '<unset>', '', '60m', 'Filesystem'],
  );
  assert.deepEqual(
    pv.row(obj({
      metadata: { name: 'pv-2', deletionTimestamp: ago(S), annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' } },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOncePod', 'ReadOnlyMany'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'new' },
      status: { phase: 'Released', reason: 'gone' },
    }), NOW),
    ['pv-2', '1Gi', 'ROX,RWOP', 'Delete', 'Terminating', '', 'old', '<unset>', 'gone', '<unknown>', '<unset>'],
  );

  assert.deepEqual(header('', 'PersistentVolumeClaim'), [
    'Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode*',
  ]);
  const pvc = table('', 'PersistentVolumeClaim');
  assert.deepEqual(
    pvc.row(obj({
      metadata: { name: 'data', creationTimestamp: ago(5 * M) },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', volumeName: 'pv-1', volumeMode: 'Filesystem' },
      status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] },
    }), NOW),
    ['data', 'Bound', 'pv-1', '10Gi', 'RWO', 'local-path', '<unset>', '5m', 'Filesystem'],
  );
  assert.deepEqual(
    pvc.row(obj({ metadata: { name: 'pending' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } }), NOW),
    ['pending', 'Pending', '', '', '', '', '<unset>', '<unknown>', '<unset>'],
  );
});

test('resource quota splits requests and limits, sorted by resource', () => {
  const t = table('', 'ResourceQuota');
  assert.deepEqual(header('', 'ResourceQuota'), ['Name', 'Request', 'Limit', 'Age']);
  assert.deepEqual(
    t.row(obj({
      metadata: { name: 'compute', creationTimestamp: ago(D) },
      spec: { hard: { pods: '10' } },
      status: {
        hard: { 'requests.cpu': '1', 'limits.memory': '2Gi', pods: '10', 'limits.cpu': '2', 'requests.memory': '1Gi' },
        used: { 'requests.cpu': '500m', pods: '3', 'limits.cpu': '1' },
      },
    }), NOW),
    ['compute', 'pods: 3/10, requests.cpu: 500m/1, requests.memory: 0/1Gi', 'limits.cpu: 1/2, limits.memory: 0/2Gi', '24h'],
  );
});

test('replication controller and pod template', () => {
  assert.deepEqual(header('', 'ReplicationController'), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
  assert.deepEqual(
    table('', 'ReplicationController').row(obj({
      metadata: { name: 'rc', creationTimestamp: ago(M) },
      spec: { replicas: 2, selector: { app: 'rc' }, template: { spec: { containers: [{ name: 'a', image: 'i' }] } } },
      status: { replicas: 2, readyReplicas: 1 },
    }), NOW),
    ['rc', 2, 2, 1, '60s', 'a', 'i', 'app=rc'],
  );
  assert.deepEqual(header('', 'PodTemplate'), ['Name', 'Containers', 'Images', 'Pod Labels']);
  assert.deepEqual(
    table('', 'PodTemplate').row(obj({
      metadata: { name: 'pt' },
      template: { metadata: { labels: { b: '2', a: '1' } }, spec: { containers: [{ name: 'x', image: 'y' }, { name: 'z', image: 'w' }] } },
    }), NOW),
    ['pt', 'x,z', 'y,w', 'a=1,b=2'],
  );
});
