import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { formatLogRecord } from '../../../src/runtime/process/cri-log.js';
import { LineSplitter, parseLogQuery, readLogs, renderEntry, tailStart, type LogOptions } from '../../../src/agent/logs/read-logs.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const stamp = (s: number, ns = 0) => new Date(T0 + s * 1000).toISOString().slice(0, 19) + (ns ? `.${String(ns).padStart(9, '0')}` : '') + 'Z';
const rec = (s: number, text: string, opts: { stream?: 'stdout' | 'stderr'; partial?: boolean; ns?: number } = {}) =>
  formatLogRecord(stamp(s, opts.ns), opts.stream ?? 'stdout', opts.partial ?? false, Buffer.from(text));

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const base: LogOptions = { follow: false, previous: false, timestamps: false };

async function read(path: string, opts: Partial<LogOptions>, ctl: { running?: () => boolean; signal?: AbortSignal } = {}): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await readLogs(path, { ...base, ...opts }, out, { isRunning: async () => ctl.running?.() ?? false, signal: ctl.signal ?? new AbortController().signal, recheckMs: 50 });
  return Buffer.concat(chunks).toString();
}

test('parseLogQuery validates as upstream', () => {
  const q = (s: string) => parseLogQuery(new URLSearchParams(s), T0);
  assert.deepEqual(q('follow=true&tailLines=10&timestamps=true'), { follow: true, previous: false, timestamps: true, tailLines: 10, limitBytes: undefined, since: undefined });
  assert.deepEqual((q('sinceSeconds=5') as LogOptions).since, { sec: T0 / 1000 - 5, nsec: 0 });
  assert.deepEqual((q('sinceTime=2024-05-01T09:00:00Z') as LogOptions).since, { sec: T0 / 1000 - 3600, nsec: 0 });
  const errs: [string, RegExp][] = [
    ['tailLines=-1', /tailLines: Invalid value: -1/],
    ['limitBytes=0', /limitBytes: Invalid value: 0/],
    ['sinceSeconds=0', /sinceSeconds: Invalid value: 0/],
    ['sinceSeconds=5&sinceTime=2024-05-01T09:00:00Z', /at most one of `sinceTime` or `sinceSeconds`/],
    ['sinceTime=yesterday', /sinceTime: Invalid value/],
    ['tailLines=ten', /invalid integer/],
  ];
  for (const [s, re] of errs) assert.match((q(s) as { error: string }).error, re, s);
});

test('tailStart and LineSplitter', () => {
  const b = Buffer.from('a\nb\nc\n');
  assert.deepEqual(tailStart(b, 1), { start: 4, found: 1 });
  assert.deepEqual(tailStart(b, 2), { start: 2, found: 2 });
  assert.deepEqual(tailStart(b, 5), { start: 0, found: 2 });
  assert.deepEqual(tailStart(b, 0), { start: 6, found: 0 });
  assert.deepEqual(tailStart(Buffer.from('a\nb'), 1), { start: 2, found: 1 });
  const s = new LineSplitter();
  assert.deepEqual(s.push(Buffer.from('x\ny')).map(String), ['x']);
  assert.deepEqual(s.push(Buffer.from('z\n')).map(String), ['yz']);
  assert.equal(s.takeRest(), undefined);
});

test('renderEntry: since filter, timestamps, partial lines keep no newline', () => {
  const e = { time: { sec: T0 / 1000, nsec: 5 }, stream: 'stdout' as const, partial: false, content: Buffer.from('hi') };
  assert.equal(renderEntry(e, {})!.toString(), 'hi\n');
  assert.equal(renderEntry({ ...e, partial: true }, {})!.toString(), 'hi');
  assert.equal(renderEntry(e, { timestamps: true })!.toString(), '2024-05-01T10:00:00.000000005Z hi\n');
  assert.equal(renderEntry(e, { since: { sec: T0 / 1000, nsec: 6 } }), undefined);
  assert.ok(renderEntry(e, { since: { sec: T0 / 1000, nsec: 5 } }));
});

test('readLogs: whole file, tail, since, limitBytes, timestamps, partial records joined', async (t) => {
  const dir = tmp(t);
  const path = join(dir, '0.log');
  writeFileSync(path, Buffer.concat([rec(0, 'one'), rec(1, 'two', { stream: 'stderr' }), rec(2, 'thr', { partial: true }), rec(2, 'ee', { ns: 5 }), rec(3, 'four')]));
  assert.equal(await read(path, {}), 'one\ntwo\nthree\nfour\n');
  assert.equal(await read(path, { tailLines: 1 }), 'four\n');
  assert.equal(await read(path, { tailLines: 2 }), 'ee\nfour\n', 'tail counts records, as upstream');
  assert.equal(await read(path, { tailLines: 0 }), '');
  assert.equal(await read(path, { tailLines: 100 }), 'one\ntwo\nthree\nfour\n');
  assert.equal(await read(path, { since: { sec: T0 / 1000 + 2, nsec: 0 } }), 'three\nfour\n');
  assert.equal(await read(path, { limitBytes: 6 }), 'one\ntw');
  assert.equal(await read(path, { timestamps: true, tailLines: 1 }), '2024-05-01T10:00:03Z four\n');
  assert.equal(await read(join(dir, 'missing.log'), {}), '');
});

test('readLogs: tail across read blocks of a large file', async (t) => {
  const dir = tmp(t);
  const path = join(dir, '0.log');
  const lines = Array.from({ length: 5000 }, (_, i) => rec(i, `line ${i} ${'x'.repeat(40)}`));
  writeFileSync(path, Buffer.concat(lines));
  const out = await read(path, { tailLines: 3000 });
  const got = out.trimEnd().split('\n');
  assert.equal(got.length, 3000);
  assert.match(got[0]!, /^line 2000 /);
  assert.match(got[2999]!, /^line 4999 /);
});

test('readLogs follow: new records, rotation, and the end once the container stops', async (t) => {
  const dir = tmp(t);
  const path = join(dir, '0.log');
  writeFileSync(path, rec(0, 'first'));
  let running = true;
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const done = readLogs(path, { ...base, follow: true }, out, { isRunning: async () => running, signal: new AbortController().signal, recheckMs: 50 });
  const waitFor = async (s: string) => {
    for (let i = 0; i < 200 && !text.includes(s); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(text.includes(s), `saw ${JSON.stringify(s)} in ${JSON.stringify(text)}`);
  };
  await waitFor('first\n');
  appendFileSync(path, rec(1, 'second'));
  await waitFor('second\n');
  renameSync(path, `${path}.20240501-100002`);
  writeFileSync(path, rec(2, 'after rotation'));
  await waitFor('after rotation\n');
  appendFileSync(path, rec(3, 'last'));
  running = false;
  await done;
  assert.equal(text, 'first\nsecond\nafter rotation\nlast\n');
});

test('readLogs follow stops when aborted (the client went away)', async (t) => {
  const dir = tmp(t);
  const path = join(dir, '0.log');
  writeFileSync(path, rec(0, 'x'));
  const ac = new AbortController();
  const p = read(path, { follow: true }, { running: () => true, signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  assert.equal(await p, 'x\n');
});
