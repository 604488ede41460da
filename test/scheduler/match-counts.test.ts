// MatchCounts: per-node counts of matching pods, recounted only when the node's pods change.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { MatchCounts, selectorKey } from '../../src/scheduler/framework/match-counts.js';
import { NodeInfo, PodInfo } from '../../src/scheduler/framework/node-info.js';
import { everything, labelSelectorFromObject, nothing } from '../../src/util/label-selector.js';

const pod = (name: string, labels: Record<string, string>, namespace = 'default'): PodInfo =>
  new PodInfo({ metadata: { name, namespace, labels }, spec: { containers: [{ name: 'c' }] } } as Pod);

describe('MatchCounts', () => {
  const web = labelSelectorFromObject({ matchLabels: { app: 'web' } });
  const isWeb = (p: PodInfo) => web.matches(p.labels);

  it('counts once per node state and recounts after the node changes', () => {
    const mc = new MatchCounts();
    const ni = new NodeInfo('n1');
    ni.addPod(pod('a', { app: 'web' }));
    ni.addPod(pod('b', { app: 'db' }));
    let calls = 0;
    const counting = (p: PodInfo) => {
      calls++;
      return isWeb(p);
    };
    const key = selectorKey(web, ['default']);
    assert.equal(mc.count(key, ni, counting), 1);
    assert.equal(mc.count(key, ni, counting), 1);
    assert.equal(calls, 2, 'second call served from the remembered count');
    ni.addPod(pod('c', { app: 'web' }));
    assert.equal(mc.count(key, ni, counting), 2);
    ni.removePod('default/a');
    assert.equal(mc.count(key, ni, counting), 1);
    // A clone (preemption's what-if copy) is another node state: counted afresh.
    const copy = ni.clone();
    copy.removePod('default/c');
    assert.equal(mc.count(key, copy, counting), 0);
    assert.equal(mc.count(key, ni, counting), 1);
  });

  it('keeps selectors apart and forgets them all past its limit', () => {
    const mc = new MatchCounts(2);
    const ni = new NodeInfo('n1');
    ni.addPod(pod('a', { app: 'web' }));
    const keys = [selectorKey(everything(), ['default']), selectorKey(nothing(), ['default']), selectorKey(web, ['default']), selectorKey(web, ['other']), selectorKey(web, undefined)];
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(mc.count(keys[0]!, ni, () => true), 1);
    assert.equal(mc.count(keys[1]!, ni, () => false), 0);
    // A third selector clears the first two: their counts are taken again from the predicate.
    assert.equal(mc.count(keys[2]!, ni, isWeb), 1);
    assert.equal(mc.count(keys[0]!, ni, () => false), 0);
  });

  it('namespaces in a key do not depend on their order', () => {
    assert.equal(selectorKey(web, ['b', 'a']), selectorKey(web, ['a', 'b']));
  });
});
