// Table-driven tests of the scheduler plugins, the FailedScheduling message and preemption's victim
// selection, on hand-built NodeInfos (no server).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { NodeInfo, PodInfo } from '../../src/scheduler/framework/node-info.js';
import { CycleState, type Handle, type NodeToStatus, type Status } from '../../src/scheduler/framework/types.js';
import { podRequests } from '../../src/scheduler/framework/resources.js';
import { fitErrorMessage } from '../../src/scheduler/framework/fit-error.js';
import { Framework } from '../../src/scheduler/framework/framework.js';
import { nodeResourcesFit, resourceScorer } from '../../src/scheduler/plugins/node-resources-fit/index.js';
import { balancedAllocation } from '../../src/scheduler/plugins/balanced-allocation/index.js';
import { taintToleration } from '../../src/scheduler/plugins/taint-toleration/index.js';
import { nodeAffinity } from '../../src/scheduler/plugins/node-affinity/index.js';
import { nodeName } from '../../src/scheduler/plugins/node-name/index.js';
import { nodeUnschedulable } from '../../src/scheduler/plugins/node-unschedulable/index.js';
import { nodePorts } from '../../src/scheduler/plugins/node-ports/index.js';
import { podTopologySpread } from '../../src/scheduler/plugins/pod-topology-spread/index.js';
import { interPodAffinity } from '../../src/scheduler/plugins/inter-pod-affinity/index.js';
import { pickOneNode, selectVictimsOnNode, splitByPDBViolation } from '../../src/scheduler/plugins/default-preemption/victims.js';
import { numFeasibleNodesToFind, Scheduling } from '../../src/scheduler/schedule-one.js';
import { SchedulingQueue } from '../../src/scheduler/queue.js';
import { rng } from '../support/rng.js';
import { SchedulerCache } from '../../src/scheduler/cache.js';

type PodSpec = NonNullable<Pod['spec']>;

function mkPod(name: string, o: { cpu?: string; mem?: string; labels?: Record<string, string>; priority?: number; spec?: Partial<PodSpec>; ns?: string } = {}): PodInfo {
  const requests: Record<string, string> = {};
  if (o.cpu) requests['cpu'] = o.cpu;
  if (o.mem) requests['memory'] = o.mem;
  return new PodInfo({
    metadata: { name, namespace: o.ns ?? 'default', labels: o.labels, uid: name },
    spec: { containers: [{ name: 'c', resources: { requests } }], priority: o.priority ?? 0, ...o.spec },
  });
}

function mkNode(name: string, o: { cpu?: string; mem?: string; pods?: number; labels?: Record<string, string>; taints?: NonNullable<Node['spec']>['taints']; unschedulable?: boolean } = {}, pods: PodInfo[] = []): NodeInfo {
  const ni = new NodeInfo(name);
  ni.setNode({
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: { cpu: o.cpu ?? '4', memory: o.mem ?? '8Gi', pods: String(o.pods ?? 110) } },
  });
  for (const p of pods) ni.addPod(p);
  return ni;
}

function handleOf(nodes: NodeInfo[]): Handle {
  return {
    nodeInfos: () => nodes,
    nodeInfo: (n) => nodes.find((x) => x.name === n),
    havePodsWithAffinity: () => nodes.some((n) => n.podsWithAffinity > 0),
    havePodsWithRequiredAntiAffinity: () => nodes.some((n) => n.podsWithRequiredAntiAffinity > 0),
  };
}

const reasons = (s: Status | null) => (s ? `${s.code}: ${s.reasons.join(', ')}` : 'ok');

describe('pod requests', () => {
  const cases: { name: string; spec: Partial<PodSpec>; cpu: number; mem: number }[] = [
    { name: 'sum of containers', spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '1Mi' } } }, { name: 'b', resources: { requests: { cpu: '200m' } } }] }, cpu: 300, mem: 1 << 20 },
    { name: 'init container max wins', spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }], initContainers: [{ name: 'i', resources: { requests: { cpu: '1' } } }] }, cpu: 1000, mem: 0 },
    { name: 'sidecar adds', spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }], initContainers: [{ name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } }] }, cpu: 150, mem: 0 },
    { name: 'overhead adds', spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }], overhead: { cpu: '10m' } }, cpu: 110, mem: 0 },
    { name: 'limits stand in for requests', spec: { containers: [{ name: 'a', resources: { limits: { cpu: '300m' } } }] }, cpu: 300, mem: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = podRequests({ metadata: { name: 'p' }, spec: { containers: [], ...c.spec } as PodSpec });
      assert.equal(r.milliCPU, c.cpu);
      assert.equal(r.memory, c.mem);
    });
  }

  it('pods of one shape share frozen requests; extended resources are not shared', () => {
    const a = mkPod('a', { cpu: '100m', mem: '64Mi' });
    const b = mkPod('b', { cpu: '100m', mem: '64Mi' });
    const c = mkPod('c', { cpu: '200m', mem: '64Mi' });
    assert.equal(a.requests, b.requests);
    assert.equal(a.nonZeroRequests, b.nonZeroRequests);
    assert.notEqual(a.requests, c.requests);
    assert.ok(Object.isFrozen(a.requests));
    const gpu = (n: string) => new PodInfo({ metadata: { name: n }, spec: { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] } });
    assert.notEqual(gpu('g1').requests, gpu('g2').requests);
    // A node's sums are its own: adding a shared request changes neither the request nor another node.
    const n1 = mkNode('n1', {}, [a]);
    const n2 = mkNode('n2', {}, [b]);
    n1.addPod(c);
    assert.equal(n2.requested.milliCPU, 100);
    assert.equal(a.requests.milliCPU, 100);
  });
});

