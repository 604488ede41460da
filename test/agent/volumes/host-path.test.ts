import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareHostPath } from '../../../src/agent/volumes/host-path.js';

test('hostPath types: create, check and upstream messages', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-hostpath-'));
  const sock = join(dir, 's.sock');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(sock, r));
  try {
    mkdirSync(join(dir, 'existing-dir'));
    writeFileSync(join(dir, 'existing-file'), 'x');
    const cases: [string, string, string | undefined][] = [
      // path (relative to dir), type, error (undefined = ok)
      ['anything-missing', '', undefined],
      ['new/deep/dir', 'DirectoryOrCreate', undefined],
      ['existing-dir', 'DirectoryOrCreate', undefined],
      ['existing-file', 'DirectoryOrCreate', 'is not a directory'],
      ['existing-dir', 'Directory', undefined],
      ['missing-dir', 'Directory', 'is not a directory'],
      ['existing-file', 'Directory', 'is not a directory'],
      ['new-file', 'FileOrCreate', undefined],
      ['no-parent/new-file', 'FileOrCreate', 'is not a file'],
      ['existing-file', 'File', undefined],
      ['existing-dir', 'File', 'is not a file'],
      ['s.sock', 'Socket', undefined],
      ['existing-file', 'Socket', 'is not a socket file'],
      ['existing-file', 'CharDevice', 'is not a character device'],
      ['existing-file', 'BlockDevice', 'is not a block device'],
    ];
    for (const [rel, type, err] of cases) {
      const path = join(dir, rel);
      if (err) assert.throws(() => prepareHostPath(path, type), { message: new RegExp(`^hostPath type check failed: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${err}`) }, `${rel} ${type}`);
      else assert.doesNotThrow(() => prepareHostPath(path, type), `${rel} ${type}`);
    }
    assert.ok(statSync(join(dir, 'new/deep/dir')).isDirectory());
    assert.equal(statSync(join(dir, 'new-file')).mode & 0o777, 0o644);
    assert.doesNotThrow(() => prepareHostPath('/dev/null', 'CharDevice'));
    assert.throws(() => prepareHostPath(dir, 'Weird'), /Weird is an invalid volume type/);
  } finally {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
