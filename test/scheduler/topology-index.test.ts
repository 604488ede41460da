// The topology index (matching pods per domain, kept by the scheduler cache) against the walk over every
// node it replaces: InterPodAffinity's and PodTopologySpread's filter and score give the same verdict on
// every node, through pod placements, removals, terminating pods, node relabels and node removals.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, PodAffinityTerm, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { PodInfo } from '../../src/scheduler/framework/node-info.js';
import { CycleState, type Handle, type Status } from '../../src/scheduler/framework/types.js';
import { pinOf, TopologyIndex } from '../../src/scheduler/framework/topology-index.js';
import { parseLabelSelector } from '../../src/util/label-selector.js';
import { podTopologySpread } from '../../src/scheduler/plugins/pod-topology-spread/index.js';
import { interPodAffinity } from '../../src/scheduler/plugins/inter-pod-affinity/index.js';
import { rng } from '../support/rng.js';

const zoneKey = 'topology.kubernetes.io/zone';
const hostKey = 'kubernetes.io/hostname';


const node = (name: string, zone: string | undefined, extra: Record<string, string> = {}): Node => ({
  metadata: { name, labels: { [hostKey]: name, ...(zone ? { [zoneKey]: zone } : {}), ...extra } },
  status: { allocatable: { cpu: '32', memory: '64Gi', pods: '110' } },
});

const term = (app: string, key: string): PodAffinityTerm => ({ labelSelector: { matchLabels: { app } }, topologyKey: key });