describe('filter plugins', () => {
  const fit = nodeResourcesFit();
  const cases: { name: string; plugin: { filter: (s: CycleState, p: PodInfo, n: NodeInfo) => Status | null }; pod: PodInfo; node: NodeInfo; want: string }[] = [
    { name: 'fit: fits', plugin: fit, pod: mkPod('p', { cpu: '1' }), node: mkNode('n', { cpu: '2' }, [mkPod('x', { cpu: '1' })]), want: 'ok' },
    { name: 'fit: insufficient cpu', plugin: fit, pod: mkPod('p', { cpu: '1500m' }), node: mkNode('n', { cpu: '2' }, [mkPod('x', { cpu: '1' })]), want: 'Unschedulable: Insufficient cpu' },
    { name: 'fit: cpu and memory', plugin: fit, pod: mkPod('p', { cpu: '2', mem: '2Gi' }), node: mkNode('n', { cpu: '2', mem: '2Gi' }, [mkPod('x', { cpu: '1', mem: '1Gi' })]), want: 'Unschedulable: Insufficient cpu, Insufficient memory' },
    { name: 'fit: more than the node has is unresolvable', plugin: fit, pod: mkPod('p', { cpu: '8' }), node: mkNode('n', { cpu: '2' }), want: 'UnschedulableAndUnresolvable: Insufficient cpu' },
    { name: 'fit: too many pods', plugin: fit, pod: mkPod('p'), node: mkNode('n', { pods: 1 }, [mkPod('x')]), want: 'Unschedulable: Too many pods' },
    { name: 'node name: other node', plugin: nodeName(), pod: mkPod('p', { spec: { nodeName: 'm' } }), node: mkNode('n'), want: "UnschedulableAndUnresolvable: node(s) didn't match the requested node name" },
    { name: 'unschedulable node', plugin: nodeUnschedulable(), pod: mkPod('p'), node: mkNode('n', { unschedulable: true }), want: 'UnschedulableAndUnresolvable: node(s) were unschedulable' },
    {
      name: 'unschedulable node tolerated',
      plugin: nodeUnschedulable(),
      pod: mkPod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } }),
      node: mkNode('n', { unschedulable: true }),
      want: 'ok',
    },
    { name: 'taint: NoSchedule untolerated', plugin: taintToleration(), pod: mkPod('p'), node: mkNode('n', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }), want: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {k: v}' },
    { name: 'taint: NoExecute untolerated', plugin: taintToleration(), pod: mkPod('p'), node: mkNode('n', { taints: [{ key: 'k', effect: 'NoExecute' }] }), want: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {k: }' },
    { name: 'taint: PreferNoSchedule does not filter', plugin: taintToleration(), pod: mkPod('p'), node: mkNode('n', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), want: 'ok' },
    {
      name: 'taint: tolerated with Exists',
      plugin: taintToleration(),
      pod: mkPod('p', { spec: { tolerations: [{ key: 'k', operator: 'Exists' }] } }),
      node: mkNode('n', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }),
      want: 'ok',
    },
    { name: 'affinity: nodeSelector mismatch', plugin: nodeAffinity(), pod: mkPod('p', { spec: { nodeSelector: { disk: 'ssd' } } }), node: mkNode('n'), want: "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector" },
    {
      name: 'affinity: Gt',
      plugin: nodeAffinity(),
      pod: mkPod('p', {
        spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }] } } } },
      }),
      node: mkNode('n', { labels: { cores: '8' } }),
      want: 'ok',
    },
    {
      name: 'ports: conflict',
      plugin: nodePorts(),
      pod: mkPod('p', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }] } }),
      node: mkNode('n', {}, [mkPod('x', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }] } })]),
      want: "Unschedulable: node(s) didn't have free ports for the requested pod ports",
    },
    {
      name: 'ports: other protocol is free',
      plugin: nodePorts(),
      pod: mkPod('p', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] }] } }),
      node: mkNode('n', {}, [mkPod('x', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }] } })]),
      want: 'ok',
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(reasons(c.plugin.filter(new CycleState(), c.pod, c.node)), c.want));
  }
});

