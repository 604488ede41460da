import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalidPathReason, timestampDirPrefix, writePayload, type Payload } from '../../../src/agent/volumes/atomic-writer.js';

const p = (entries: Record<string, string | [string, number]>): Payload =>
  new Map(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? { data: Buffer.from(v), mode: 0o644 } : { data: Buffer.from(v[0]), mode: v[1] }]));

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-atomic-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('payload path validation as upstream', () => {
  const cases: [string, string | undefined][] = [
    ['a', undefined],
    ['a/b/c', undefined],
    ['a..b', undefined],
    ['', 'invalid path: must not be empty'],
    ['/abs', 'invalid path: must be relative path: /abs'],
    ['a/../b', "invalid path: must not contain '..': a/../b"],
    ['..', "invalid path: must not contain '..': .."],
    ['..data', "invalid path: must not start with '..': ..data"],
  ];
  for (const [path, want] of cases) assert.equal(invalidPathReason(path), want, path);
});

test('timestamped directory prefix uses Go layout in UTC', () => {
  assert.equal(timestampDirPrefix(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), '..2024_01_02_03_04_05.');
});

test('first write: ..data symlink to a timestamped dir, user-visible symlinks through ..data, modes kept', () => {
  withDir((dir) => {
    assert.equal(writePayload(dir, p({ 'app.conf': 'x=1', 'sub/nested.txt': ['n', 0o600], run: ['#!/bin/sh', 0o755] })), true);
    const ts = readlinkSync(join(dir, '..data'));
    assert.match(ts, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\..+$/);
    assert.equal(readlinkSync(join(dir, 'app.conf')), '..data/app.conf');
    assert.equal(readlinkSync(join(dir, 'sub')), '..data/sub');
    assert.equal(readFileSync(join(dir, 'sub/nested.txt'), 'utf8'), 'n');
    assert.equal(statSync(join(dir, 'sub/nested.txt')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'run')).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(dir).sort(), ['..data', ts, 'app.conf', 'run', 'sub'].sort());
  });
});

test('an unchanged payload writes nothing; a change swaps ..data and removes the old dir and dropped keys', () => {
  withDir((dir) => {
    writePayload(dir, p({ a: '1', b: '2' }));
    const first = readlinkSync(join(dir, '..data'));
    assert.equal(writePayload(dir, p({ a: '1', b: '2' })), false);
    assert.equal(readlinkSync(join(dir, '..data')), first);
    // Mode alone changing counts as a change.
    assert.equal(writePayload(dir, p({ a: ['1', 0o600], b: '2' })), true);
    assert.equal(writePayload(dir, p({ a: '1', c: '3' })), true);
    const second = readlinkSync(join(dir, '..data'));
    assert.notEqual(second, first);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), '1');
    assert.equal(readFileSync(join(dir, 'c'), 'utf8'), '3');
    assert.throws(() => lstatSync(join(dir, 'b')), /ENOENT/);
    const hidden = readdirSync(dir).filter((n) => n.startsWith('..') && n !== '..data');
    assert.deepEqual(hidden, [second], 'only the current timestamped dir remains');
  });
});

test('an empty payload leaves an empty volume; invalid paths are refused before anything is written', () => {
  withDir((dir) => {
    writePayload(dir, p({ a: '1' }));
    writePayload(dir, new Map());
    assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith('..')), []);
    assert.throws(() => writePayload(dir, p({ '../escape': 'x' })), /must not contain '\.\.'/);
  });
});
