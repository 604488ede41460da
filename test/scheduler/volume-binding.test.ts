// VolumeBinding: pods whose claims are bound to node-affine volumes fit only those volumes' nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { NodeInfo, PodInfo } from '../../src/scheduler/framework/node-info.js';
import { CycleState } from '../../src/scheduler/framework/types.js';
import { volumeBinding, type VolumeLookup } from '../../src/scheduler/plugins/volume-binding/index.js';

const claims: Record<string, PersistentVolumeClaim> = {
  'ns/local': { spec: { volumeName: 'pv-local' } },
  'ns/plain': { spec: { volumeName: 'pv-plain' } },
  'ns/unbound': { spec: {} },
};
const volumes: Record<string, PersistentVolume> = {
  'pv-local': { metadata: { name: 'pv-local' }, spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } } } },
  'pv-plain': { metadata: { name: 'pv-plain' }, spec: {} },
};
const lookup: VolumeLookup = { claim: (ns, n) => claims[`${ns}/${n}`], volume: (n) => volumes[n] };

const node = (name: string) => {
  const ni = new NodeInfo(name);
  ni.setNode({ metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  return ni;
};
const pod = (claimNames: string[]) =>
  new PodInfo({ metadata: { name: 'p', namespace: 'ns', uid: 'p' }, spec: { containers: [{ name: 'c' }], volumes: claimNames.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) } });

test('VolumeBinding filter', () => {
  const plugin = volumeBinding(lookup);
  const cases: [string, string[], Record<string, boolean>, boolean][] = [
    // name, claims, fits per node, filter skipped
    ['no claims', [], { n1: true, n2: true }, true],
    ['unbound and affinity-free claims do not constrain', ['unbound', 'plain', 'missing'], { n1: true, n2: true }, true],
    ['a local volume pins the pod to its node', ['local', 'plain'], { n1: true, n2: false }, false],
  ];
  for (const [name, cs, fits, skipped] of cases) {
    const state = new CycleState();
    const p = pod(cs);
    assert.equal(plugin.preFilter(state, p, []), null, name);
    assert.equal(state.skipFilter.has('VolumeBinding'), skipped, name);
    if (skipped) continue;
    for (const [n, ok] of Object.entries(fits)) {
      const st = plugin.filter(state, p, node(n));
      assert.equal(st === null, ok, `${name}: ${n}`);
      if (st) assert.deepEqual(st, { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had volume node affinity conflict'] });
    }
  }
});