describe('score plugins', () => {
  const pod = mkPod('p', { cpu: '1', mem: '1Gi' });
  const empty = mkNode('empty', { cpu: '4', mem: '4Gi' });
  const half = mkNode('half', { cpu: '4', mem: '4Gi' }, [mkPod('x', { cpu: '1', mem: '1Gi' })]);
  const cases: { name: string; score: (ni: NodeInfo) => number; node: NodeInfo; want: number }[] = [
    { name: 'LeastAllocated on empty node', score: (ni) => resourceScorer({ type: 'LeastAllocated' })(pod, ni), node: empty, want: 75 },
    { name: 'LeastAllocated on half node', score: (ni) => resourceScorer({ type: 'LeastAllocated' })(pod, ni), node: half, want: 50 },
    { name: 'MostAllocated on half node', score: (ni) => resourceScorer({ type: 'MostAllocated' })(pod, ni), node: half, want: 50 },
    { name: 'MostAllocated on empty node', score: (ni) => resourceScorer({ type: 'MostAllocated' })(pod, ni), node: empty, want: 25 },
    {
      name: 'RequestedToCapacityRatio (prefer full)',
      score: (ni) => resourceScorer({ type: 'RequestedToCapacityRatio', shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] })(pod, ni),
      node: half,
      want: 50,
    },
    { name: 'BalancedAllocation equal fractions', score: (ni) => balancedAllocation().score(new CycleState(), pod, ni), node: half, want: 100 },
    { name: 'BalancedAllocation unequal', score: (ni) => balancedAllocation().score(new CycleState(), mkPod('q', { cpu: '2', mem: '0' }), ni), node: empty, want: 75 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(c.score(c.node), c.want));

  it('TaintToleration prefers nodes without untolerated PreferNoSchedule taints', () => {
    const t = taintToleration();
    const nodes = [mkNode('a'), mkNode('b', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })];
    const scores = nodes.map((n) => ({ name: n.name, score: t.score(new CycleState(), mkPod('p'), n) }));
    t.normalizeScore!(new CycleState(), mkPod('p'), scores);
    assert.deepEqual(scores.map((s) => s.score), [100, 0]);
  });

  it('NodeAffinity sums preferred weights and normalises', () => {
    const a = nodeAffinity();
    const p = mkPod('p', {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
              { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
            ],
          },
        },
      },
    });
    const nodes = [mkNode('n1', { labels: { zone: 'a' } }), mkNode('n2', { labels: { zone: 'a', disk: 'ssd' } }), mkNode('n3')];
    const scores = nodes.map((n) => ({ name: n.name, score: a.score(new CycleState(), p, n) }));
    a.normalizeScore!(new CycleState(), p, scores);
    assert.deepEqual(scores.map((s) => s.score), [25, 100, 0]);
  });
});

describe('PodTopologySpread', () => {
  const zone = (z: string) => ({ 'topology.kubernetes.io/zone': z });
  const app = { app: 'web' };
  const constraint = { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: app } };
  const cases: { name: string; nodes: NodeInfo[]; want: Record<string, string>; extra?: Partial<typeof constraint> & { minDomains?: number } }[] = [
    {
      name: 'only the emptiest zone fits at skew 1',
      nodes: [mkNode('a', { labels: zone('a') }, [mkPod('w1', { labels: app })]), mkNode('b', { labels: zone('b') }, [mkPod('w2', { labels: app })]), mkNode('c', { labels: zone('c') })],
      want: { a: "Unschedulable: node(s) didn't match pod topology spread constraints", b: "Unschedulable: node(s) didn't match pod topology spread constraints", c: 'ok' },
    },
    {
      name: 'node without the key is unresolvable',
      nodes: [mkNode('a', { labels: zone('a') }), mkNode('nolabel')],
      want: { a: 'ok', nolabel: "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)" },
    },
    {
      name: 'minDomains above the domain count makes the minimum 0',
      nodes: [mkNode('a', { labels: zone('a') }, [mkPod('w1', { labels: app })]), mkNode('b', { labels: zone('b') }, [mkPod('w2', { labels: app })])],
      extra: { minDomains: 3 },
      want: { a: "Unschedulable: node(s) didn't match pod topology spread constraints", b: "Unschedulable: node(s) didn't match pod topology spread constraints" },
    },
    {
      name: 'other namespaces do not count',
      nodes: [mkNode('a', { labels: zone('a') }, [mkPod('w1', { labels: app, ns: 'other' })]), mkNode('b', { labels: zone('b') })],
      want: { a: 'ok', b: 'ok' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plugin = podTopologySpread({}, handleOf(c.nodes));
      const p = mkPod('new', { labels: app, spec: { topologySpreadConstraints: [{ ...constraint, ...c.extra } as never] } });
      const state = new CycleState();
      plugin.preFilter(state, p, c.nodes);
      const got: Record<string, string> = {};
      for (const n of c.nodes) got[n.name] = reasons(plugin.filter(state, p, n));
      assert.deepEqual(got, c.want);
    });
  }

  it('ScheduleAnyway scores the emptier zone higher', () => {
    const nodes = [mkNode('a', { labels: zone('a') }, [mkPod('w1', { labels: app }), mkPod('w2', { labels: app })]), mkNode('b', { labels: zone('b') })];
    const plugin = podTopologySpread({}, handleOf(nodes));
    const p = mkPod('new', { labels: app, spec: { topologySpreadConstraints: [{ ...constraint, whenUnsatisfiable: 'ScheduleAnyway' }] } });
    const state = new CycleState();
    plugin.preScore(state, p, nodes);
    const scores = nodes.map((n) => ({ name: n.name, score: plugin.score(state, p, n) }));
    plugin.normalizeScore!(state, p, scores);
    assert.ok(scores[1]!.score > scores[0]!.score, JSON.stringify(scores));
  });
});

