// HPACK for the etcd store's HTTP/2 client: RFC 7541's own examples (Appendix C: one decoder across three
// requests, with and without Huffman), dynamic table eviction and size updates, the encoder's literals read
// back by the decoder, and malformed blocks rejected.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeIndexed, encodeLiteral, HpackDecoder, HpackError, huffmanDecode } from '../../../src/storage/etcd/hpack.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HPACK decoder: RFC 7541 Appendix C', () => {
  const common: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
  const sequences: Array<{ name: string; blocks: Array<{ bytes: string; fields: Array<[string, string]>; size: number }> }> = [
    {
      name: 'C.3 requests without Huffman',
      blocks: [
        { bytes: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', fields: common, size: 57 },
        { bytes: '8286 84be 5808 6e6f 2d63 6163 6865', fields: [...common, ['cache-control', 'no-cache']], size: 110 },
        {
          bytes: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
          fields: [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
          size: 164,
        },
      ],
    },
    {
      name: 'C.4 requests with Huffman',
      blocks: [
        { bytes: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', fields: common, size: 57 },
        { bytes: '8286 84be 5886 a8eb 1064 9cbf', fields: [...common, ['cache-control', 'no-cache']], size: 110 },
        {
          bytes: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
          fields: [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
          size: 164,
        },
      ],
    },
  ];
  for (const seq of sequences) {
    it(seq.name, () => {
      const d = new HpackDecoder();
      for (const b of seq.blocks) {
        assert.deepEqual(d.decode(hex(b.bytes)), b.fields);
        assert.equal(d.tableSize, b.size);
      }
    });
  }
});

/** A literal with incremental indexing and a new name (RFC 7541 §6.2.1), strings not Huffman-coded. */
function indexed(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x40, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

describe('HPACK decoder: dynamic table', () => {
  it('evicts the oldest entries to make room, newest first in the index', () => {
    // Each entry is 32 + 2 + 2 = 36 bytes; a 100-byte table holds two.
    const d = new HpackDecoder(100);
    d.decode(Buffer.concat([Buffer.from([0x3f, 0x45]) /* size update to 100 */, indexed('a1', 'v1'), indexed('a2', 'v2')]));
    assert.equal(d.tableSize, 72);
    d.decode(indexed('a3', 'v3'));
    assert.equal(d.tableSize, 72);
    // 62 = newest (a3), 63 = a2; a1 was evicted.
    assert.deepEqual(d.decode(Buffer.from([0x80 | 62, 0x80 | 63])), [['a3', 'v3'], ['a2', 'v2']]);
    assert.throws(() => d.decode(Buffer.from([0x80 | 64])), HpackError);
  });

  it('a size update shrinks the table (evicting), and may not exceed the announced maximum', () => {
    const d = new HpackDecoder(100);
    d.decode(Buffer.concat([indexed('a1', 'v1'), indexed('a2', 'v2')]));
    d.decode(Buffer.from([0x20 | 0x1f, 0x06])); // size update to 37: only the newest fits
    assert.equal(d.tableSize, 36);
    assert.deepEqual(d.decode(Buffer.from([0x80 | 62])), [['a2', 'v2']]);
    assert.throws(() => d.decode(Buffer.from([0x3f, 0x46])), /above the announced/); // 101
  });

  it('an entry larger than the table empties it and is not added', () => {
    const d = new HpackDecoder(40);
    d.decode(indexed('a', 'b'));
    assert.equal(d.tableSize, 34);
    assert.deepEqual(d.decode(indexed('name', 'long value')), [['name', 'long value']]);
    assert.equal(d.tableSize, 0);
  });
});

describe('HPACK encoder pieces', () => {
  const cases: Array<[string, string]> = [
    [':path', '/etcdserverpb.KV/Txn'],
    [':authority', '127.0.0.1:2379'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['hasleader', 'true'],
    ['x-long', 'v'.repeat(300)],
  ];
  for (const [name, value] of cases) {
    it(`literal ${name} decodes back and leaves the table empty`, () => {
      const d = new HpackDecoder();
      assert.deepEqual(d.decode(encodeLiteral(name, value)), [[name, value]]);
      assert.equal(d.tableSize, 0);
    });
  }
  it('indexed static pairs', () => {
    assert.deepEqual(encodeIndexed(':method', 'POST'), Buffer.from([0x83]));
    assert.deepEqual(encodeIndexed(':scheme', 'https'), Buffer.from([0x87]));
    assert.equal(encodeIndexed(':method', 'PUT'), undefined);
  });
});

describe('HPACK decoder rejects malformed blocks', () => {
  const bad: Array<[string, Buffer, RegExp]> = [
    ['index 0', Buffer.from([0x80]), /index 0/],
    ['index beyond the tables', Buffer.from([0x80 | 70]), /beyond the table/],
    ['truncated string', Buffer.from([0x00, 0x05, 0x61]), /truncated/],
    ['truncated integer', Buffer.from([0x7f]), /truncated/],
    ['size update after a field', Buffer.from([0x82, 0x20]), /after a header field/],
    ['Huffman padding of zeros', Buffer.from([0x00, 0x81, 0x00, 0x00]), /padding|Huffman/],
    ['Huffman EOS', Buffer.from([0x00, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]), /EOS|Huffman/],
  ];
  for (const [name, block, error] of bad) it(name, () => assert.throws(() => new HpackDecoder().decode(block), error));

  it('Huffman: the RFC example string, and padding longer than 7 bits', () => {
    assert.equal(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'), 0, 12), 'www.example.com');
    assert.throws(() => huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff ff'), 0, 13), HpackError);
  });
});
