import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podStrategy } from '../../../src/api/kinds/core.js';
import { defaultImagePullPolicy, podQosClass } from '../../../src/api/kinds/pod-spec.js';
import type { KubeObject } from '../../../src/api/types.js';
import { tryParseQuantity, type Quantity } from '../../../src/util/quantity.js';

test('imagePullPolicy from the image tag', () => {
  const cases: [string, string][] = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['registry:5000/app', 'Always'],
    ['registry:5000/app:v1', 'IfNotPresent'],
    ['nginx@sha256:abc', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) assert.equal(defaultImagePullPolicy(image), want, image);
});

function pod(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
}

test('pod defaults as upstream', () => {
  const p = pod({
    containers: [
      {
        name: 'c',
        image: 'nginx:1.27',
        ports: [{ containerPort: 80 }],
        readinessProbe: { httpGet: { port: 80 } },
        resources: { limits: { cpu: '1', memory: '1Gi' } },
        env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      },
    ],
    volumes: [{ name: 'a' }, { name: 'b', configMap: { name: 'cm' } }, { name: 'c', secret: { secretName: 's' } }],
  });
  podStrategy.defaults!(p);
  const spec = p['spec'] as any;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.enableServiceLinks, true);
  assert.equal(spec.priority, 0);
  const c = spec.containers[0];
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.ports[0].protocol, 'TCP');
  assert.deepEqual(c.readinessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c.resources.requests, { cpu: '1', memory: '1Gi' });
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(spec.volumes[0], { name: 'a', emptyDir: {} });
  assert.equal(spec.volumes[1].configMap.defaultMode, 420);
  assert.equal(spec.volumes[2].secret.defaultMode, 420);
  // idempotent
  const before = JSON.stringify(p);
  podStrategy.defaults!(p);
  assert.equal(JSON.stringify(p), before);
});

test('pod create: Pending with QoS class', () => {
  const p = pod({ containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] });
  podStrategy.defaults!(p);
  p['status'] = { phase: 'Running' };
  podStrategy.prepareForCreate!(p);
  assert.deepEqual(p['status'], { phase: 'Pending', qosClass: 'Guaranteed' });
});