function randomPod(r: () => number, i: number, nodeName?: string): Pod {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const app = pick(['a', 'b', 'c', 'd']);
  const key = pick([zoneKey, hostKey, 'rack']);
  const spec: NonNullable<Pod['spec']> = { containers: [{ name: 'c' }] };
  const kind = r();
  if (kind < 0.2) spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(pick(['a', 'b', 'c']), key)] } };
  else if (kind < 0.35) spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(pick(['a', 'b']), key)] } };
  else if (kind < 0.55) {
    const c: TopologySpreadConstraint = { maxSkew: 1 + Math.floor(r() * 2), topologyKey: key, whenUnsatisfiable: r() < 0.7 ? 'DoNotSchedule' : 'ScheduleAnyway', labelSelector: { matchLabels: { app } } };
    spec.topologySpreadConstraints = r() < 0.3 ? [c, { ...c, topologyKey: zoneKey }] : [c];
  }
  if (r() < 0.1) spec.nodeSelector = { [zoneKey]: 'z1' };
  if (nodeName) spec.nodeName = nodeName;
  return {
    metadata: { name: `p${i}`, namespace: r() < 0.85 ? 'default' : 'other', uid: `u${i}`, labels: { app }, ...(r() < 0.05 ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec,
  };
}

const verdict = (s: Status | null) => (s ? `${s.code}: ${s.reasons.join(', ')}` : 'ok');

/** Filter verdicts and scores of both plugins for pod on every node, with the given handle. */
function decide(handle: Handle, pod: PodInfo): string[] {
  const nodes = handle.nodeInfos();
  const out: string[] = [];
  for (const plugin of [interPodAffinity({}, handle), podTopologySpread({}, handle)]) {
    const state = new CycleState();
    plugin.preFilter(state, pod, nodes);
    for (const ni of nodes) out.push(`${plugin.name} ${ni.name} ${state.skipFilter.has(plugin.name) ? 'skip' : verdict(plugin.filter(state, pod, ni))}`);
    const ss = new CycleState();
    plugin.preScore(ss, pod, nodes);
    if (!ss.skipScore.has(plugin.name)) for (const ni of nodes) out.push(`${plugin.name} score ${ni.name} ${plugin.score(ss, pod, ni)}`);
  }
  return out;
}

describe('TopologyIndex', () => {
  it('plugins decide the same with the index as with the walk over every node (random clusters)', () => {
    for (let seed = 1; seed <= 16; seed++) {
      const r = rng(seed);
      // Every other cluster with a tiny index: refused queries (the walk) mix with indexed ones.
      const cache = seed % 2 ? new SchedulerCache() : new SchedulerCache({ maxQueries: 2, idleAsks: 5 });
      const indexed = cache.handle();
      assert.ok(indexed.topology, 'the cache hands out its index');
      const { topology: _t, ...walkHandle } = indexed;
      const walk: Handle = walkHandle;
      const zones = ['z1', 'z2', 'z3'];
      const nodeCount = 6 + Math.floor(r() * 6);
      for (let n = 0; n < nodeCount; n++) cache.addNode(node(`n${n}`, r() < 0.9 ? zones[n % 3] : undefined, r() < 0.6 ? { rack: `r${n % 2}` } : {}));
      let i = 0;
      const placed: string[] = [];
      for (let step = 0; step < 60; step++) {
        const op = r();
        if (op < 0.55) {
          const p = randomPod(r, i++, `n${Math.floor(r() * nodeCount)}`);
          cache.addOrUpdatePod(p);
          placed.push(`${p.metadata!.namespace}/${p.metadata!.name}`);
        } else if (op < 0.65 && placed.length) {
          cache.removePod(placed.splice(Math.floor(r() * placed.length), 1)[0]!);
        } else if (op < 0.72) {
          const n = Math.floor(r() * nodeCount);
          cache.addNode(node(`n${n}`, zones[Math.floor(r() * 3)], r() < 0.5 ? { rack: `r${step % 3}` } : {}));
        } else if (op < 0.75) {
          const n = Math.floor(r() * nodeCount);
          cache.removeNode(`n${n}`);
          if (r() < 0.5) cache.addNode(node(`n${n}`, zones[n % 3]));
        } else if (op < 0.78) {
          // Heartbeat-like update: same labels, new object.
          const ni = cache.nodeInfos()[0];
          if (ni?.node) cache.addNode({ ...ni.node, status: { ...ni.node.status } });
        }
        const incoming = new PodInfo(randomPod(r, i++));
        assert.deepEqual(decide(indexed, incoming), decide(walk, incoming), `seed ${seed} step ${step}`);
        if (r() < 0.3) {
          // The scheduler assumes pods on a node: the index follows at once.
          const target = cache.nodeInfos()[Math.floor(r() * cache.nodeInfos().length)];
          if (target) {
            cache.assumePod(incoming, target.name);
            placed.push(incoming.key);
          }
        }
      }
    }
  });

  it('a query pinned to label values (counted from the index of pods by label) counts as the walk over every pod', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const r = rng(100 + seed);
      // Odd seeds: no room for a label index (the pinned query walks too).
      const cache = new SchedulerCache({ maxQueries: 1000, ...(seed % 2 ? { maxLabelKeys: 0 } : {}) });
      const apps = ['a', 'b', 'c', ''];
      const nodeCount = 5 + Math.floor(r() * 5);
      for (let n = 0; n < nodeCount; n++) cache.addNode(node(`n${n}`, r() < 0.9 ? `z${n % 3}` : undefined));
      const placed: string[] = [];
      const pod = (i: number): Pod => {
        const app = apps[Math.floor(r() * apps.length)]!;
        const labels: Record<string, string> = r() < 0.5 ? { tier: 'x' } : {};
        if (app) labels['app'] = app;
        return { metadata: { name: `p${i}`, namespace: 'default', labels, ...(r() < 0.1 ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) }, spec: { nodeName: `n${Math.floor(r() * nodeCount)}`, containers: [] } };
      };
      const matches = (p: PodInfo) => !p.terminating && (p.labels['app'] === 'a' || p.labels['app'] === 'b');
      const query = (pinned: boolean) => ({ key: `q${pinned}`, topologyKey: zoneKey, requiredKeys: [], matches, ...(pinned ? { pin: { key: 'app', values: ['a', 'b'] } } : {}) });
      const firstAsk = Math.floor(r() * 20);
      for (let step = 0; step < 60; step++) {
        const op = r();
        if (op < 0.6) {
          const p = pod(step);
          cache.addOrUpdatePod(p);
          placed.push(`default/${p.metadata!.name}`);
        } else if (op < 0.8 && placed.length) cache.removePod(placed.splice(Math.floor(r() * placed.length), 1)[0]!);
        else if (op < 0.9) cache.addNode(node(`n${Math.floor(r() * nodeCount)}`, `z${Math.floor(r() * 4)}`));
        else {
          const n = Math.floor(r() * nodeCount);
          cache.removeNode(`n${n}`);
          if (r() < 0.5) cache.addNode(node(`n${n}`, `z${n % 3}`));
        }
        if (step < firstAsk) continue;
        const [pinned, walked] = [cache.topology.counts(query(true))!, cache.topology.counts(query(false))!];
        assert.deepEqual([Object.fromEntries(pinned.pods), Object.fromEntries(pinned.domains)], [Object.fromEntries(walked.pods), Object.fromEntries(walked.domains)], `seed ${seed} step ${step}`);
        // A fresh query (first count now) agrees too.
        const fresh = cache.topology.counts({ ...query(true), key: `fresh${step}` })!;
        assert.deepEqual(Object.fromEntries(fresh.pods), Object.fromEntries(walked.pods), `seed ${seed} step ${step} (fresh)`);
        // Without domains (pod affinity's queries): the same pods, no domains, kept up to date alike.
        const podsOnly = cache.topology.counts({ ...query(true), key: 'pods only', domains: false })!;
        assert.deepEqual([Object.fromEntries(podsOnly.pods), podsOnly.domains.size], [Object.fromEntries(walked.pods), 0], `seed ${seed} step ${step} (pods only)`);
      }
      assert.equal(cache.topology.indexedLabelKeys, seed % 2 ? 0 : 1);
    }
  });

  it('updates of bound pods (status only: swapped in place; labels, requests, deletion: re-placed) leave the cache as a fresh one', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const r = rng(200 + seed);
      const cache = new SchedulerCache({ maxQueries: 1000 });
      const zones = ['z1', 'z2', 'z3'];
      const nodeCount = 6;
      const nodes = Array.from({ length: nodeCount }, (_, n) => node(`n${n}`, zones[n % 3]));
      for (const n of nodes) cache.addNode(n);
      const current = new Map<string, Pod>();
      for (let step = 0; step < 80; step++) {
        const keys = [...current.keys()];
        if (keys.length === 0 || r() < 0.4) {
          const p = randomPod(r, step, `n${Math.floor(r() * nodeCount)}`);
          p.spec!.containers = [{ name: 'c', resources: { requests: { cpu: '100m' } } }];
          current.set(`${p.metadata!.namespace}/${p.metadata!.name}`, p);
          cache.addOrUpdatePod(p);
        } else {
          const key = keys[Math.floor(r() * keys.length)]!;
          const old = current.get(key)!;
          const k = r();
          // A new object every time, as the informer delivers.
          const p: Pod = { ...old, metadata: { ...old.metadata }, spec: { ...old.spec!, containers: [...old.spec!.containers] }, status: { phase: r() < 0.5 ? 'Running' : 'Pending', startTime: `2026-01-01T00:00:0${step % 10}Z` } };
          if (k < 0.15) p.metadata!.labels = { ...old.metadata!.labels, app: ['a', 'b', 'c', 'd'][Math.floor(r() * 4)]! };
          else if (k < 0.25) p.spec!.containers = [{ name: 'c', resources: { requests: { cpu: '300m' } } }];
          else if (k < 0.3) p.metadata = { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' };
          current.set(key, p);
          cache.addOrUpdatePod(p);
        }
        if (step % 5 !== 4) continue;
        const fresh = new SchedulerCache();
        for (const n of nodes) fresh.addNode(n);
        for (const p of current.values()) fresh.addOrUpdatePod(p);
        const incoming = new PodInfo(randomPod(r, 1000 + step));
        assert.deepEqual(decide(cache.handle(), incoming), decide(fresh.handle(), incoming), `seed ${seed} step ${step}`);
        const state = (c: SchedulerCache) =>
          c.nodeInfos().map((ni) => [ni.name, [...ni.sums.subarray(ni.base, ni.base + 10)], [...ni.pods.values()].map((p) => p.pod).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1)), ni.podsWithAffinity, ni.podsWithRequiredAntiAffinity]);
        assert.deepEqual(state(cache), state(fresh), `seed ${seed} step ${step} (nodes)`);
        assert.deepEqual([cache.handle().havePodsWithAffinity(), cache.handle().havePodsWithRequiredAntiAffinity()], [fresh.handle().havePodsWithAffinity(), fresh.handle().havePodsWithRequiredAntiAffinity()]);
        // A query never asked before is counted from the label index now: it holds exactly the current pods.
        const q = { key: `new ${step}`, topologyKey: zoneKey, requiredKeys: [], matches: (p: PodInfo) => !p.terminating, pin: { key: 'app', values: ['a', 'b', 'c', 'd'] } };
        assert.deepEqual(Object.fromEntries(cache.topology.counts(q)!.pods), Object.fromEntries(fresh.topology.counts(q)!.pods), `seed ${seed} step ${step} (label index)`);
      }
    }
  });

  it("pod affinity's state reads the index's counts in place; preemption's what-if changes go to copies", () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', 'z1'));
    cache.addNode(node('n2', 'z2'));
    const existing = (name: string, nodeName: string, withAnti: boolean): Pod => ({
      metadata: { name, namespace: 'default', uid: name, labels: { app: 'a' } },
      spec: { nodeName, containers: [], ...(withAnti ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('b', zoneKey)] } } } : {}) },
    });
    cache.addOrUpdatePod(existing('x', 'n1', true));
    const handle = cache.handle();
    const plugin = interPodAffinity({}, handle);
    const incoming = new PodInfo({ metadata: { name: 'p', namespace: 'default', labels: { app: 'b' } }, spec: { containers: [], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('a', zoneKey)] } } } });
    const [n1, n2] = [handle.nodeInfo('n1')!, handle.nodeInfo('n2')!];
    const verdicts = (st: CycleState) => [n1, n2].map((ni) => verdict(plugin.filter(st, incoming, ni)));
    const state = new CycleState();
    plugin.preFilter(state, incoming, handle.nodeInfos());
    const rejected = "Unschedulable: node(s) didn't match pod anti-affinity rules";
    assert.deepEqual(verdicts(state), [rejected, 'ok']);
    // What if x left n1 (preemption removes victims on a copy of the state)?
    const without = state.clone();
    const x = [...n1.pods.values()][0]!;
    plugin.preFilterExtensions!.removePod(without, incoming, x, n1);
    assert.deepEqual(verdicts(without), ['ok', 'ok']);
    // What if a matching pod were on n2?
    const withMore = state.clone();
    plugin.preFilterExtensions!.addPod(withMore, incoming, new PodInfo(existing('y', 'n2', false)), n2);
    assert.deepEqual(verdicts(withMore), [rejected, rejected]);
    // Straight on a state that still reads the index: its counts are copied first.
    const direct = new CycleState();
    plugin.preFilter(direct, incoming, handle.nodeInfos());
    plugin.preFilterExtensions!.removePod(direct, incoming, x, n1);
    assert.deepEqual(verdicts(direct), ['ok', 'ok']);
    // Neither the original state nor the index changed.
    assert.deepEqual(verdicts(state), [rejected, 'ok']);
    const again = new CycleState();
    plugin.preFilter(again, incoming, handle.nodeInfos());
    assert.deepEqual(verdicts(again), [rejected, 'ok']);
    assert.deepEqual([...cache.topology.antiAffinityTerms()].map((e) => Object.fromEntries(e.pods)), [{ z1: 1 }]);
  });

  it("spreading's state reads the index's counts in place; preemption's what-if changes go to copies", () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', 'z1'));
    cache.addNode(node('n2', 'z2'));
    const pod = (name: string, nodeName?: string): Pod => ({
      metadata: { name, namespace: 'default', uid: name, labels: { app: 'a' } },
      spec: { ...(nodeName ? { nodeName } : {}), containers: [], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: zoneKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'a' } } }] },
    });
    cache.addOrUpdatePod(pod('x', 'n1'));
    const handle = cache.handle();
    const plugin = podTopologySpread({}, handle);
    const incoming = new PodInfo(pod('p'));
    const [n1, n2] = [handle.nodeInfo('n1')!, handle.nodeInfo('n2')!];
    const verdicts = (st: CycleState) => [n1, n2].map((ni) => verdict(plugin.filter(st, incoming, ni)));
    const skew = "Unschedulable: node(s) didn't match pod topology spread constraints";
    const fresh = () => {
      const st = new CycleState();
      plugin.preFilter(st, incoming, handle.nodeInfos());
      return st;
    };
    const state = fresh();
    assert.deepEqual(verdicts(state), [skew, 'ok']);
    const x = [...n1.pods.values()][0]!;
    const direct = fresh();
    plugin.preFilterExtensions!.removePod(direct, incoming, x, n1);
    assert.deepEqual(verdicts(direct), ['ok', 'ok']);
    const more = state.clone();
    plugin.preFilterExtensions!.addPod(more, incoming, new PodInfo(pod('y', 'n2')), n2);
    assert.deepEqual(verdicts(more), ['ok', 'ok'], 'one matching pod per zone: the minimum is 1');
    assert.deepEqual(verdicts(state), [skew, 'ok']);
    assert.deepEqual(verdicts(fresh()), [skew, 'ok'], 'the index did not change');
  });

  it('pinOf: the first =, == or in requirement pins its key to its values; other operators pin nothing', () => {
    const cases: [string, { key: string; values: string[] } | undefined][] = [
      ['app=web', { key: 'app', values: ['web'] }],
      ['app==web', { key: 'app', values: ['web'] }],
      ['tier in (b,a)', { key: 'tier', values: ['a', 'b'] }],
      ['app!=web', undefined],
      ['app notin (a)', undefined],
      ['app', undefined],
      ['!app', undefined],
      ['app,tier=x', { key: 'tier', values: ['x'] }],
      ['', undefined],
    ];
    for (const [sel, want] of cases) {
      const pin = pinOf(parseLabelSelector(sel));
      assert.deepEqual(pin && { key: pin.key, values: [...pin.values] }, want, sel);
    }
  });

  it('tracks at most maxQueries queries; one idle for idleAsks asks makes room, else a new one is refused', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', 'z1'));
    cache.addOrUpdatePod({ metadata: { name: 'x', namespace: 'default', labels: { app: 'a' } }, spec: { nodeName: 'n1', containers: [] } });
    const index = new TopologyIndex(() => cache.nodeInfos(), 2, 3);
    let counted = 0;
    const q = (key: string) => ({
      key,
      topologyKey: zoneKey,
      requiredKeys: [],
      matches: (p: PodInfo) => {
        counted++;
        return p.labels['app'] === 'a';
      },
    });
    assert.equal(index.counts(q('q1'))?.pods.get('z1'), 1); // ask 1
    index.counts(q('q2')); // ask 2
    index.counts(q('q1')); // ask 3: q1 is now the most recent
    assert.equal(counted, 2, 'asked again: read, not recounted');
    assert.equal(index.counts(q('q3')), undefined, 'ask 4: q2 was asked 2 asks ago, still in use: refused');
    assert.equal(counted, 2);
    index.counts(q('q1')); // ask 5
    index.counts(q('q1')); // ask 6: q2 last asked at 2, idle for 4 > 3 asks
    assert.equal(index.counts(q('q3'))?.pods.get('z1'), 1, 'ask 7: the idle q2 made room');
    assert.equal(index.trackedQueries, 2);
    assert.equal(counted, 3);
    assert.equal(index.counts(q('q2')), undefined, 'q2 was dropped, and q1 and q3 are in use');
  });

  it("keeps existing pods' anti-affinity terms per domain and drops a term with its last carrier", () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', 'z1'));
    cache.addNode(node('n2', 'z2'));
    const anti = (name: string, nodeName: string): Pod => ({
      metadata: { name, namespace: 'default', labels: { app: 'a' } },
      spec: { nodeName, containers: [], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('a', zoneKey)] } } },
    });
    cache.addOrUpdatePod(anti('a1', 'n1'));
    cache.addOrUpdatePod(anti('a2', 'n1'));
    cache.addOrUpdatePod(anti('a3', 'n2'));
    const terms = () => [...cache.topology.antiAffinityTerms()].map((e) => [e.term.topologyKey, Object.fromEntries(e.pods)]);
    assert.deepEqual(terms(), [[zoneKey, { z1: 2, z2: 1 }]]);
    cache.addNode(node('n2', 'z3'));
    assert.deepEqual(terms(), [[zoneKey, { z1: 2, z3: 1 }]], 'a relabelled node moves its pods to the new domain');
    cache.removePod('default/a1');
    cache.removePod('default/a2');
    cache.removePod('default/a3');
    assert.deepEqual(terms(), []);
  });
});
