// Pure pieces of the containerd runtime, table-driven: CPU arithmetic (as the kubelet), Runtime → CRI
// container/sandbox configs, CRI → Runtime statuses, the managed hosts file, the streaming exit status,
// gRPC code names, mountinfo parsing, containerd config and CNI rendering, registries.yaml parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { ContainerConfig, PodSandboxConfig } from '../../../src/runtime/runtime.js';
import {
  absoluteCgroupParent, defaultMaskedPaths, execTimeoutSeconds, fromCriContainerStatus, fromCriSandboxStatus, netnsPathFromInfo, renderHostsFile, toCriContainerConfig, toCriSandboxConfig,
} from '../../../src/runtime/containerd/cri-mapping.js';
import { masqueradeRuleArgs } from '../../../src/runtime/containerd/masquerade.js';
import { goCodeName } from '../../../src/runtime/containerd/cri-client.js';
import { exitCodeFromStatus } from '../../../src/runtime/containerd/stream-client.js';
import { cgroupRoots, mountsUnder } from '../../../src/runtime/containerd/leftovers.js';
import { criAuth, sandboxCgroupParent } from '../../../src/runtime/containerd/containerd-runtime.js';
import {
  parseRegistriesYaml, RegistriesConfigError, renderContainerdConfig,
} from '../../../src/runtime/containerd/containerd-config.js';

const sandbox: PodSandboxConfig = {
  uid: 'u1', name: 'web', namespace: 'prod', attempt: 1, hostname: 'web',
  dns: { servers: ['10.43.0.10'], searches: ['prod.svc.cluster.local'], options: ['ndots:5'] },
  portMappings: [
    { protocol: 'TCP', containerPort: 80, hostPort: 8080 },
    { protocol: 'UDP', containerPort: 53 },
  ],
  hostNetwork: false, logDirectory: '/d/pods/logs/prod_web_u1', cgroupParent: 'skiff-1/kubepods/burstable/podu1',
  labels: { a: 'b' }, annotations: { c: 'd' }, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
};

