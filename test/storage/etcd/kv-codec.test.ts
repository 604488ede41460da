// The hand-written etcd KV codec against etcd's own .proto files (the copies the etcd3 package ships, loaded
// with @grpc/proto-loader): every request the store encodes decodes there to the intended fields, and every
// response encoded there decodes here to the same values. Table-driven; no etcd process needed.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import {
  decodeRangeResponse,
  decodeTxnResponse,
  decodeCompactionResponse,
  decodeWatchResponse,
  encodeCompactionRequest,
  encodeWatchCreateRequest,
  encodeRangeRequest,
  encodeTxnRequest,
  Writer,
  type RangeRequest,
  type TxnRequest,
} from '../../../src/storage/etcd/kv-codec.js';

const protoDir = join(dirname(createRequire(import.meta.url).resolve('etcd3/package.json')), 'proto');
const def = protoLoader.loadSync(join(protoDir, 'rpc.proto'), { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
type Method = { requestDeserialize(b: Buffer): Record<string, unknown>; responseSerialize(o: unknown): Buffer };
const kv = def['etcdserverpb.KV'] as unknown as Record<'Range' | 'Txn' | 'Compact', Method>;
const watch = (def['etcdserverpb.Watch'] as unknown as Record<'Watch', Method>).Watch;
const b = (s: string) => Buffer.from(s);

describe('etcd KV codec: requests decode in etcd\'s schema', () => {
  const ranges: { name: string; req: RangeRequest; want: Record<string, unknown> }[] = [
    { name: 'one key', req: { key: b('/registry/pods/a') }, want: { key: b('/registry/pods/a') } },
    {
      name: 'page of a prefix at a revision',
      req: { key: b('/a/'), rangeEnd: b('/a0'), limit: 500, revision: 123_456_789_012 },
      want: { key: b('/a/'), range_end: b('/a0'), limit: 500, revision: 123_456_789_012 },
    },
    { name: 'count only', req: { key: b('\0'), countOnly: true }, want: { key: b('\0'), count_only: true } },
    { name: 'keys only, every key', req: { key: b('\0'), rangeEnd: b('\0'), keysOnly: true, limit: 1 }, want: { key: b('\0'), range_end: b('\0'), keys_only: true, limit: 1 } },
  ];
  for (const c of ranges) {
    it(`RangeRequest: ${c.name}`, () => assert.deepEqual(kv.Range.requestDeserialize(encodeRangeRequest(c.req)), c.want));
  }

  const big = Buffer.alloc(70_000, 'x'); // longer than the writer's first buffer: it grows
  const txns: { name: string; req: TxnRequest; want: Record<string, unknown> }[] = [
    {
      name: 'create: create_revision == 0 is sent explicitly (oneof)',
      req: { compare: [{ key: b('/k'), target: 'create', result: 'equal', value: 0 }], success: [{ put: { key: b('/k'), value: big } }], failure: [{ range: { key: b('/k') } }] },
      want: {
        compare: [{ key: b('/k'), target: 'Create', create_revision: 0, target_union: 'create_revision' }],
        success: [{ request_put: { key: b('/k'), value: big }, request: 'request_put' }],
        failure: [{ request_range: { key: b('/k') }, request: 'request_range' }],
      },
    },
    {
      name: 'guarded update with prev_kv',
      req: {
        compare: [
          { key: b('/k'), target: 'create', result: 'greater', value: 0 },
          { key: b('/k'), target: 'mod', result: 'equal', value: 42 },
        ],
        success: [{ put: { key: b('/k'), value: b('{}'), prevKv: true } }],
        failure: [{ range: { key: b('/k') } }],
      },
      want: {
        compare: [
          { key: b('/k'), result: 'Greater', target: 'Create', create_revision: 0, target_union: 'create_revision' },
          { key: b('/k'), target: 'Mod', mod_revision: 42, target_union: 'mod_revision' },
        ],
        success: [{ request_put: { key: b('/k'), value: b('{}'), prev_kv: true }, request: 'request_put' }],
        failure: [{ request_range: { key: b('/k') }, request: 'request_range' }],
      },
    },
    {
      name: 'a string value is written as UTF-8 (multi-byte characters, lengths over 2 varint bytes)',
      req: {
        compare: [{ key: b('/k'), target: 'mod', result: 'less', value: 2 ** 40 }],
        success: [{ put: { key: b('/k'), value: `{"a":"${'é€𝄞'.repeat(5000)}"}`, prevKv: true } }],
        failure: [{ range: { key: b('/k'), rangeEnd: b('/l'), limit: 300, revision: 2 ** 35, keysOnly: true, countOnly: true } }],
      },
      want: {
        compare: [{ key: b('/k'), result: 'Less', target: 'Mod', mod_revision: 2 ** 40, target_union: 'mod_revision' }],
        success: [{ request_put: { key: b('/k'), value: b(`{"a":"${'é€𝄞'.repeat(5000)}"}`), prev_kv: true }, request: 'request_put' }],
        failure: [{ request_range: { key: b('/k'), range_end: b('/l'), limit: 300, revision: 2 ** 35, keys_only: true, count_only: true }, request: 'request_range' }],
      },
    },
    {
      name: 'delete and version compare',
      req: { compare: [{ key: b('c'), target: 'version', result: 'not-equal', value: 7 }], success: [{ deleteRange: { key: b('/k'), prevKv: true } }], failure: [] },
      want: {
        compare: [{ key: b('c'), result: 'NotEqual', version: 7, target_union: 'version' }],
        success: [{ request_delete_range: { key: b('/k'), prev_kv: true }, request: 'request_delete_range' }],
      },
    },
  ];
  for (const c of txns) {
    it(`TxnRequest: ${c.name}`, () => assert.deepEqual(kv.Txn.requestDeserialize(encodeTxnRequest(c.req)), c.want));
    it(`TxnRequest after reserved leading bytes: ${c.name}`, () => {
      const plain = encodeTxnRequest(c.req);
      const reserved = encodeTxnRequest(c.req, 5);
      assert.equal(reserved.length, plain.length + 5);
      assert.deepEqual(reserved.subarray(5), plain);
    });
  }

  it('CompactionRequest', () => {
    assert.deepEqual(kv.Compact.requestDeserialize(encodeCompactionRequest(99, false)), { revision: 99 });
    assert.deepEqual(kv.Compact.requestDeserialize(encodeCompactionRequest(5, true)), { revision: 5, physical: true });
  });

  it('refuses values protobuf varints cannot carry as non-negative integers', () => {
    assert.throws(() => new Writer().uint(1, -1), RangeError);
    assert.throws(() => new Writer().uint(1, 2 ** 53), RangeError);
  });
});

describe('etcd KV codec: responses encoded by etcd\'s schema decode here', () => {
  const header = { cluster_id: 1, member_id: 2, revision: 2 ** 40 + 3, raft_term: 4 };
  const kvA = { key: b('/p/a'), create_revision: 10, mod_revision: 12, version: 2, value: b('{"a":1}'), lease: 0 };
  const kvB = { key: b('/p/b'), create_revision: 11, mod_revision: 11, version: 1, value: b('') };

  it('RangeResponse: kvs, more, count, header revision', () => {
    const got = decodeRangeResponse(kv.Range.responseSerialize({ header, kvs: [kvA, kvB], more: true, count: 5 }));
    assert.equal(got.revision, 2 ** 40 + 3);
    assert.equal(got.more, true);
    assert.equal(got.count, 5);
    assert.deepEqual(
      got.kvs.map((k) => [k.key.toString(), k.value.toString(), k.createRevision, k.modRevision, k.version]),
      [['/p/a', '{"a":1}', 10, 12, 2], ['/p/b', '', 11, 11, 1]],
    );
  });

  it('RangeResponse: empty (defaults omitted on the wire)', () => {
    assert.deepEqual(decodeRangeResponse(kv.Range.responseSerialize({ header: { revision: 9 } })), { revision: 9, kvs: [], more: false, count: 0 });
  });

  const txnCases: { name: string; res: Record<string, unknown>; check(r: ReturnType<typeof decodeTxnResponse>): void }[] = [
    {
      name: 'failed compare with the current key',
      res: { header, succeeded: false, responses: [{ response_range: { header, kvs: [kvA], count: 1 } }] },
      check: (r) => {
        assert.equal(r.succeeded, false);
        assert.equal(r.responses[0]?.range?.kvs[0]?.modRevision, 12);
      },
    },
    {
      name: 'put with prev_kv',
      res: { header, succeeded: true, responses: [{ response_put: { header, prev_kv: kvA } }] },
      check: (r) => {
        assert.equal(r.succeeded, true);
        assert.equal(r.revision, 2 ** 40 + 3);
        assert.equal(r.responses[0]?.put?.prevKv?.createRevision, 10);
      },
    },
    {
      name: 'put without prev_kv',
      res: { header, succeeded: true, responses: [{ response_put: { header } }] },
      check: (r) => assert.deepEqual(r.responses[0]?.put, { prevKv: undefined }),
    },
    {
      name: 'delete with prev_kvs',
      res: { header, succeeded: true, responses: [{ response_delete_range: { header, deleted: 1, prev_kvs: [kvB] } }] },
      check: (r) => {
        assert.equal(r.responses[0]?.deleteRange?.deleted, 1);
        assert.equal(r.responses[0]?.deleteRange?.prevKvs[0]?.key.toString(), '/p/b');
      },
    },
  ];
  for (const c of txnCases) it(`TxnResponse: ${c.name}`, () => c.check(decodeTxnResponse(kv.Txn.responseSerialize(c.res))));

  it('CompactionResponse', () => {
    assert.deepEqual(decodeCompactionResponse(kv.Compact.responseSerialize({ header: { revision: 77 } })), { revision: 77 });
  });
});

describe('etcd Watch codec', () => {
  it('WatchRequest{create_request}', () => {
    assert.deepEqual(
      watch.requestDeserialize(encodeWatchCreateRequest({ key: b('/r/'), rangeEnd: b('/r0'), startRevision: 17, progressNotify: true, prevKv: true })),
      { create_request: { key: b('/r/'), range_end: b('/r0'), start_revision: 17, progress_notify: true, prev_kv: true }, request_union: 'create_request' },
    );
    assert.deepEqual(watch.requestDeserialize(encodeWatchCreateRequest({ key: b('/r/'), startRevision: 0 })), {
      create_request: { key: b('/r/') },
      request_union: 'create_request',
    });
  });

  const kvA = { key: b('/r/a'), create_revision: 3, mod_revision: 9, version: 4, value: b('v') };
  const cases: { name: string; res: Record<string, unknown>; want: Partial<ReturnType<typeof decodeWatchResponse>>; events?: [string, string, number, string | undefined][] }[] = [
    { name: 'created', res: { header: { revision: 8 }, watch_id: 0, created: true }, want: { revision: 8, created: true, canceled: false, events: [] } },
    { name: 'progress notification', res: { header: { revision: 12 }, watch_id: 1 }, want: { revision: 12, watchId: 1, created: false, events: [] } },
    {
      name: 'canceled for compaction',
      res: { header: { revision: 20 }, canceled: true, compact_revision: 15, cancel_reason: 'mvcc: required revision has been compacted' },
      want: { canceled: true, compactRevision: 15, cancelReason: 'mvcc: required revision has been compacted' },
    },
    {
      name: 'put with prev_kv, then delete',
      res: { header: { revision: 10 }, events: [{ type: 'Put', kv: kvA, prev_kv: { ...kvA, mod_revision: 5, value: b('old') } }, { type: 'Delete', kv: { key: b('/r/b'), mod_revision: 10 } }] },
      want: { revision: 10 },
      events: [['put', '/r/a', 9, 'old'], ['delete', '/r/b', 10, undefined]],
    },
  ];
  for (const c of cases) {
    it(`WatchResponse: ${c.name}`, () => {
      const got = decodeWatchResponse(watch.responseSerialize(c.res));
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[k as keyof typeof got], v, k);
      if (c.events) assert.deepEqual(got.events.map((e) => [e.type, e.kv.key.toString(), e.kv.modRevision, e.prevKv?.value.toString()]), c.events);
    });
  }
});
