import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineDecoder } from '../../src/client/line-decoder.js';
import { decodeWatchEvent } from '../../src/client/watch-event.js';
import { TransportError } from '../../src/client/errors.js';

const stream =
  '{"type":"ADDED","object":{"metadata":{"name":"é-ü"}}}\n' +
  '{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}}\r\n\n' +
  '{"type":"DELETED","object":{"metadata":{"name":"z"}}}';

function decodeIn(chunks: Buffer[]): string[] {
  const d = new LineDecoder();
  const out: string[] = [];
  for (const c of chunks) out.push(...d.push(c));
  out.push(...d.end());
  return out;
}

test('lines survive any chunk boundary, including inside multi-byte characters and CRLF', () => {
  const bytes = Buffer.from(stream, 'utf8');
  const want = decodeIn([bytes]);
  assert.equal(want.length, 3);
  assert.equal(JSON.parse(want[0]!).object.metadata.name, 'é-ü');
  for (let size = 1; size <= 7; size++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    assert.deepEqual(decodeIn(chunks), want, `chunk size ${size}`);
  }
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(decodeIn([bytes.subarray(0, cut), bytes.subarray(cut)]), want, `split at ${cut}`);
  }
});

test('watch events decode to their type; garbage is a protocol error', () => {
  const table: Array<[string, string | null]> = [
    ['{"type":"ADDED","object":{"metadata":{}}}', 'ADDED'],
    ['{"type":"MODIFIED","object":{"metadata":{}}}', 'MODIFIED'],
    ['{"type":"DELETED","object":{"metadata":{}}}', 'DELETED'],
    ['{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"5"}}}', 'BOOKMARK'],
    ['{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}', 'ERROR'],
    ['{"type":"WHATEVER","object":{}}', null],
    ['{"type":"ADDED"}', null],
    ['{"type":"ADDED","object":{"metadata"', null],
    ['[]', null],
  ];
  for (const [line, type] of table) {
    if (type) assert.equal(decodeWatchEvent(line).type, type);
    else assert.throws(() => decodeWatchEvent(line), (e: unknown) => e instanceof TransportError && e.kind === 'protocol', line);
  }
});
