// `skiff images`: the table layout (pure), usage errors, and import → ls → rm against a real containerd
// managed the way the node in `skiff up` manages it (socket under <data-dir>/agent/runtime/containerd).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatRows, humanSize, imageRows } from '../../../src/cli/commands/images.js';
import { main } from '../../../src/cli/main.js';
import { ContainerdRuntime } from '../../../src/runtime/containerd/containerd-runtime.js';
import { buildTestImage, containerdSkipReason, type TestImage } from '../../support/images.js';
import { cliContext as ctx } from '../../support/cli-context.js';


describe('images table', () => {
  const rows: [number, string][] = [[0, '0B'], [999, '999B'], [1000, '1kB'], [2_130_256, '2.13MB'], [5_000_000_000, '5GB'], [1_234_567, '1.23MB']];
  for (const [n, s] of rows) it(`${n} bytes → ${s}`, () => assert.equal(humanSize(n), s));

  it('one row per tag, digests for untagged images, sorted', () => {
    const r = imageRows([
      { id: 'sha256:71e33587d18a68694b5db29bf34239a6', repoTags: ['skiff.local/pause:3.9'], repoDigests: [], sizeBytes: 2_130_256 },
      { id: 'sha256:aaaaaaaaaaaaaaaaaaaa', repoTags: ['127.0.0.1:5000/team/app:v2', 'app:latest'], repoDigests: [], sizeBytes: 1000 },
      { id: 'sha256:bbbbbbbbbbbbbbbbbbbb', repoTags: [], repoDigests: ['reg/x@sha256:cc'], sizeBytes: 10 },
    ]);
    assert.deepEqual(r, [
      { image: '127.0.0.1:5000/team/app', tag: 'v2', id: 'aaaaaaaaaaaaa', size: '1kB' },
      { image: 'app', tag: 'latest', id: 'aaaaaaaaaaaaa', size: '1kB' },
      { image: 'reg/x', tag: '<none>', id: 'bbbbbbbbbbbbb', size: '10B' },
      { image: 'skiff.local/pause', tag: '3.9', id: '71e33587d18a6', size: '2.13MB' },
    ]);
    assert.equal(formatRows(r.slice(3)), 'IMAGE               TAG   IMAGE ID        SIZE\nskiff.local/pause   3.9   71e33587d18a6   2.13MB\n');
  });
});

describe('skiff images usage', () => {
  const cases: [string[], RegExp][] = [
    [['images'], /needs a subcommand/],
    [['images', 'frob'], /unknown subcommand "frob"/],
    [['images', 'import'], /needs at least one FILE/],
    [['images', 'rm'], /needs at least one IMAGE/],
    [['images', 'ls', 'x'], /takes no arguments/],
  ];
  for (const [argv, re] of cases) {
    it(argv.join(' '), async () => {
      const t = ctx();
      assert.equal(await main(argv, t.c), 2);
      assert.match(t.err(), re);
    });
  }
  it('says how to start a node when no containerd runs for the data dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-images-none-'));
    try {
      const t = ctx();
      assert.equal(await main(['images', 'ls', '--data-dir', dir, '--containerd-socket', join(dir, 'nope.sock')], t.c), 1);
      assert.match(t.err(), /no containerd socket at/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const skip = containerdSkipReason();
if (skip) console.log(`# skipping skiff images against containerd: ${skip}`);

describe('skiff images against containerd', { skip, concurrency: false }, () => {
  let dir: string;
  let rt: ContainerdRuntime;
  let image: TestImage;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-images-'));
    // Where the node inside `skiff up --data-dir <dir>` keeps its containerd.
    rt = await ContainerdRuntime.start({ dir: join(dir, 'agent', 'runtime', 'containerd'), bridge: `sk7i${randomBytes(3).toString('hex')}` });
    image = await buildTestImage(join(dir, 'build'), 'skiff.test/cli-import:7');
  });

  after(async () => {
    await rt?.cleanupAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports an archive, lists it, removes it', async () => {
    const imp = ctx();
    assert.equal(await main(['images', 'import', image.archive, '--data-dir', dir], imp.c), 0, imp.err());
    assert.match(imp.out(), /^imported skiff\.test\/cli-import:7$/m);
    assert.ok(await rt.imageStatus('skiff.test/cli-import:7'));

    const ls = ctx();
    assert.equal(await main(['images', 'ls', '--data-dir', dir], ls.c), 0, ls.err());
    assert.match(ls.out(), /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/m);
    assert.match(ls.out(), /^skiff\.test\/cli-import\s+7\s+[0-9a-f]{13}\s+\d[\d.]*[kM]?B$/m);
    assert.match(ls.out(), /^skiff\.local\/pause\s+3\.9\s/m);

    const rm = ctx();
    assert.equal(await main(['images', 'rm', 'skiff.test/cli-import:7', 'skiff.test/absent:1', '--data-dir', dir], rm.c), 1);
    assert.match(rm.out(), /^Deleted: skiff\.test\/cli-import:7$/m);
    assert.match(rm.err(), /no such image skiff\.test\/absent:1/);
    assert.equal(await rt.imageStatus('skiff.test/cli-import:7'), undefined);
  });

  it('refuses a file that is not an image archive', async () => {
    const t = ctx();
    assert.equal(await main(['images', 'import', '/etc/hostname', '--data-dir', dir], t.c), 1);
    assert.match(t.err(), /cannot import \/etc\/hostname/);
  });
});