const container: ContainerConfig = {
  name: 'app', attempt: 2, image: 'busybox:1', command: ['sh'], args: ['-c', 'true'], env: [{ name: 'A', value: '1' }],
  mounts: [{ containerPath: '/data', hostPath: '/d/pods/u1/volumes/x', readOnly: true, propagation: 'hostToContainer' }],
  logPath: 'app/2.log', tty: false, stdin: false, stdinOnce: false,
  resources: { cpuRequestMillis: 250, cpuLimitMillis: 500, memoryLimitBytes: 64 << 20 },
  security: { runAsUser: 1000, runAsGroup: 3000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
  labels: {}, annotations: {},
};

describe('Runtime → CRI', () => {
  it('sandbox config: metadata, DNS, host ports only, absolute cgroup parent, namespaces, sysctls', () => {
    const c = toCriSandboxConfig(sandbox);
    assert.deepEqual(c.metadata, { name: 'web', uid: 'u1', namespace: 'prod', attempt: 1 });
    assert.deepEqual(c.dnsConfig, { servers: ['10.43.0.10'], searches: ['prod.svc.cluster.local'], options: ['ndots:5'] });
    assert.deepEqual(c.portMappings, [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' }]);
    assert.equal(c.linux.cgroupParent, '/skiff-1/kubepods/burstable/podu1');
    assert.deepEqual(c.linux.securityContext.namespaceOptions, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    assert.deepEqual(c.linux.sysctls, { 'net.ipv4.ip_unprivileged_port_start': '0' });
    const host = toCriSandboxConfig({ ...sandbox, hostNetwork: true });
    assert.equal(host.linux.securityContext.namespaceOptions.network, 'NODE');
    assert.equal(host.hostname, '');
    assert.equal(c.hostname, 'web');
    assert.equal('dnsConfig' in toCriSandboxConfig({ ...sandbox, dns: undefined }), false);
  });

  it('container config: resources, security context, mounts, managed /etc/hosts', () => {
    const c = toCriContainerConfig(container, sandbox, '/r/sandboxes/s1/hosts');
    assert.deepEqual(c.metadata, { name: 'app', attempt: 2 });
    assert.deepEqual(c.command, ['sh']);
    assert.deepEqual(c.args, ['-c', 'true']);
    assert.deepEqual(c.envs, [{ key: 'A', value: '1' }]);
    assert.deepEqual(c.linux.resources, { cpuPeriod: 100000, cpuQuota: 50000, cpuShares: 256, memoryLimitInBytes: 64 << 20, oomScoreAdj: 0 });
    const sc = c.linux.securityContext;
    assert.deepEqual(sc.runAsUser, { value: 1000 });
    assert.deepEqual(sc.runAsGroup, { value: 3000 });
    assert.equal(sc.readonlyRootfs, true);
    assert.equal(sc.noNewPrivs, true);
    assert.deepEqual(sc.capabilities, { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] });
    assert.deepEqual(sc.maskedPaths, defaultMaskedPaths);
    assert.deepEqual(c.mounts, [
      { containerPath: '/data', hostPath: '/d/pods/u1/volumes/x', readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      { containerPath: '/etc/hosts', hostPath: '/r/sandboxes/s1/hosts', readonly: false, propagation: 'PROPAGATION_PRIVATE' },
    ]);
  });

  const cases: [string, Partial<ContainerConfig>, (c: ReturnType<typeof toCriContainerConfig>) => void][] = [
    ['no CPU limit: no quota or period', { resources: { cpuRequestMillis: 0 } }, (c) => {
      assert.equal(c.linux.resources.cpuQuota, 0);
      assert.equal(c.linux.resources.cpuPeriod, 0);
      assert.equal(c.linux.resources.cpuShares, 2);
    }],
    ['allowPrivilegeEscalation unset: no no_new_privs', { security: {} }, (c) => assert.equal(c.linux.securityContext.noNewPrivs, false)],
    ['privileged: no masked paths', { security: { privileged: true } }, (c) => {
      assert.equal(c.linux.securityContext.privileged, true);
      assert.equal(c.linux.securityContext.maskedPaths, undefined);
    }],
    ['own /etc/hosts mount wins', { mounts: [{ containerPath: '/etc/hosts', hostPath: '/x', readOnly: true }] }, (c) => {
      assert.deepEqual(c.mounts.map((m) => m.hostPath), ['/x']);
    }],
  ];
  for (const [name, patch, check] of cases) it(name, () => check(toCriContainerConfig({ ...container, ...patch }, sandbox, '/h')));

  it('cgroup parents become absolute', () => {
    assert.equal(absoluteCgroupParent('a/b'), '/a/b');
    assert.equal(absoluteCgroupParent('/a/b'), '/a/b');
    assert.equal(absoluteCgroupParent(''), '');
  });

  it('exec timeouts round up to whole seconds, at least 1', () => {
    assert.deepEqual([1, 999, 1000, 1001, 0].map(execTimeoutSeconds), [1, 1, 1, 2, 1]);
  });

  it('registry auth server addresses get a scheme', () => {
    assert.equal(criAuth({ username: 'u', serverAddress: '127.0.0.1:5000' }).serverAddress, 'https://127.0.0.1:5000');
    assert.equal(criAuth({ serverAddress: 'http://r:5000' }).serverAddress, 'http://r:5000');
    assert.deepEqual(criAuth({ username: 'u' }), { username: 'u' });
  });
});

describe('CRI → Runtime', () => {
  it('sandbox status: IPs, state, netns, host network', () => {
    const s = fromCriSandboxStatus({
      id: 's1', metadata: { name: 'web', uid: 'u1', namespace: 'prod', attempt: 0 }, state: 'SANDBOX_READY', createdAt: 1_700_000_000_123_456_789,
      network: { ip: '10.1.0.5', additionalIps: [{ ip: 'fd00::5' }] }, linux: { namespaces: { options: { network: 'POD' } } }, labels: {}, annotations: {},
    }, '/var/run/netns/cni-1');
    assert.deepEqual(s.ips, ['10.1.0.5', 'fd00::5']);
    assert.equal(s.createdAtMs, 1_700_000_000_123);
    assert.equal(s.state, 'ready');
    assert.equal(s.network, 'pod');
    assert.equal(s.netnsPath, '/var/run/netns/cni-1');
    const h = fromCriSandboxStatus({ id: 's2', metadata: null, state: 'SANDBOX_NOTREADY', createdAt: 1, network: null, linux: { namespaces: { options: { network: 'NODE' } } }, labels: {}, annotations: {} }, '/x');
    assert.equal(h.network, 'host');
    assert.equal(h.state, 'notready');
    assert.equal(h.netnsPath, undefined);
  });

  const base = {
    id: 'c1', metadata: { name: 'app', attempt: 1 }, createdAt: 1e15, startedAt: 2e15, finishedAt: 3e15, exitCode: 0,
    image: { image: 'busybox:1' }, imageRef: 'sha256:abc', reason: '', message: '', labels: {}, annotations: {}, logPath: '/l',
  };
  const rows: [string, Partial<typeof base> & { state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN' }, Record<string, unknown>][] = [
    ['running: no exit code', { state: 'CONTAINER_RUNNING', finishedAt: 0 }, { state: 'running', exitCode: undefined, startedAtMs: 2e9 }],
    ['created: not started', { state: 'CONTAINER_CREATED', startedAt: 0, finishedAt: 0 }, { state: 'created', startedAtMs: undefined }],
    ['OOM-killed', { state: 'CONTAINER_EXITED', exitCode: 137, reason: 'OOMKilled' }, { state: 'exited', exitCode: 137, reason: 'OOMKilled', finishedAtMs: 3e9 }],
    ['failed', { state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error' }, { state: 'exited', exitCode: 3, reason: 'Error' }],
    ['exited at once: exit stamped before the start', { state: 'CONTAINER_EXITED', startedAt: 2.5e15, finishedAt: 2.4e15, exitCode: 3 }, { startedAtMs: 2.5e9, finishedAtMs: 2.5e9 }],
  ];
  for (const [name, patch, want] of rows) {
    it(`container status: ${name}`, () => {
      const s = fromCriContainerStatus({ ...base, ...patch }, 'sb');
      for (const [k, v] of Object.entries(want)) assert.equal((s as unknown as Record<string, unknown>)[k], v, k);
      assert.equal(s.sandboxId, 'sb');
    });
  }

  it('netns path and cgroup parent from verbose info', () => {
    const info = { info: JSON.stringify({ config: { linux: { cgroup_parent: 'a/pod1' } }, runtimeSpec: { linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/var/run/netns/cni-9' }] } } }) };
    assert.equal(netnsPathFromInfo(info), '/var/run/netns/cni-9');
    assert.equal(sandboxCgroupParent(info), '/a/pod1');
    assert.equal(netnsPathFromInfo({}), undefined);
    assert.equal(netnsPathFromInfo({ info: 'not json' }), undefined);
  });
});

describe('managed hosts file', () => {
  it('has localhost, the pod name and host aliases, in the kubelet format', () => {
    const text = renderHostsFile(['10.1.0.5'], 'web', [{ ip: '1.2.3.4', hostnames: ['a', 'b'] }]);
    assert.match(text, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
    assert.match(text, /\n10\.1\.0\.5\tweb\n/);
    assert.match(text, /\n# Entries added by HostAliases\.\n1\.2\.3\.4\ta\tb\n$/);
    assert.doesNotMatch(renderHostsFile([], 'x'), /HostAliases/);
  });
});

describe('streaming exit status (v4 error channel)', () => {
  const rows: [string, string, number][] = [
    ['empty', '', 0],
    ['success', '{"metadata":{},"status":"Success"}', 0],
    ['non-zero', '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}', 7],
    ['other failure', '{"status":"Failure","message":"container not found"}', 1],
    ['plain text', 'boom', 1],
  ];
  for (const [name, text, code] of rows) it(name, () => assert.equal(exitCodeFromStatus(text).exitCode, code));
});

describe('gRPC code names as grpc-go prints them', () => {
  const rows: [grpc.status, string][] = [[grpc.status.NOT_FOUND, 'NotFound'], [grpc.status.UNKNOWN, 'Unknown'], [grpc.status.DEADLINE_EXCEEDED, 'DeadlineExceeded'], [grpc.status.OK, 'OK']];
  for (const [code, name] of rows) it(name, () => assert.equal(goCodeName(code), name));
});

describe('mountinfo', () => {
  const mi = [
    '22 1 0:21 / / rw - ext4 /dev/vda rw',
    '30 22 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    '31 22 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
    '40 22 0:50 / /tmp/x/state/a/rootfs rw - overlay overlay rw',
    '41 40 0:51 / /tmp/x/state/a/rootfs/proc rw - proc proc rw',
    '42 22 0:52 / /tmp/xy/other rw - tmpfs tmpfs rw',
    '43 22 0:53 / /tmp/x/with\\040space rw - tmpfs tmpfs rw',
  ].join('\n');
  it('mounts under a directory, deepest first, octal escapes decoded', () => {
    assert.deepEqual(mountsUnder(mi, '/tmp/x'), ['/tmp/x/state/a/rootfs/proc', '/tmp/x/state/a/rootfs', '/tmp/x/with space']);
  });
  it('cgroup hierarchies (v1 and v2)', () => {
    assert.deepEqual(cgroupRoots(mi), ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/unified']);
  });
});

describe('containerd config', () => {
  const text = renderContainerdConfig({
    root: '/d/root', state: '/d/state', socket: '/d/c.sock', pauseImage: 'skiff.local/pause:3.9', cniBinDir: '/usr/lib/cni',
    cniConfDir: '/d/cni', runcRoot: '/d/state/runc',
    registries: {
      mirrors: { 'docker.io': { endpoint: ['http://127.0.0.1:5000'] } },
      configs: { '127.0.0.1:5000': { auth: { username: 'u', password: 'p"w' }, tls: { insecureSkipVerify: true } } },
    },
  });
  const must = [
    'root = "/d/root"', 'state = "/d/state"', '  address = "/d/c.sock"', '  sandbox_image = "skiff.local/pause:3.9"', '  restrict_oom_score_adj = true',
    '  SystemdCgroup = false', '  Root = "/d/state/runc"', '  bin_dir = "/usr/lib/cni"', '  conf_dir = "/d/cni"',
    '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]', '  endpoint = ["http://127.0.0.1:5000"]',
    '[plugins."io.containerd.grpc.v1.cri".registry.configs."127.0.0.1:5000".auth]', '  password = "p\\"w"', '  insecure_skip_verify = true',
  ];
  for (const line of must) it(`has ${line.trim()}`, () => assert.ok(text.split('\n').includes(line), text));

});

describe('registries.yaml (k3s format)', () => {
  it('parses mirrors and configs', () => {
    const r = parseRegistriesYaml(`
mirrors:
  docker.io:
    endpoint: ["http://127.0.0.1:5000"]
configs:
  "127.0.0.1:5000":
    auth: { username: u, password: p }
    tls: { insecure_skip_verify: true, ca_file: /ca.pem }
`);
    assert.deepEqual(r.mirrors, { 'docker.io': { endpoint: ['http://127.0.0.1:5000'] } });
    assert.deepEqual(r.configs['127.0.0.1:5000']!.auth, { username: 'u', password: 'p', auth: undefined, identityToken: undefined });
    assert.equal(r.configs['127.0.0.1:5000']!.tls!.insecureSkipVerify, true);
    assert.equal(r.configs['127.0.0.1:5000']!.tls!.caFile, '/ca.pem');
  });
  it('an empty file is no configuration', () => assert.deepEqual(parseRegistriesYaml(''), { mirrors: {}, configs: {} }));
  const bad: [string, RegExp][] = [
    ['mirrors: [1]', /mirrors: expected a mapping/],
    ['mirrors: { x: { endpoint: 3 } }', /mirrors\.x\.endpoint/],
    ['configs: { r: { tls: { insecure_skip_verify: "yes" } } }', /insecure_skip_verify/],
    ['configs: { r: { auth: { username: 5 } } }', /auth\.username/],
    ['mirrors: {', /registries\.yaml/],
  ];
  for (const [text, re] of bad) it(`rejects ${text}`, () => assert.throws(() => parseRegistriesYaml(text), (e: unknown) => e instanceof RegistriesConfigError && re.test((e as Error).message)));
});

describe('node-level masquerade rule', () => {
  it('masquerades what leaves the pod CIDR, named by a comment', () => {
    assert.deepEqual(masqueradeRuleArgs('10.42.0.0/24', 'skiff: masquerade pods of cni0'), ['-s', '10.42.0.0/24', '!', '-d', '10.42.0.0/24', '-m', 'comment', '--comment', 'skiff: masquerade pods of cni0', '-j', 'MASQUERADE']);
  });
});
