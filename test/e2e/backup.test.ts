// Backup, restore and migration through the real CLI: `skiff backup` of a serving SQLite cluster under write
// load, `skiff restore` into a new data directory, `skiff up` on it shows exactly the objects (and
// resourceVersions) of the backup's revision; then `skiff migrate --to etcd` moves that cluster onto etcd and
// a server there still has every object.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cluster, e2eSkipReason, repoRoot } from './harness.js';
import { etcdSkipReason, startEtcd } from '../storage/etcd-harness.js';
import { apiFromKubeconfig, listConfigMaps, writeStream } from './write-load.js';

const skip = e2eSkipReason();

function skiff(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

test('backup under write load, restore, migrate to etcd', { skip, timeout: 180_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'skiff-e2e-backup-'));
  const restoredDir = join(work, 'restored');
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const c = await Cluster.start();
    cleanups.push(() => c.stop());
    await c.k(['create', 'namespace', 'bk']);
    const api = apiFromKubeconfig(c.kubeconfig, undefined, 4);
    let backup: Promise<{ code: number; stdout: string; stderr: string }> | undefined;
    const result = await writeStream({
      apis: [api],
      namespace: 'bk',
      count: 600,
      concurrency: 4,
      onAck: (n) => {
        if (n === 150) backup = skiff(['backup', '--out', join(work, 'backup.db'), '--data-dir', c.dataDir]);
      },
    });
    api.close();
    const b = await backup!;
    assert.equal(b.code, 0, b.stderr);
    const revision = Number(/revision (\d+)/.exec(b.stdout)?.[1]);
    assert.ok(revision > 0, b.stdout);
    const expected = new Map([...result.acked].filter(([, rv]) => Number(rv) <= revision));
    t.diagnostic(`backup at revision ${revision} while writing: ${expected.size} of ${result.acked.size} acknowledged creates precede it; ${b.stdout.trim()}`);
    assert.ok(expected.size >= 150 && expected.size < result.acked.size, 'the backup was taken mid-stream');
    await c.halt();

    const r = await skiff(['restore', join(work, 'backup.db'), '--data-dir', restoredDir]);
    assert.equal(r.code, 0, r.stderr);
    const again = await skiff(['restore', join(work, 'backup.db'), '--data-dir', restoredDir]);
    assert.notEqual(again.code, 0, 'restore refuses to overwrite');

    const restored = await Cluster.start({ dataDir: restoredDir });
    let stopRestored = () => restored.stop();
    cleanups.push(() => stopRestored());
    const rapi = apiFromKubeconfig(restored.kubeconfig);
    const present = await listConfigMaps(rapi, 'bk');
    rapi.close();
    const cms = new Map([...present].filter(([name]) => name.startsWith('cm-')));
    assert.deepEqual(cms, expected, 'objects and resourceVersions as at backup time');

    if (etcdSkipReason()) {
      t.diagnostic(`migration part skipped: ${etcdSkipReason()}`);
      return;
    }
    await restored.halt();
    const etcd = await startEtcd({ members: 1 });
    cleanups.push(() => etcd.stop());
    const m = await skiff(['migrate', '--to', 'etcd', '--etcd-endpoints', etcd.endpoints[0]!, '--data-dir', restoredDir]);
    assert.equal(m.code, 0, m.stderr);
    t.diagnostic(m.stdout.split('\n')[0]!);
    const onEtcd = await Cluster.start({ dataDir: restoredDir, extraArgs: ['--datastore', 'etcd', '--etcd-endpoints', etcd.endpoints[0]!] });
    stopRestored = async () => {
      await restored.stop();
      await onEtcd.stop();
    };
    // The kubeconfig written before the migration still works (same CA and admin credentials).
    const eapi = apiFromKubeconfig(onEtcd.kubeconfig);
    const migrated = await listConfigMaps(eapi, 'bk');
    eapi.close();
    assert.deepEqual([...migrated.keys()].filter((n) => n.startsWith('cm-')).sort(), [...expected.keys()].sort());
    assert.match(await onEtcd.k(['get', 'configmap', 'cm-00003', '-n', 'bk', '-o', 'jsonpath={.data.i}']), /^3$/);
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
});
