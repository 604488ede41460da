import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { constants as zc, createDeflate, inflateSync } from 'node:zlib';
import {
  FrameReader,
  HeaderDeflater,
  HeaderInflater,
  decodeFrame,
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  SpdyProtocolError,
} from '../../../src/apiserver/streaming/spdy-frames.js';
import { spdyDictionary } from '../../../src/apiserver/streaming/spdy-dictionary.js';

test('the SPDY/3 dictionary is the 1423 bytes of the draft', () => {
  assert.equal(spdyDictionary.length, 1423);
  assert.equal(spdyDictionary.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(spdyDictionary.toString('latin1').endsWith('enq=0.'));
  assert.equal(createHash('sha256').update(spdyDictionary).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

test('frames round-trip through encode and decode', () => {
  const cases: [string, Buffer, Record<string, unknown>][] = [
    ['data', encodeData(3, Buffer.from('hello'), false), { type: 'data', streamId: 3, flags: 0, data: Buffer.from('hello') }],
    ['data fin', encodeData(5, Buffer.alloc(0), true), { type: 'data', streamId: 5, flags: 1, data: Buffer.alloc(0) }],
    ['syn_stream', encodeSynStream(1, 0, 2, 1, Buffer.from([9, 9])), { type: 'synStream', streamId: 1, associatedId: 0, priority: 2, flags: 1, headerBlock: Buffer.from([9, 9]) }],
    ['syn_reply', encodeSynReply(7, 0, Buffer.from([1])), { type: 'synReply', streamId: 7, flags: 0, headerBlock: Buffer.from([1]) }],
    ['rst_stream', encodeRstStream(9, 5), { type: 'rstStream', streamId: 9, status: 5 }],
    ['ping', encodePing(0xfffffffe), { type: 'ping', id: 0xfffffffe }],
    ['goaway', encodeGoAway(11, 0), { type: 'goAway', lastGoodStreamId: 11, status: 0 }],
    ['window_update', encodeWindowUpdate(1, 65536), { type: 'windowUpdate', streamId: 1, delta: 65536 }],
    ['settings', encodeSettings([{ flags: 0, id: 7, value: 1 << 20 }]), { type: 'settings', flags: 0, entries: [{ flags: 0, id: 7, value: 1 << 20 }] }],
  ];
  for (const [name, bytes, want] of cases) assert.deepEqual(decodeFrame(bytes), want, name);
});

test('control frames carry version 3 and the control bit; data frames do not', () => {
  const ctl = encodePing(1);
  assert.equal(ctl.readUInt16BE(0), 0x8003);
  assert.equal(ctl.readUInt16BE(2), 6);
  assert.equal(ctl.readUIntBE(5, 3), 4);
  const data = encodeData(0x7fffffff, Buffer.from('x'), true);
  assert.equal(data[0]! & 0x80, 0);
  assert.equal(data[4], 1);
});

test('an unsupported version is a protocol error', () => {
  const f = encodePing(1);
  f.writeUInt16BE(0x8002, 0);
  assert.throws(() => decodeFrame(f), SpdyProtocolError);
});

test('FrameReader reassembles frames split at any byte', () => {
  const stream = Buffer.concat([encodePing(1), encodeData(1, Buffer.from('abc'), false), encodeRstStream(1, 5)]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const r = new FrameReader();
    const frames = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
    assert.deepEqual(frames.map((f) => f.type), ['ping', 'data', 'rstStream'], `cut at ${cut}`);
  }
});

test('header blocks: encode, decode, lower-case names, NUL-joined repeats', () => {
  const raw = encodeHeaderBlock({ StreamType: 'data', port: '80', requestid: '0' });
  assert.deepEqual(decodeHeaderBlock(raw), { streamtype: 'data', port: '80', requestid: '0' });
  assert.throws(() => decodeHeaderBlock(raw.subarray(0, raw.length - 1)), SpdyProtocolError);
});

test('HeaderDeflater writes one zlib stream of stored blocks any inflater reads', () => {
  const d = new HeaderDeflater();
  const a = d.compress({ streamtype: 'error' });
  const b = d.compress({ streamtype: 'stdout', extra: 'x'.repeat(70_000) });
  assert.deepEqual(a.subarray(0, 2), Buffer.from([0x78, 0x01]));
  // Each block ends as a sync flush does: Go's inflater releases stored bytes only when a next block starts.
  for (const block of [a, b]) assert.deepEqual(block.subarray(-5), Buffer.from([0, 0, 0, 0xff, 0xff]));
  const out = inflateSync(Buffer.concat([a, b]), { finishFlush: zc.Z_SYNC_FLUSH });
  const first = encodeHeaderBlock({ streamtype: 'error' });
  assert.deepEqual(decodeHeaderBlock(out.subarray(0, first.length)), { streamtype: 'error' });
  assert.deepEqual(decodeHeaderBlock(out.subarray(first.length)), { streamtype: 'stdout', extra: 'x'.repeat(70_000) });
});

test('HeaderInflater reads a dictionary-compressed stream block by block, as Go writes it', async () => {
  const z = createDeflate({ dictionary: spdyDictionary, level: 9 });
  const chunks: Buffer[] = [];
  z.on('data', (c: Buffer) => chunks.push(c));
  const block = async (h: Record<string, string>) => {
    chunks.length = 0;
    z.write(encodeHeaderBlock(h));
    await new Promise<void>((r) => z.flush(zc.Z_SYNC_FLUSH, () => setImmediate(r)));
    return Buffer.concat(chunks);
  };
  const b1 = await block({ streamtype: 'error', port: '80', requestid: '0' });
  const b2 = await block({ streamtype: 'data', port: '80', requestid: '0' });
  const inf = new HeaderInflater();
  assert.deepEqual(await inf.inflate(b1), { streamtype: 'error', port: '80', requestid: '0' });
  assert.deepEqual(await inf.inflate(b2), { streamtype: 'data', port: '80', requestid: '0' });
  inf.close();
  z.destroy();
});

test('HeaderInflater rejects garbage', async () => {
  const inf = new HeaderInflater();
  await assert.rejects(inf.inflate(Buffer.from('not zlib at all')), SpdyProtocolError);
  inf.close();
});