describe('InterPodAffinity', () => {
  const host = 'kubernetes.io/hostname';
  const anti = (sel: Record<string, string>) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: sel }, topologyKey: host }] } });
  const aff = (sel: Record<string, string>, key = host) => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: sel }, topologyKey: key }] } });
  const cases: { name: string; pod: PodInfo; nodes: NodeInfo[]; want: Record<string, string> }[] = [
    {
      name: 'anti-affinity avoids nodes with matching pods',
      pod: mkPod('p', { labels: { app: 'x' }, spec: { affinity: anti({ app: 'x' }) } }),
      nodes: [mkNode('a', {}, [mkPod('x1', { labels: { app: 'x' } })]), mkNode('b')],
      want: { a: "Unschedulable: node(s) didn't match pod anti-affinity rules", b: 'ok' },
    },
    {
      name: "existing pods' anti-affinity is respected",
      pod: mkPod('p', { labels: { app: 'y' } }),
      nodes: [mkNode('a', {}, [mkPod('x1', { labels: { app: 'x' }, spec: { affinity: anti({ app: 'y' }) } })]), mkNode('b')],
      want: { a: "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules", b: 'ok' },
    },
    {
      name: 'affinity requires a matching pod in the domain',
      pod: mkPod('p', { spec: { affinity: aff({ app: 'db' }, 'zone') } }),
      nodes: [mkNode('a', { labels: { zone: '1' } }, [mkPod('db', { labels: { app: 'db' } })]), mkNode('b', { labels: { zone: '1' } }), mkNode('c', { labels: { zone: '2' } })],
      want: { a: 'ok', b: 'ok', c: "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules" },
    },
    {
      name: 'the first pod of a self-affine group may go anywhere',
      pod: mkPod('p', { labels: { app: 'db' }, spec: { affinity: aff({ app: 'db' }) } }),
      nodes: [mkNode('a'), mkNode('b')],
      want: { a: 'ok', b: 'ok' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plugin = interPodAffinity({}, handleOf(c.nodes));
      const state = new CycleState();
      plugin.preFilter(state, c.pod, c.nodes);
      const got: Record<string, string> = {};
      for (const n of c.nodes) got[n.name] = reasons(plugin.filter(state, c.pod, n));
      assert.deepEqual(got, c.want);
    });
  }
});

describe('FailedScheduling message', () => {
  const cases: { name: string; statuses: [string, string[]][]; post?: string; want: string }[] = [
    { name: 'one reason', statuses: [['a', ['Insufficient cpu']], ['b', ['Insufficient cpu']], ['c', ['Insufficient cpu']]], want: '0/3 nodes are available: 3 Insufficient cpu.' },
    {
      name: 'several reasons sorted as strings',
      statuses: [['a', ['Insufficient cpu', 'Insufficient memory']], ['b', ['node(s) had untolerated taint {k: v}']], ['c', ['Insufficient cpu']]],
      want: '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.',
    },
    {
      name: 'with preemption',
      statuses: [['a', ['Insufficient cpu']]],
      post: 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
      want: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const m: NodeToStatus = new Map(c.statuses.map(([n, r]) => [n, { code: 'Unschedulable', reasons: r }]));
      assert.equal(fitErrorMessage(c.statuses.length, m, undefined, c.post), c.want);
    });
  }
});

