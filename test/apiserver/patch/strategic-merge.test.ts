import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../../src/api/errors.js';
import type { JsonObject } from '../../../src/api/types.js';
import { applyStrategicMergePatch } from '../../../src/apiserver/patch/strategic-merge.js';
import { deploymentSchema, liveDeployment, resolver } from './fixtures.js';

const live = () => liveDeployment() as unknown as JsonObject;
const smp = (patch: unknown, doc: JsonObject = live()) => applyStrategicMergePatch(doc, patch, deploymentSchema, resolver) as any;
const podSpec = (d: any) => d.spec.template.spec;
const names = (d: any) => podSpec(d).containers.map((c: any) => c.name);

describe('applyStrategicMergePatch', () => {
  const cases: { name: string; patch: unknown; check: (d: any) => void }[] = [
    {
      name: 'containers merge by name: one image changes, the other container stays',
      patch: { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:1.28' }] } } } },
      check: (d) => {
        assert.deepEqual(names(d), ['main', 'sidecar']);
        assert.equal(podSpec(d).containers[0].image, 'nginx:1.28');
        assert.deepEqual(podSpec(d).containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }], 'untouched fields kept');
      },
    },
    {
      // Upstream's mergeSortedSlice puts patch items with no live position ahead of server-only items.
      name: 'a new container without $setElementOrder goes first, as upstream',
      patch: { spec: { template: { spec: { containers: [{ name: 'extra', image: 'redis' }] } } } },
      check: (d) => assert.deepEqual(names(d), ['extra', 'main', 'sidecar']),
    },
    {
      name: '$patch: delete removes one container',
      patch: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } },
      check: (d) => assert.deepEqual(names(d), ['main']),
    },
    {
      name: '$patch: replace on a list replaces it',
      patch: { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } },
      check: (d) => assert.deepEqual(podSpec(d).containers, [{ name: 'only', image: 'x' }]),
    },
    {
      name: '$patch: replace on a map replaces it',
      patch: { metadata: { labels: { $patch: 'replace', only: 'me' } } },
      check: (d) => assert.deepEqual(d.metadata.labels, { only: 'me' }),
    },
    {
      name: '$patch: delete on a map empties it',
      patch: { spec: { strategy: { $patch: 'delete' } } },
      check: (d) => assert.deepEqual(d.spec.strategy, {}),
    },
    {
      name: '$setElementOrder/containers sets the result order',
      patch: {
        spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'main' }], containers: [{ name: 'main', image: 'nginx:2' }] } } },
      },
      check: (d) => {
        assert.deepEqual(names(d), ['sidecar', 'main']);
        assert.equal(podSpec(d).containers[1].image, 'nginx:2');
      },
    },
    {
      name: '$setElementOrder with a new item places it where the order says',
      patch: {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'main' }, { name: 'new' }, { name: 'sidecar' }],
              containers: [{ name: 'new', image: 'redis' }],
            },
          },
        },
      },
      check: (d) => assert.deepEqual(names(d), ['main', 'new', 'sidecar']),
    },
    {
      name: 'server-only items keep their live position around ordered patch items',
      patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }], containers: [{ name: 'sidecar', image: 'b2' }] } } } },
      check: (d) => assert.deepEqual(names(d), ['main', 'sidecar']),
    },
    {
      name: '$retainKeys on volumes (merge,retainKeys) switches the volume source',
      patch: { spec: { template: { spec: { volumes: [{ name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } } } },
      check: (d) => assert.deepEqual(podSpec(d).volumes, [{ name: 'data', configMap: { name: 'cm' } }]),
    },
    {
      name: '$retainKeys on the retainKeys strategy drops rollingUpdate',
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      check: (d) => assert.deepEqual(d.spec.strategy, { type: 'Recreate' }),
    },
    {
      name: 'primitive merge list: union in order',
      patch: { metadata: { finalizers: ['b', 'c'] } },
      check: (d) => assert.deepEqual(d.metadata.finalizers, ['a', 'b', 'c']),
    },
    {
      name: '$deleteFromPrimitiveList removes values',
      patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
      check: (d) => assert.deepEqual(d.metadata.finalizers, ['b']),
    },
    {
      name: '$setElementOrder on a primitive list with a deletion (kubectl shape)',
      patch: { metadata: { '$setElementOrder/finalizers': ['c', 'b'], '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] } },
      check: (d) => assert.deepEqual(d.metadata.finalizers, ['c', 'b']),
    },
    {
      name: 'atomic list (tolerations) is replaced',
      patch: { spec: { template: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } } } },
      check: (d) => assert.deepEqual(podSpec(d).tolerations, [{ key: 'k2', operator: 'Exists' }]),
    },
    {
      name: 'ports merge by containerPort',
      patch: { spec: { template: { spec: { containers: [{ name: 'main', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] } } } },
      check: (d) => assert.deepEqual(podSpec(d).containers[0].ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }]),
    },
    {
      name: 'env merges by name, null deletes a member',
      patch: { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'A', value: null }, { name: 'B', value: '2' }] }] } } } },
      check: (d) => assert.deepEqual(podSpec(d).containers[0].env, [{ name: 'A' }, { name: 'B', value: '2' }]),
    },
    {
      name: 'a new list item and a new map drop their null members; a null for an absent member adds nothing',
      patch: { metadata: { annotations: { gone: null } }, spec: { template: { spec: { containers: [{ name: 'new', image: 'n', args: null, workingDir: null }] } } } },
      check: (d) => {
        assert.deepEqual(podSpec(d).containers.find((c: any) => c.name === 'new'), { name: 'new', image: 'n' });
        assert.equal(Object.prototype.hasOwnProperty.call(d.metadata, 'annotations') && Object.keys(d.metadata.annotations).length > 0, false);
      },
    },
    {
      name: 'maps merge and null deletes',
      patch: { metadata: { labels: { app: null, tier: 'fe' } }, spec: { paused: true } },
      check: (d) => {
        assert.deepEqual(d.metadata.labels, { tier: 'fe' });
        assert.equal(d.spec.paused, true);
      },
    },
    {
      name: 'unknown fields fall back to JSON merge semantics (lists replace, maps merge)',
      patch: { spec: { extra: { list: [{ name: 'x' }], m: { a: 1 } } } },
      check: (d) => {
        const again = applyStrategicMergePatch(d, { spec: { extra: { list: [{ name: 'y' }], m: { b: 2, gone: null } } } }, deploymentSchema, resolver) as any;
        assert.deepEqual(again.spec.extra, { list: [{ name: 'y' }], m: { a: 1, b: 2 } });
      },
    },
    {
      name: "kubectl client-side apply patch (annotation + replicas)",
      patch: { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n' } }, spec: { replicas: 3 } },
      check: (d) => {
        assert.equal(d.spec.replicas, 3);
        assert.equal(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{"x":1}\n');
        assert.deepEqual(names(d), ['main', 'sidecar']);
      },
    },
    {
      name: 'kubectl edit / apply without annotation: $setElementOrder/containers + image',
      patch: {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'main' }, { name: 'sidecar' }],
              containers: [{ image: 'nginx:1.28', name: 'main' }],
            },
          },
        },
      },
      check: (d) => {
        assert.deepEqual(names(d), ['main', 'sidecar']);
        assert.equal(podSpec(d).containers[0].image, 'nginx:1.28');
        assert.equal(podSpec(d)['$setElementOrder/containers'], undefined, 'directives never stored');
      },
    },
    {
      name: 'directives inside a value that did not exist are not stored',
      patch: { spec: { template: { spec: { initContainers: [{ name: 'i', image: 'x', $patch: 'delete' }], securityContext: { $patch: 'replace', runAsUser: 1 } } } } },
      check: (d) => {
        assert.deepEqual(podSpec(d).securityContext, { runAsUser: 1 });
        assert.ok(!JSON.stringify(d).includes('$patch'));
      },
    },
  ];
  /** Every object and list inside a value. */
  const containers = (v: unknown, out = new Set<object>()): Set<object> => {
    if (v !== null && typeof v === 'object') {
      out.add(v);
      for (const x of Object.values(v)) containers(x, out);
    }
    return out;
  };
  for (const c of cases) {
    it(c.name, () => {
      const doc = live();
      const before = JSON.stringify(doc);
      const patchBefore = JSON.stringify(c.patch);
      const result = smp(c.patch, doc);
      const inPatch = containers(c.patch);
      c.check(result);
      assert.equal(JSON.stringify(doc), before, 'input must not be mutated');
      assert.equal(JSON.stringify(c.patch), patchBefore, 'the patch must not be mutated (a retry applies it again)');
      for (const o of containers(result)) assert.ok(!inPatch.has(o), 'the result shares no object or list with the patch');
    });
  }

  const failing: { name: string; patch: unknown; code: number; message: string | RegExp }[] = [
    { name: 'patch is not an object', patch: [1], code: 400, message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' },
    {
      name: 'element without the merge key',
      patch: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
      code: 400,
      message: 'map: map[image:x] does not contain declared merge key: name',
    },
    { name: 'unknown $patch on a map', patch: { metadata: { labels: { $patch: 'bogus' } } }, code: 400, message: /^unknown patch type: bogus in map:/ },
    {
      name: '$patch: merge in a list',
      patch: { spec: { template: { spec: { containers: [{ $patch: 'merge' }] } } } },
      code: 400,
      message: 'merging lists cannot yet be specified in the patch',
    },
    { name: '$retainKeys not a list', patch: { spec: { strategy: { $retainKeys: 'type' } } }, code: 400, message: 'invalid patch format of retainKeys' },
    { name: 'field outside $retainKeys', patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, code: 400, message: 'invalid patch format of retainKeys' },
    { name: '$setElementOrder not a list', patch: { metadata: { '$setElementOrder/finalizers': 'a' } }, code: 400, message: 'invalid patch format of setElementOrder list' },
    { name: 'list of lists', patch: { metadata: { finalizers: [['x']] } }, code: 422, message: 'the server rejected our request due to an error in our request' },
  ];
  for (const c of failing) {
    it(`rejects: ${c.name}`, () => {
      assert.throws(
        () => smp(c.patch),
        (e: unknown) => {
          assert.ok(e instanceof StatusError, String(e));
          assert.equal(e.code, c.code);
          if (typeof c.message === 'string') assert.equal(e.message, c.message);
          else assert.match(e.message, c.message);
          return true;
        },
      );
    });
  }

  it('without any schema behaves as a JSON merge patch', () => {
    const out = applyStrategicMergePatch({ a: [1, 2], m: { x: 1 } }, { a: [3], m: { y: 2 } }, undefined, resolver);
    assert.deepEqual(out, { a: [3], m: { x: 1, y: 2 } });
  });
});