test('QoS classes', () => {
  const c = (resources: unknown) => ({ containers: [{ name: 'c', image: 'x', resources }] });
  assert.equal(podQosClass(c(undefined)), 'BestEffort');
  assert.equal(podQosClass(c({ requests: { cpu: '100m' } })), 'Burstable');
  assert.equal(podQosClass(c({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
  assert.equal(podQosClass(c({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } })), 'Burstable');
  assert.equal(podQosClass(c({ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
});

test('QoS classes: as the reference (containers and init containers summed, cpu and memory only)', () => {
  // The upstream rule written plainly (the implementation before it walked without intermediate lists).
  const reference = (spec: Record<string, unknown>): string => {
    const requests = new Map<string, Quantity>();
    const limits = new Map<string, Quantity>();
    const add = (m: Map<string, Quantity>, k: string, q: Quantity) => m.set(k, m.get(k)?.add(q) ?? q);
    let guaranteed = true;
    for (const c of [...((spec['containers'] as any[]) ?? []), ...((spec['initContainers'] as any[]) ?? [])]) {
      const res = c?.resources ?? {};
      for (const [k, v] of Object.entries(res.requests ?? {})) {
        const q = (k === 'cpu' || k === 'memory') && tryParseQuantity(v as string);
        if (q && q.sign() > 0) add(requests, k, q);
      }
      const found = new Set<string>();
      for (const [k, v] of Object.entries(res.limits ?? {})) {
        const q = (k === 'cpu' || k === 'memory') && tryParseQuantity(v as string);
        if (q && q.sign() > 0) {
          found.add(k);
          add(limits, k, q);
        }
      }
      if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
    }
    if (requests.size === 0 && limits.size === 0) return 'BestEffort';
    for (const [k, r] of requests) if (limits.get(k)?.cmp(r) !== 0) guaranteed = false;
    return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
  };
  let seed = 7;
  const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n;
  const values = ['1', '1000m', '500m', '0', '-1', '1Gi', '1024Mi', 'junk', 2, undefined];
  const list = (n: number) => Array.from({ length: n }, () => {
    if (rnd(3) === 0) return { name: 'g', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1024Mi' } } };
    const res: Record<string, Record<string, unknown>> = {};
    for (const part of ['requests', 'limits']) {
      if (rnd(4) === 0) continue;
      const m: Record<string, unknown> = (res[part] = {});
      for (const k of ['cpu', 'memory', 'nvidia.com/gpu']) if (rnd(3) > 0) m[k] = values[rnd(values.length)];
    }
    return rnd(8) === 0 ? null : { name: 'c', resources: rnd(8) === 0 ? undefined : res };
  });
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const spec: Record<string, unknown> = { containers: list(1 + rnd(3)) };
    if (rnd(2) === 0) spec['initContainers'] = list(rnd(3));
    const want = reference(spec);
    seen.add(want);
    assert.equal(podQosClass(spec), want, JSON.stringify(spec));
  }
  assert.deepEqual([...seen].sort(), ['BestEffort', 'Burstable', 'Guaranteed']);
});

test('pod validation: the mistakes users make, with upstream paths', () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{}, ['spec.containers: Required value']],
    [{ containers: [{ image: 'x' }] }, ['spec.containers[0].name: Required value']],
    [{ containers: [{ name: 'c' }] }, ['spec.containers[0].image: Required value']],
    [
      { containers: [{ name: 'c', image: 'x' }, { name: 'c', image: 'y' }] },
      ['spec.containers[1].name: Duplicate value: "c"'],
    ],
    [{ containers: [{ name: 'C', image: 'x' }] }, ['spec.containers[0].name: Invalid value: "C": a lowercase RFC 1123 label']],
    [{ containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 70000 }] }] }, ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
    [{ containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'v', mountPath: '/d' }] }] }, ['spec.containers[0].volumeMounts[0].name: Not found: "v"']],
    [
      { containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }] }, { name: 'd', image: 'x', ports: [{ name: 'http', containerPort: 82 }] }] },
      ['spec.containers[0].ports[1].name: Duplicate value: "http"'],
    ],
    [
      { volumes: [{ name: 'v', emptyDir: {} }], containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'v', mountPath: '/d' }, { name: 'v', mountPath: '/d' }] }] },
      ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique'],
    ],
    [{ restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'x' }] }, ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']],
    [
      { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] },
      ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
  ];
  for (const [spec, want] of cases) {
    const p = pod(spec);
    podStrategy.defaults!(p);
    const got = podStrategy.validate!(p, {}).map((c) => `${c.field}: ${c.message}`);
    for (const w of want) assert.ok(got.some((g) => g.startsWith(w)), `${JSON.stringify(spec)}\n  want ${w}\n  got ${JSON.stringify(got)}`);
  }
  const ok = pod({ containers: [{ name: 'c', image: 'nginx' }] });
  podStrategy.defaults!(ok);
  assert.deepEqual(podStrategy.validate!(ok, {}), []);
  // Port names and mount paths are unique per container, not across them.
  const perContainer = pod({
    volumes: [{ name: 'v', emptyDir: {} }],
    containers: [
      { name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 80 }], volumeMounts: [{ name: 'v', mountPath: '/d' }] },
      { name: 'd', image: 'x', ports: [{ name: 'http', containerPort: 81 }], volumeMounts: [{ name: 'v', mountPath: '/d' }] },
    ],
  });
  podStrategy.defaults!(perContainer);
  assert.deepEqual(podStrategy.validate!(perContainer, {}), []);
});

test('pod update: only images, deadlines and added tolerations may change', () => {
  const old = pod({ containers: [{ name: 'c', image: 'nginx:1' }] });
  podStrategy.defaults!(old);
  const imageChange = structuredClone(old);
  (imageChange['spec'] as any).containers[0].image = 'nginx:2';
  assert.deepEqual(podStrategy.validate!(imageChange, { old }), []);
  const envChange = structuredClone(old);
  (envChange['spec'] as any).containers[0].env = [{ name: 'A', value: 'b' }];
  const errs = podStrategy.validate!(envChange, { old });
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'spec');
  assert.match(errs[0]!.message!, /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
});

test('pod grace period: 30 by default, 0 when unscheduled or finished', () => {
  const p = pod({ containers: [{ name: 'c', image: 'x' }] });
  podStrategy.defaults!(p);
  assert.equal(podStrategy.defaultGracePeriodSeconds!(p), 0);
  (p['spec'] as any).nodeName = 'n1';
  assert.equal(podStrategy.defaultGracePeriodSeconds!(p), 30);
  (p['spec'] as any).terminationGracePeriodSeconds = 5;
  assert.equal(podStrategy.defaultGracePeriodSeconds!(p), 5);
  p['status'] = { phase: 'Succeeded' };
  assert.equal(podStrategy.defaultGracePeriodSeconds!(p), 0);
});

test('pod field selectors', () => {
  const p = pod({ nodeName: 'n1', hostNetwork: true, containers: [] });
  p['status'] = { phase: 'Running', podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }] };
  const fs = podStrategy.fieldSelectors!;
  assert.equal(fs['spec.nodeName']!(p), 'n1');
  assert.equal(fs['spec.hostNetwork']!(p), 'true');
  assert.equal(fs['status.phase']!(p), 'Running');
  assert.equal(fs['status.podIP']!(p), '10.42.0.5');
  assert.equal(fs['spec.restartPolicy']!(pod({})), '');
});
