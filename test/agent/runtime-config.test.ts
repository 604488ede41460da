// How pods and containers are described to the runtime: paths, cgroup parents per QoS, resources, labels.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { cgroupParent, containerConfig, containerResources, containerSecurity, podLogDirectory, portMappings, sandboxConfig, terminationMessageFile } from '../../src/agent/runtime-config.js';

const layout = { dataDir: '/d', cgroupRoot: 'skiff-abc' };
const base = (o: Partial<Pod['spec']> = {}, qos?: string): Pod => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'u1', labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'img' }], ...o },
  ...(qos ? { status: { qosClass: qos } } : {}),
});

describe('runtime config', () => {
  it('data-dir paths follow the contract', () => {
    assert.equal(podLogDirectory(layout, base()), '/d/pods/logs/ns_web_u1');
    assert.equal(terminationMessageFile(layout, 'u1', 'app', 2), '/d/pods/u1/containers/app/2');
  });

  for (const [qos, want] of [['Guaranteed', 'skiff-abc/kubepods/podu1'], ['Burstable', 'skiff-abc/kubepods/burstable/podu1'], ['BestEffort', 'skiff-abc/kubepods/besteffort/podu1']] as const) {
    it(`cgroup parent of a ${qos} pod`, () => assert.equal(cgroupParent(layout, base({}, qos)), want));
  }

  it('resources: millicores and bytes; a limit alone sets the request', () => {
    assert.deepEqual(containerResources({ name: 'a', resources: { limits: { cpu: '500m', memory: '64Mi' } } }), { cpuRequestMillis: 500, cpuLimitMillis: 500, memoryLimitBytes: 64 * 1024 * 1024, memoryRequestBytes: 64 * 1024 * 1024 });
    assert.deepEqual(containerResources({ name: 'a' }), { cpuRequestMillis: 0 });
  });

  it('security: the container overrides the pod', () => {
    const pod = base({ securityContext: { runAsUser: 1000, runAsGroup: 1000, supplementalGroups: [5] } });
    assert.deepEqual(containerSecurity(pod, { name: 'a', securityContext: { runAsUser: 0, readOnlyRootFilesystem: true } }), { runAsUser: 0, runAsGroup: 1000, supplementalGroups: [5], readOnlyRootFilesystem: true });
  });

  it('sandbox: kubelet labels, DNS per ClusterFirst, host ports, log directory', () => {
    const pod = base({ containers: [{ name: 'app', image: 'img', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }] }] });
    const sb = sandboxConfig(pod, 0, layout, { servers: ['10.43.0.10'], domain: 'cluster.local', host: { nameservers: ['192.0.2.53'], searches: [], options: [] } });
    assert.equal(sb.labels['io.kubernetes.pod.uid'], 'u1');
    assert.equal(sb.labels['app'], 'web');
    assert.deepEqual(sb.dns, { servers: ['10.43.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] });
    assert.equal(sb.hostname, 'web');
    assert.equal(sb.logDirectory, '/d/pods/logs/ns_web_u1');
    assert.deepEqual(portMappings(pod), [{ protocol: 'TCP', containerPort: 80, hostPort: 8080 }]);
  });

  it('container: log path, labels and the restart-count annotation', () => {
    const c = containerConfig(base(), { name: 'app', image: 'img' }, 'app', 3, { env: [], command: ['sleep'], args: ['1'] }, []);
    assert.equal(c.logPath, 'app/3.log');
    assert.equal(c.labels['io.kubernetes.container.name'], 'app');
    assert.equal(c.annotations['io.kubernetes.container.restartCount'], '3');
  });
});
