// Bodies captured from the real kubectl 1.32.4 (capture-kubectl-bodies.ts) must decode to exactly the JSON
// kubectl itself prints for the same object with --dry-run=client -o json (Go's encoding/json), except that
// JSON nulls (creationTimestamp: null) are simply absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeProtobufObject } from '../../../src/apiserver/protobuf.js';

interface Fixture {
  name: string;
  args: string[];
  method: string;
  path: string;
  body: string;
  dryRun?: unknown;
}
const { kubectl, fixtures } = JSON.parse(readFileSync(new URL('./fixtures/kubectl-bodies.json', import.meta.url), 'utf8')) as {
  kubectl: string;
  fixtures: Fixture[];
};

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
  }
  return v;
}

/** Commands kubectl cannot dry-run: what their bodies mean, written out by hand. */
const expected: Record<string, unknown> = {
  'can-i': {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'pb', verb: 'list', group: 'apps', resource: 'deployments', subresource: 'scale' } },
  },
  token: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['a1'], expirationSeconds: 3600 } },
  'drain-eviction': { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 5 },
};

test(`fixtures come from ${kubectl} and cover the typed commands`, () => {
  assert.ok(fixtures.length >= 20);
  for (const name of ['deployment-replicas-0', 'secret-generic', 'can-i', 'drain-eviction', 'autoscale']) {
    assert.ok(fixtures.some((f) => f.name === name), name);
  }
});

for (const f of fixtures) {
  test(`kubectl ${f.args.join(' ')} → ${f.method} ${f.path}`, () => {
    const got = decodeProtobufObject(Buffer.from(f.body, 'base64'));
    const want = f.dryRun !== undefined ? withoutNulls(f.dryRun) : expected[f.name];
    assert.ok(want !== undefined, `no expectation for ${f.name}`);
    assert.deepEqual(got, want);
  });
}

test('details a user would notice survive', () => {
  const byName = (n: string) => decodeProtobufObject(Buffer.from(fixtures.find((f) => f.name === n)!.body, 'base64')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(byName('deployment-replicas-0').spec.replicas, 0);
  assert.deepEqual([...Buffer.from(byName('secret-generic').data.bin, 'base64')], [0, 1, 2, 0xfe, 0xff, 0x0a]);
  assert.equal(byName('configmap').data.empty, '');
  assert.equal(byName('pdb-max-unavailable').spec.maxUnavailable, '50%');
  assert.equal(byName('pdb-min-available').spec.minAvailable, 1);
  assert.equal(byName('service-nodeport').spec.ports[0].targetPort, 'http');
});
