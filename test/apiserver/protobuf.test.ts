import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeProtobufObject,
  decodeUnknown,
  isProtobufContentType,
  PROTOBUF_MAGIC,
} from '../../src/apiserver/protobuf.js';
import { StatusError } from '../../src/api/errors.js';

// A tiny protobuf encoder for building test bodies.
type Val = string | number | Uint8Array | Val[] | { msg: Enc };
type Enc = [number, Val][];
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
function enc(fields: Enc): Uint8Array {
  const out: number[] = [];
  for (const [no, v] of fields) {
    if (typeof v === 'number') out.push(...varint(no * 8), ...varint(v));
    else {
      const bytes =
        typeof v === 'string' ? new TextEncoder().encode(v) : v instanceof Uint8Array ? v : enc((v as { msg: Enc }).msg);
      out.push(...varint(no * 8 + 2), ...varint(bytes.length), ...bytes);
    }
  }
  return Uint8Array.from(out);
}
const m = (msg: Enc) => ({ msg });
function body(apiVersion: string, kind: string, raw: Uint8Array, extra: Enc = []): Uint8Array {
  const env = enc([[1, m([[1, apiVersion], [2, kind]])], [2, raw], [3, ''], [4, ''], ...extra]);
  return Uint8Array.from([...PROTOBUF_MAGIC, ...env]);
}

// Shaped as kubectl 1.32 `auth can-i get pods` sends it: gogo-protobuf writes every optional string (also
// empty ones), an ObjectMeta with a zero creationTimestamp, and a zero status.
const emptyMeta = m([
  [1, ''], [2, ''], [3, ''], [4, ''], [5, ''], [6, ''], [7, 0],
  [8, m([[1, 0], [2, 0]])], [10, 0], [13, ''],
]);
const kubectlCanIGetPods = body(
  'authorization.k8s.io/v1',
  'SelfSubjectAccessReview',
  enc([
    [1, emptyMeta],
    [2, m([[1, m([[1, 'default'], [2, 'get'], [3, ''], [4, ''], [5, 'pods'], [6, ''], [7, '']])]])],
    [3, m([[1, 0], [2, ''], [3, ''], [4, 0]])],
  ]),
);

test('decodes kubectl-shaped SelfSubjectAccessReview for `auth can-i get pods`', () => {
  assert.deepEqual(decodeProtobufObject(kubectlCanIGetPods), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
  });
});

test('decodes every resource attribute, selectors, metadata and non-resource attributes', () => {
  const ra = m([
    [1, 'ns'], [2, 'create'], [3, 'apps'], [4, 'v1'], [5, 'deployments'], [6, 'scale'], [7, 'web'],
    [8, m([[1, 'metadata.name=x']])],
    [9, m([[2, m([[1, 'app'], [2, 'In'], [3, 'a'], [3, 'b']])]])],
  ]);
  const meta = m([[1, 'r1'], [3, 'ns'], [11, m([[1, 'k'], [2, 'v']])]]);
  assert.deepEqual(
    decodeProtobufObject(body('authorization.k8s.io/v1', 'SelfSubjectAccessReview', enc([[1, meta], [2, m([[1, ra]])]]))),
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { name: 'r1', namespace: 'ns', labels: { k: 'v' } },
      spec: {
        resourceAttributes: {
          namespace: 'ns', verb: 'create', group: 'apps', version: 'v1', resource: 'deployments',
          subresource: 'scale', name: 'web',
          fieldSelector: { rawSelector: 'metadata.name=x' },
          labelSelector: { requirements: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
        },
      },
    },
  );
  const nonRes = body('authorization.k8s.io/v1', 'SelfSubjectAccessReview', enc([[2, m([[2, m([[1, '/healthz'], [2, 'get']])]])]]));
  assert.deepEqual(decodeProtobufObject(nonRes).spec, { nonResourceAttributes: { path: '/healthz', verb: 'get' } });
});