describe('preemption victim selection', () => {
  const fwkFor = (nodes: NodeInfo[]) =>
    new Framework('t', [
      { plugin: nodeResourcesFit(), weight: 1 },
      { plugin: interPodAffinity({}, handleOf(nodes)), weight: 1 },
    ], undefined);
  const pdb = (sel: Record<string, string>, allowed: number): PodDisruptionBudget => ({
    metadata: { name: 'pdb', namespace: 'default' },
    spec: { selector: { matchLabels: sel } },
    status: { disruptionsAllowed: allowed, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
  });
  const cases: { name: string; node: NodeInfo; pod: PodInfo; pdbs?: PodDisruptionBudget[]; want: string[] | undefined; violations?: number }[] = [
    {
      name: 'fewest victims: one low pod is enough',
      node: mkNode('n', { cpu: '2' }, [mkPod('low1', { cpu: '1', priority: 1 }), mkPod('low2', { cpu: '1', priority: 2 })]),
      pod: mkPod('high', { cpu: '1', priority: 10 }),
      want: ['low1'],
    },
    {
      name: 'higher-priority pods are never victims',
      node: mkNode('n', { cpu: '2' }, [mkPod('vip', { cpu: '2', priority: 100 })]),
      pod: mkPod('high', { cpu: '1', priority: 10 }),
      want: undefined,
    },
    {
      name: 'all low pods go when needed',
      node: mkNode('n', { cpu: '2' }, [mkPod('low1', { cpu: '1', priority: 1 }), mkPod('low2', { cpu: '1', priority: 2 })]),
      pod: mkPod('high', { cpu: '2', priority: 10 }),
      want: ['low2', 'low1'],
    },
    {
      name: 'PDB-protected pods are reprieved first',
      node: mkNode('n', { cpu: '2' }, [mkPod('guarded', { cpu: '1', priority: 1, labels: { app: 'g' } }), mkPod('free', { cpu: '1', priority: 1 })]),
      pod: mkPod('high', { cpu: '1', priority: 10 }),
      pdbs: [pdb({ app: 'g' }, 0)],
      want: ['free'],
      violations: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const fwk = fwkFor([c.node]);
      const state = new CycleState();
      fwk.runPreFilter(state, c.pod, [c.node]);
      const cand = selectVictimsOnNode(fwk, state, c.pod, c.node, c.pdbs ?? []);
      assert.deepEqual(cand?.victims.map((v) => v.name), c.want);
      if (c.violations !== undefined) assert.equal(cand?.numPDBViolations, c.violations);
      // The real node is untouched.
      assert.equal(c.node.pods.size >= 1, true);
    });
  }

  it('splitByPDBViolation counts down disruptionsAllowed', () => {
    const pods = [mkPod('a', { labels: { app: 'g' } }), mkPod('b', { labels: { app: 'g' } })];
    const { violating, nonViolating } = splitByPDBViolation(pods, [pdb({ app: 'g' }, 1)]);
    assert.deepEqual([violating.map((p) => p.name), nonViolating.map((p) => p.name)], [['b'], ['a']]);
  });

  const pick: { name: string; cands: { node: string; victims: [number, number][]; pdb?: number }[]; want: string }[] = [
    { name: 'fewest PDB violations', cands: [{ node: 'a', victims: [[1, 0]], pdb: 1 }, { node: 'b', victims: [[5, 0]], pdb: 0 }], want: 'b' },
    { name: 'lowest highest priority', cands: [{ node: 'a', victims: [[5, 0]] }, { node: 'b', victims: [[3, 0], [2, 0]] }], want: 'b' },
    { name: 'lowest priority sum', cands: [{ node: 'a', victims: [[3, 0], [3, 0]] }, { node: 'b', victims: [[3, 0], [1, 0]] }], want: 'b' },
    { name: 'fewest victims', cands: [{ node: 'a', victims: [[3, 0], [0, 0]] }, { node: 'b', victims: [[3, 0]] }], want: 'b' },
    { name: 'latest start of top victims', cands: [{ node: 'a', victims: [[3, 1000]] }, { node: 'b', victims: [[3, 2000]] }], want: 'b' },
  ];
  for (const c of pick) {
    it(`pick node: ${c.name}`, () => {
      const cands = c.cands.map((x) => ({
        nodeName: x.node,
        numPDBViolations: x.pdb ?? 0,
        victims: x.victims.map(([prio, start], i) => new PodInfo({ metadata: { name: `${x.node}-${i}`, namespace: 'd' }, spec: { containers: [], priority: prio }, status: { startTime: new Date(start).toISOString() } })),
      }));
      assert.equal(pickOneNode(cands)?.nodeName, c.want);
    });
  }
});

