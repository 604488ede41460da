import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../../src/api/types.js';
import { FieldSet, fieldPE } from '../../../src/apiserver/patch/field-set.js';
import { compareObjects } from '../../../src/apiserver/patch/structured-merge.js';
import { deploymentSchema, liveDeployment, resolver } from './fixtures.js';

const schema = resolver.resolve(deploymentSchema);

describe('compareObjects against an empty object (a create)', () => {
  // The one-sided path must add exactly what the two-sided walk adds: compared here with a left side that
  // holds only `kind` (same value on both sides, so the general walk runs and adds everything else).
  const variants: { name: string; obj: () => JsonObject }[] = [
    { name: 'a Deployment', obj: () => liveDeployment() as unknown as JsonObject },
    {
      name: 'nulls, empty maps and lists, map-typed labels, an atomic selector',
      obj: () => {
        const d = liveDeployment() as any;
        d.metadata.annotations = {};
        d.metadata.labels = { a: '1', b: '2' };
        d.spec.paused = null;
        d.spec.template.spec.volumes = [];
        d.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }, { name: 'B' }];
        return d;
      },
    },
    {
      name: 'duplicate list-map keys',
      obj: () => {
        const d = liveDeployment() as any;
        d.spec.template.spec.containers.push({ name: 'main', image: 'other', args: ['x'] });
        return d;
      },
    },
  ];
  for (const v of variants) {
    it(v.name, () => {
      const obj = v.obj();
      const fast = compareObjects({}, obj, schema, resolver);
      const general = compareObjects({ kind: obj['kind']! }, obj, schema, resolver);
      const expected = general.added.union(FieldSet.of([fieldPE('kind')]));
      assert.deepEqual(fast.added.toFieldsV1(), expected.toFieldsV1());
      assert.ok(fast.modified.isEmpty() && fast.removed.isEmpty());
      assert.ok(fast.added.has([fieldPE('spec'), fieldPE('replicas')]));
      assert.ok(!fast.added.has([fieldPE('spec')]), 'a declared struct field is not added itself');
    });
  }
});