test('decodes SubjectAccessReview user, groups, extra and uid; SelfSubjectRulesReview namespace', () => {
  const sar = enc([[2, m([
    [1, m([[2, 'list'], [5, 'pods']])], [3, 'alice'], [4, 'g1'], [4, 'g2'],
    [5, m([[1, 'scopes'], [2, m([[1, 's1']])]])], [6, 'u-1'],
  ])]]);
  assert.deepEqual(decodeProtobufObject(body('authorization.k8s.io/v1', 'SubjectAccessReview', sar)).spec, {
    resourceAttributes: { verb: 'list', resource: 'pods' },
    user: 'alice', groups: ['g1', 'g2'], extra: { scopes: ['s1'] }, uid: 'u-1',
  });
  const ssrr = enc([[2, m([[1, 'kube-system']])]]);
  assert.deepEqual(decodeProtobufObject(body('authorization.k8s.io/v1', 'SelfSubjectRulesReview', ssrr)).spec, {
    namespace: 'kube-system',
  });
});

test('decodeUnknown exposes the envelope', () => {
  const raw = Uint8Array.of(1, 2, 3);
  const env = decodeUnknown(body('v1', 'Pod', raw, [[4, 'application/vnd.kubernetes.protobuf']]));
  assert.equal(env.apiVersion, 'v1');
  assert.equal(env.kind, 'Pod');
  assert.deepEqual([...env.raw], [1, 2, 3]);
  assert.equal(env.contentType, 'application/vnd.kubernetes.protobuf');
  assert.equal(env.contentEncoding, '');
});

test('unsupported kinds are 415, malformed bodies are 400 and never crash', () => {
  // Custom resources have no protobuf form (upstream answers 415 too); built-in kinds all decode.
  assert.throws(
    () => decodeProtobufObject(body('example.com/v1', 'Widget', new Uint8Array())),
    (e: unknown) => e instanceof StatusError && e.code === 415 && /application\/json/.test(e.message),
  );
  const good = kubectlCanIGetPods;
  const bad: [string, Uint8Array][] = [
    ['empty', new Uint8Array()],
    ['no magic', good.subarray(4)],
    ['truncated', good.subarray(0, good.length - 3)],
    ['length past end', Uint8Array.from([...PROTOBUF_MAGIC, 0x0a, 0x7f, 0x01])],
    ['endless varint', Uint8Array.from([...PROTOBUF_MAGIC, ...new Array(12).fill(0xff)])],
    ['group wire type', Uint8Array.from([...PROTOBUF_MAGIC, 0x0b])],
    ['field zero', Uint8Array.from([...PROTOBUF_MAGIC, 0x02, 0x00])],
    ['string as varint', body('authorization.k8s.io/v1', 'SelfSubjectAccessReview', enc([[2, m([[1, m([[2, 5]])]])]]))],
    ['bad utf-8', body('authorization.k8s.io/v1', 'SelfSubjectAccessReview', enc([[2, m([[1, m([[2, Uint8Array.of(0xff, 0xfe)]])]])]]))],
  ];
  for (const [name, b] of bad) {
    assert.throws(
      () => decodeProtobufObject(b),
      (e: unknown) => e instanceof StatusError && e.code === 400 && e.reason === 'BadRequest',
      name,
    );
  }
  // Every prefix of a valid body either decodes or is a 400: never another error.
  for (let i = 0; i < good.length; i++) {
    try {
      decodeProtobufObject(good.subarray(0, i));
    } catch (e) {
      assert.ok(e instanceof StatusError && e.code === 400, `prefix ${i}: ${String(e)}`);
    }
  }
});

test('isProtobufContentType', () => {
  assert.equal(isProtobufContentType('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isProtobufContentType('application/vnd.kubernetes.protobuf; charset=utf-8'), true);
  assert.equal(isProtobufContentType('application/json'), false);
  assert.equal(isProtobufContentType(undefined), false);
});