describe('NodeInfo fast paths', () => {
  const r = rng(7);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const taintSets: NonNullable<Node['spec']>['taints'][] = [
    undefined,
    [],
    [{ key: 'a', value: '1', effect: 'NoSchedule' }],
    [{ key: 'b', effect: 'PreferNoSchedule' }, { key: 'c', effect: 'NoExecute' }, { key: 'd', effect: 'PreferNoSchedule' }],
  ];
  const randomPod = (i: number): PodInfo =>
    mkPod(`p${i}`, { cpu: pick(['', '100m', '1500m']), mem: pick(['', '64Mi', '3Gi', '300Gi']), spec: r() < 0.2 ? { overhead: { cpu: '10m' } } : {} });

  /** A node's sums as the straightforward computation from its Resources, and as NodeInfo.sums holds them. */
  const expectedSums = (x: NodeInfo) => [
    x.allocatable.milliCPU,
    x.allocatable.memory,
    x.allocatable.ephemeralStorage,
    x.allocatable.pods,
    x.requested.milliCPU,
    x.requested.memory,
    x.requested.ephemeralStorage,
    x.nonZeroRequested.milliCPU,
    x.nonZeroRequested.memory,
    x.pods.size,
  ];
  const sumsOf = (x: NodeInfo) => [...x.sums.subarray(x.base, x.base + 10)];

  it('sums, labels and taints equal what the Node and the Resources say, through adds, removes, node updates and clones', () => {
    const ni = new NodeInfo('n');
    const pods: PodInfo[] = [];
    const check = (x: NodeInfo) => {
      assert.deepEqual(sumsOf(x), expectedSums(x));
      const taints = x.node?.spec?.taints ?? [];
      assert.deepEqual(x.labels, x.node?.metadata?.labels ?? {});
      for (const k of ['kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'zone', 'missing']) assert.equal(x.label(k), x.labels[k], k);
      assert.equal(x.unschedulable, !!x.node?.spec?.unschedulable);
      assert.deepEqual(x.taints, taints);
      assert.deepEqual(x.hardTaints, taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'));
      assert.deepEqual(x.preferTaints, taints.filter((t) => t.effect === 'PreferNoSchedule'));
    };
    for (let step = 0; step < 300; step++) {
      const k = r();
      if (k < 0.15) {
        const zones: Record<string, string> = r() < 0.5 ? {} : { 'topology.kubernetes.io/zone': pick(['z1', 'z2']) };
        const n = mkNode('n', { cpu: pick(['4', '32', '2500m']), mem: pick(['8Gi', '256Gi']), pods: pick([3, 110]), taints: pick(taintSets), unschedulable: r() < 0.3, labels: { zone: pick(['a', 'b']), ...zones } });
        ni.setNode(n.node!);
      } else if (k < 0.2) ni.clearNode();
      else if (k < 0.6 || pods.length === 0) {
        const p = randomPod(step);
        pods.push(p);
        ni.addPod(p);
      } else {
        const [p] = pods.splice(Math.floor(r() * pods.length), 1);
        ni.removePod(p!.key);
      }
      check(ni);
      if (step % 50 === 0) check(ni.clone());
    }
  });

  it("the scheduler cache's shared table of sums follows node and pod changes and list rebuilds", () => {
    const cache = new SchedulerCache();
    const names: string[] = [];
    const placed: string[] = [];
    for (let step = 0; step < 400; step++) {
      const k = r();
      if (k < 0.1 || names.length === 0) {
        const name = `n${step}`;
        names.push(name);
        cache.addNode(mkNode(name, { cpu: pick(['4', '32']), mem: pick(['8Gi', '256Gi']), labels: { 'topology.kubernetes.io/zone': pick(['a', 'b', 'c']) } }).node!);
      } else if (k < 0.13) {
        const name = names.splice(Math.floor(r() * names.length), 1)[0]!;
        const before = cache.nodeInfos().find((x) => x.name === name)!;
        cache.removeNode(name);
        assert.equal(before.sums.length, 10, 'a removed node keeps its sums to itself, not the shared table');
        assert.deepEqual(sumsOf(before), expectedSums(before));
      }
      else if (k < 0.7) {
        const p = randomPod(step);
        cache.assumePod(p, pick(names));
        placed.push(p.key);
      } else if (placed.length) cache.removePod(placed.splice(Math.floor(r() * placed.length), 1)[0]!);
      if (step % 7 === 0) {
        for (const x of cache.nodeInfos()) assert.deepEqual(sumsOf(x), expectedSums(x), `step ${step} ${x.name}`);
      }
    }
  });

  it('plugins skipped for a pod (no host ports, no node name, no preferred node affinity) decide as if they ran', () => {
    const fwk = new Framework('s', [nodeName(), nodePorts(), nodeAffinity()].map((plugin) => ({ plugin, weight: 1 })), undefined);
    const nodes = [mkNode('a', { labels: { zone: 'a' } }), mkNode('b', { labels: { zone: 'b' } }, [mkPod('x', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 80 }] }] } })])];
    const pods = [
      mkPod('plain'),
      mkPod('named', { spec: { nodeName: 'a' } }),
      mkPod('ports', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 80 }] }] } }),
      mkPod('prefers', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } }] } } } }),
    ];
    for (const pod of pods) {
      const state = new CycleState();
      assert.equal(fwk.runPreFilter(state, pod, nodes).status, null);
      const framework = nodes.map((n) => reasons(fwk.runFilters(state, pod, n)));
      const direct = nodes.map((n) => reasons(fwk.filters.map((p) => p.filter(new CycleState(), pod, n)).find((x) => x) ?? null));
      assert.deepEqual(framework, direct, pod.name);
      const scores = fwk.runScores(state, pod, nodes).map((s) => s.score);
      const plugin = fwk.scores[0]!.plugin;
      const raw = nodes.map((n) => ({ name: n.name, score: plugin.score(new CycleState(), pod, n) }));
      plugin.normalizeScore!(new CycleState(), pod, raw);
      assert.deepEqual(scores, raw.map((s) => s.score), pod.name);
    }
  });

  it('one Scheduling for many decisions: each picks a feasible node, whether all, some or one of the nodes fit', () => {
    const fwk = new Framework('s', [nodeUnschedulable(), nodeResourcesFit()].map((plugin) => ({ plugin, weight: 1 })), undefined);
    const nodes = [mkNode('a', { cpu: '1' }), mkNode('b', { cpu: '4' }), mkNode('c', { cpu: '2' }), mkNode('d', { cpu: '4' }), mkNode('e', { cpu: '1' })];
    const scheduling = new Scheduling(handleOf(nodes));
    const steps: { cpu: string; fits: string[] }[] = [
      { cpu: '500m', fits: ['a', 'b', 'c', 'd', 'e'] },
      { cpu: '3', fits: ['b', 'd'] },
      { cpu: '100m', fits: ['a', 'b', 'c', 'd', 'e'] },
      { cpu: '1500m', fits: ['b', 'c', 'd'] },
      { cpu: '2', fits: ['b', 'c', 'd'] },
      { cpu: '4', fits: ['b', 'd'] },
      { cpu: '250m', fits: ['a', 'b', 'c', 'd', 'e'] },
    ];
    for (let round = 0; round < 3; round++) {
      for (const [i, step] of steps.entries()) {
        const res = scheduling.schedulePod(fwk, new CycleState(), mkPod(`p${round}-${i}`, { cpu: step.cpu }));
        assert.equal(res.kind, 'fit', step.cpu);
        if (res.kind !== 'fit') continue;
        assert.ok(step.fits.includes(res.nodeName), `${step.cpu} on ${res.nodeName}`);
        assert.equal(res.feasible, step.fits.length, step.cpu);
      }
    }
  });

  it('when nothing fits, every rejected node has its status (shared rejections included) and the message counts them', () => {
    const fwk = new Framework('s', [nodeUnschedulable(), nodeResourcesFit()].map((plugin) => ({ plugin, weight: 1 })), undefined);
    const nodes = [mkNode('a', { unschedulable: true }), mkNode('b', { cpu: '1' }), mkNode('c', { unschedulable: true }), mkNode('d', { cpu: '2' }, [mkPod('x', { cpu: '1' })])];
    const res = new Scheduling(handleOf(nodes)).schedulePod(fwk, new CycleState(), mkPod('p', { cpu: '1500m' }));
    assert.equal(res.kind, 'fitError');
    if (res.kind !== 'fitError') return;
    assert.deepEqual(
      [...res.statuses].map(([n, st]) => `${n} ${st.plugin} ${reasons(st)}`),
      [
        'a NodeUnschedulable UnschedulableAndUnresolvable: node(s) were unschedulable',
        'b NodeResourcesFit UnschedulableAndUnresolvable: Insufficient cpu',
        'c NodeUnschedulable UnschedulableAndUnresolvable: node(s) were unschedulable',
        'd NodeResourcesFit Unschedulable: Insufficient cpu',
      ],
    );
    assert.equal(fitErrorMessage(res.numAllNodes, res.statuses), '0/4 nodes are available: 2 Insufficient cpu, 2 node(s) were unschedulable.');
  });

  it('cpu-and-memory score fast paths equal the general computation (an unscored extended resource forces it)', () => {
    const general = [...['cpu', 'memory'], 'example.com/none'];
    const strategies = ['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'] as const;
    for (let k = 0; k < 200; k++) {
      const node = mkNode('n', { cpu: pick(['0', '1', '4', '32']), mem: pick(['0', '1Gi', '256Gi']) }, Array.from({ length: Math.floor(r() * 5) }, (_, i) => randomPod(1000 + k * 10 + i)));
      const pod = randomPod(k);
      for (const type of strategies) {
        const weights = [1 + Math.floor(r() * 3), 1 + Math.floor(r() * 3)];
        const fast = resourceScorer({ type, resources: [{ name: 'cpu', weight: weights[0]! }, { name: 'memory', weight: weights[1]! }] })(pod, node);
        const slow = resourceScorer({ type, resources: [{ name: 'cpu', weight: weights[0]! }, { name: 'memory', weight: weights[1]! }, { name: 'example.com/none', weight: 1 }] })(pod, node);
        assert.equal(fast, slow, `${type} ${k}`);
      }
      const b = (resources: string[]) => balancedAllocation({ resources }).score(new CycleState(), pod, node);
      assert.equal(b(['cpu', 'memory']), b(general), `balanced ${k}`);
      assert.equal(b(['memory', 'cpu']), b(general), `balanced reversed ${k}`);
    }
  });

  it('scoreAll gives every node what score gives it (NodeResourcesFit strategies, BalancedAllocation, TaintToleration)', () => {
    const plugins = [
      ...(['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'] as const).map((type) => nodeResourcesFit({ scoringStrategy: { type } })),
      nodeResourcesFit({ scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'example.com/gpu', weight: 2 }] } }),
      balancedAllocation(),
      balancedAllocation({ resources: ['cpu', 'memory', 'example.com/gpu'] }),
      taintToleration(),
    ];
    const taints = [{ key: 'a', effect: 'PreferNoSchedule' as const }, { key: 'b', effect: 'NoSchedule' as const }];
    const nodes = Array.from({ length: 40 }, (_, i) =>
      mkNode(`n${i}`, { cpu: pick(['0', '1', '4', '32']), mem: pick(['0', '1Gi', '256Gi']), taints: r() < 0.3 ? taints : undefined }, Array.from({ length: Math.floor(r() * 4) }, (_, j) => randomPod(5000 + i * 10 + j))),
    );
    for (let k = 0; k < 20; k++) {
      const pod = r() < 0.5 ? randomPod(k) : mkPod(`t${k}`, { cpu: '100m', spec: { tolerations: [{ key: 'a', operator: 'Exists' }] } });
      for (const p of plugins) {
        const out = nodes.map(() => ({ name: '', score: -1 }));
        p.scoreAll!(new CycleState(), pod, nodes, out);
        assert.deepEqual(
          out.map((s) => s.score),
          nodes.map((ni) => p.score(new CycleState(), pod, ni)),
          `${p.name} ${k}`,
        );
      }
    }
  });

  it('TaintToleration counts only PreferNoSchedule taints not tolerated by an empty-effect or PreferNoSchedule toleration', () => {
    const t = taintToleration();
    const node = mkNode('n', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }, { key: 'c', effect: 'NoSchedule' }] });
    const cases: [NonNullable<PodSpec['tolerations']>, number][] = [
      [[], 2],
      [[{ key: 'a', operator: 'Exists' }], 1],
      [[{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }], 2],
      [[{ operator: 'Exists', effect: 'PreferNoSchedule' }], 0],
    ];
    for (const [tolerations, want] of cases) assert.equal(t.score(new CycleState(), mkPod('p', { spec: { tolerations } }), node), want, JSON.stringify(tolerations));
  });
});

