// Table-driven tests of the DaemonSet controller's decisions: node eligibility (selector, affinity,
// taints with the default daemon tolerations), the pod pinned to a node, limits and the rolling step.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { nodeOfPod, nodeShouldRunDaemonPod, podForNode, rollingLimits, rollingUpdateStep, scaledValue, templateHash, type NodeState } from '../../../src/controllers/daemonset/decisions.js';

const ds = (spec: Partial<NonNullable<NonNullable<DaemonSet['spec']>['template']['spec']>> = {}, strategy?: NonNullable<DaemonSet['spec']>['updateStrategy']): DaemonSet => ({
  metadata: { name: 'agent', namespace: 'kube-system', uid: 'u', generation: 2 },
  spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } }, updateStrategy: strategy },
});
const node = (name: string, labels: Record<string, string> = {}, taints: NonNullable<Node['spec']>['taints'] = []): Node => ({ metadata: { name, labels }, spec: { taints } });
const pod = (name: string): Pod => ({ metadata: { name } });

describe('daemonset decisions', () => {
  it('node eligibility', () => {
    const cases: Array<[string, DaemonSet, Node, boolean, boolean]> = [
      ['plain node', ds(), node('n'), true, true],
      ['nodeSelector matches', ds({ nodeSelector: { disk: 'ssd' } }), node('n', { disk: 'ssd' }), true, true],
      ['nodeSelector does not match', ds({ nodeSelector: { disk: 'ssd' } }), node('n', { disk: 'hdd' }), false, false],
      [
        'required node affinity',
        ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } }),
        node('n', { zone: 'b' }),
        false,
        false,
      ],
      ['untolerated NoSchedule: no new pod, existing stays', ds(), node('n', {}, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]), false, true],
      ['untolerated NoExecute: none', ds(), node('n', {}, [{ key: 'dedicated', value: 'x', effect: 'NoExecute' }]), false, false],
      ['tolerated taint', ds({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), node('n', {}, [{ key: 'dedicated', value: 'x', effect: 'NoExecute' }]), true, true],
      ['unschedulable node tolerated by default', ds(), node('n', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), true, true],
      ['not-ready tolerated by default', ds(), node('n', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), true, true],
      ['network-unavailable only with hostNetwork', ds(), node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), false, true],
      ['network-unavailable with hostNetwork', ds({ hostNetwork: true }), node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), true, true],
    ];
    for (const [name, d, n, run, cont] of cases) assert.deepEqual(nodeShouldRunDaemonPod(n, d), { shouldRun: run, shouldContinueRunning: cont }, name);
  });

  it('pod pinned to its node through node affinity', () => {
    const d = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } });
    const p = podForNode(d, 'node-1', 'abc');
    assert.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
    ]);
    assert.equal(p.spec?.nodeName, undefined);
    assert.equal(nodeOfPod(p), 'node-1');
    assert.equal(p.metadata?.labels?.['controller-revision-hash'], 'abc');
    assert.equal(p.metadata?.labels?.['pod-template-generation'], '2');
    assert.equal(p.metadata?.generateName, 'agent-');
    assert.ok(p.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute' && t.operator === 'Exists'));
    assert.equal(p.spec?.tolerations?.length, 6);
  });

  it('limits: ints and percentages rounded up; both zero means one unavailable', () => {
    assert.equal(scaledValue('10%', 15, 0), 2);
    assert.equal(scaledValue(3, 15, 0), 3);
    assert.equal(scaledValue(undefined, 15, 1), 1);
    assert.deepEqual(rollingLimits(ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }), 10), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(rollingLimits(ds({}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } }), 10), { maxSurge: 3, maxUnavailable: 0 });
  });

  it('rolling step without surge: never more than maxUnavailable down; unavailable old pods go first', () => {
    const st = (node: string, o: Partial<NodeState>): NodeState => ({ node, newAvailable: false, oldPods: [], oldAvailable: false, ...o });
    const states = [
      st('a', { newPod: pod('a-new'), newAvailable: true }),
      st('b', { oldPods: [pod('b-old')], oldAvailable: true }),
      st('c', { oldPods: [pod('c-old')], oldAvailable: false }),
      st('d', { oldPods: [pod('d-old')], oldAvailable: true }),
    ];
    assert.deepEqual(rollingUpdateStep(states, 0, 1).deletePods.map((p) => p.metadata?.name), ['c-old']);
    assert.deepEqual(rollingUpdateStep(states, 0, 2).deletePods.map((p) => p.metadata?.name), ['c-old', 'b-old']);
    assert.deepEqual(rollingUpdateStep([st('a', {}), ...states.slice(1)], 0, 1).deletePods.map((p) => p.metadata?.name), ['c-old']);
  });

  it('rolling step with surge: new pod first, old deleted once the new one is available', () => {
    const st = (node: string, o: Partial<NodeState>): NodeState => ({ node, newAvailable: false, oldPods: [], oldAvailable: false, ...o });
    const states = [
      st('a', { newPod: pod('a-new'), newAvailable: true, oldPods: [pod('a-old')], oldAvailable: true }),
      st('b', { newPod: pod('b-new'), newAvailable: false, oldPods: [pod('b-old')], oldAvailable: true }),
      st('c', { oldPods: [pod('c-old')], oldAvailable: true }),
      st('d', { oldPods: [pod('d-old')], oldAvailable: false }),
      st('e', { oldPods: [pod('e-old')], oldAvailable: true }),
    ];
    const r1 = rollingUpdateStep(states, 1, 0);
    assert.deepEqual(r1.deletePods.map((p) => p.metadata?.name), ['a-old']);
    assert.deepEqual(r1.surgeNodes, ['d']);
    const r2 = rollingUpdateStep(states, 2, 0);
    assert.deepEqual(r2.surgeNodes, ['c', 'd']);
  });

  it('template hash: stable, changes with the template and collision count, safe alphabet', () => {
    const t = ds().spec!.template;
    assert.equal(templateHash(t), templateHash(structuredClone(t)));
    assert.notEqual(templateHash(t), templateHash({ ...t, metadata: { labels: { app: 'b' } } }));
    assert.notEqual(templateHash(t), templateHash(t, 1));
    assert.match(templateHash(t), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
});