describe('scheduling helpers', () => {
  const cases: [number, number | undefined, number][] = [
    [50, undefined, 50],
    [500, undefined, 230],
    [5000, undefined, 500],
    [5000, 100, 5000],
    [1000, 1, 100],
  ];
  for (const [n, pct, want] of cases) it(`numFeasibleNodesToFind(${n}, ${pct})`, () => assert.equal(numFeasibleNodesToFind(n, pct), want));

  it('queue: priority first, then age; back-off 1 s doubling to 10 s', () => {
    let now = 1000;
    const q = new SchedulingQueue({ less: (a, b) => (a.podInfo.priority !== b.podInfo.priority ? a.podInfo.priority > b.podInfo.priority : a.timestamp < b.timestamp), pluginsFor: () => new Set(['NodeResourcesFit']), now: () => now });
    q.add(mkPod('old', { priority: 1 }).pod);
    now++;
    q.add(mkPod('young', { priority: 1 }).pod);
    q.add(mkPod('vip', { priority: 9 }).pod);
    assert.deepEqual([q.tryPop()?.key, q.tryPop()?.key, q.tryPop()?.key], ['default/vip', 'default/old', 'default/young']);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)), [1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('queue: an unschedulable pod waits for an event its plugin cares about', () => {
    let now = 0;
    const q = new SchedulingQueue({ less: (a, b) => a.timestamp < b.timestamp, pluginsFor: (e) => new Set(e === 'NodeAdd' ? ['NodeResourcesFit'] : []), now: () => now });
    q.add(mkPod('p').pod);
    const qp = q.tryPop()!;
    qp.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.requeueUnschedulable(qp, q.schedulingCycle + 1);
    assert.deepEqual(q.pendingCounts, { active: 0, backoff: 0, unschedulable: 1 });
    q.onEvent('AssignedPodAdd');
    assert.deepEqual(q.pendingCounts, { active: 0, backoff: 0, unschedulable: 1 });
    q.onEvent('NodeAdd');
    assert.deepEqual(q.pendingCounts, { active: 0, backoff: 1, unschedulable: 0 });
    now += 1000;
    q.flushBackoff();
    assert.equal(q.tryPop()?.key, 'default/p');
  });
});
