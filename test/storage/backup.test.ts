// Backups, restores and migration at the storage level: backup file kinds, scheduled-backup names and
// retention, the SQLite online copy, an etcd snapshot taken under write load and restored into a fresh member
// (same keys, values and revisions as at snapshot time), SQLite → etcd migration, and the coordinated etcd
// compaction step.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupKind } from '../../src/storage/backup/format.js';
import { backupsToPrune, scheduledBackupName } from '../../src/storage/backup/retention.js';
import { backupSqlite } from '../../src/storage/backup/sqlite-backup.js';
import { saveEtcdSnapshot } from '../../src/storage/backup/etcd-snapshot.js';
import { restoreEtcd, restoreSqlite, RestoreRefused } from '../../src/storage/backup/restore.js';
import { copyStore, MigrationRefused } from '../../src/storage/backup/migrate.js';
import { startBackupScheduler } from '../../src/storage/backup/scheduler.js';
import { compactionTick, type CompactionTarget } from '../../src/storage/etcd/compactor.js';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { openEtcdStore } from '../../src/storage/etcd/etcd-store.js';
import type { KeyValue, Store } from '../../src/storage/store.js';
import { etcdSkipReason, startEtcd, type EtcdCluster } from './etcd-harness.js';

const etcdSkip = etcdSkipReason();

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'skiff-backup-test-'));
}

const summary = (items: KeyValue[]) => items.map((kv) => `${kv.key}@${kv.modRevision}/${kv.createRevision}=${kv.value}`);

describe('backup file kinds', () => {
  const page = (bytes: number[], at = 16) => {
    const b = Buffer.alloc(64);
    Buffer.from(bytes).copy(b, at);
    return b;
  };
  const cases: { name: string; head: Buffer; kind: string | undefined }[] = [
    { name: 'SQLite database', head: Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(48)]), kind: 'sqlite' },
    { name: 'bbolt (etcd snapshot)', head: page([0xed, 0xda, 0x0c, 0xed]), kind: 'etcd' },
    { name: 'anything else', head: Buffer.from('hello world, this is not a backup file at all'), kind: undefined },
    { name: 'too short', head: Buffer.from('SQLite'), kind: undefined },
  ];
  for (const c of cases) it(c.name, () => assert.equal(backupKind(c.head), c.kind));
});

describe('scheduled backup names and retention', () => {
  it('names sort by time', () => {
    assert.equal(scheduledBackupName('sqlite', new Date('2025-01-02T03:04:05.006Z')), 'skiff-sqlite-20250102T030405006Z.db');
  });
  const names = [
    'skiff-etcd-20250101T000000000Z.db',
    'skiff-etcd-20250103T000000000Z.db',
    'notes.txt',
    'skiff-etcd-20250102T000000000Z.db',
    'skiff-etcd-20250104T000000000Z.db.tmp-1',
  ];
  const cases: { keep: number; prune: string[] }[] = [
    { keep: 5, prune: [] },
    { keep: 3, prune: [] },
    { keep: 2, prune: ['skiff-etcd-20250101T000000000Z.db'] },
    { keep: 1, prune: ['skiff-etcd-20250101T000000000Z.db', 'skiff-etcd-20250102T000000000Z.db'] },
  ];
  for (const c of cases) it(`keep ${c.keep}`, () => assert.deepEqual(backupsToPrune(names, c.keep), c.prune));

  it('the scheduler writes backups and keeps the newest N', async () => {
    const dir = tmp();
    try {
      let clock = Date.parse('2025-01-01T00:00:00Z');
      const s = startBackupScheduler({
        kind: 'sqlite',
        dir,
        intervalMs: 3_600_000,
        retention: 2,
        now: () => new Date((clock += 1000)),
        take: async (file) => {
          const { writeFileSync } = await import('node:fs');
          writeFileSync(file, 'x');
          return { revision: 1 };
        },
        log: () => {},
      });
      for (let i = 0; i < 4; i++) await s.runOnce();
      await s.stop();
      const { readdirSync } = await import('node:fs');
      assert.deepEqual(readdirSync(dir).sort(), ['skiff-sqlite-20250101T000003000Z.db', 'skiff-sqlite-20250101T000004000Z.db']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite backup and restore', () => {
  it('the backup holds the state at its revision; restore reproduces keys, values and revisions', async () => {
    const dir = tmp();
    try {
      const path = join(dir, 'src.db');
      const store = await openSqliteStore(path);
      for (let i = 0; i < 200; i++) await store.create(`/registry/configmaps/ns/c${i}`, `{"i":${i}}`);
      const kv = await store.get('/registry/configmaps/ns/c7');
      await store.update('/registry/configmaps/ns/c7', '{"i":"seven"}', kv!.modRevision);
      await store.delete('/registry/configmaps/ns/c8');
      const expected = await store.list('/registry/');
      const backup = await backupSqlite(path, join(dir, 'backup.db'));
      assert.equal(backup.revision, expected.revision);
      // Writes after the backup are not in it.
      for (let i = 200; i < 250; i++) await store.create(`/registry/configmaps/ns/c${i}`, `{"i":${i}}`);
      await store.close();

      assert.equal(backupKind(readFileSync(join(dir, 'backup.db')).subarray(0, 64)), 'sqlite');
      const restored = await restoreSqlite(join(dir, 'backup.db'), join(dir, 'new'));
      assert.equal(restored.revision, expected.revision);
      await assert.rejects(restoreSqlite(join(dir, 'backup.db'), join(dir, 'new')), RestoreRefused);
      const again = await openSqliteStore(restored.path);
      try {
        const got = await again.list('/registry/');
        assert.deepEqual(summary(got.items), summary(expected.items));
        assert.equal(await again.currentRevision(), expected.revision);
        // The restored store carries on from its revision.
        const next = await again.create('/registry/configmaps/ns/after', '{}');
        assert.equal(next.modRevision, expected.revision + 1);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('coordinated etcd compaction', () => {
  function fakeEtcd() {
    const s = { version: 0, revision: 100, compacted: [] as number[] };
    const target: CompactionTarget = {
      async claimCompaction(version, revision) {
        s.revision += 10;
        if (version !== s.version) return { won: false, version: s.version, currentRevision: s.revision };
        s.version++;
        void revision;
        return { won: true, version: s.version, currentRevision: s.revision };
      },
      async compact(revision) {
        s.compacted.push(revision);
      },
    };
    return { s, target };
  }

  it('two servers ticking compact once per round, to the revision seen a round earlier', async () => {
    const { s, target } = fakeEtcd();
    let a = { version: 0, revision: 0 };
    let b = { version: 0, revision: 0 };
    a = await compactionTick(target, a); // wins, nothing to compact yet (first tick)
    b = await compactionTick(target, b); // loses, learns the version
    assert.deepEqual(s.compacted, []);
    a = await compactionTick(target, a); // wins again: compacts to what it saw a round ago
    b = await compactionTick(target, b); // loses again (a bumped the version)
    assert.deepEqual(s.compacted, [110]);
    b = await compactionTick(target, b); // a skipped a round: b wins and compacts
    assert.deepEqual(s.compacted, [110, 140]);
    void a;
  });
});

describe('etcd snapshot, restore and migration', { skip: etcdSkip }, () => {
  let etcd: EtcdCluster;
  let store: Store;
  const dirs: string[] = [];
  before(async () => {
    etcd = await startEtcd({ members: 1 });
    store = await openEtcdStore({ endpoints: etcd.endpoints });
  });
  after(async () => {
    await store?.close();
    await etcd?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a snapshot under write load restores to exactly the state at its revision', async () => {
    for (let i = 0; i < 100; i++) await store.create(`/registry/configmaps/a/c${i}`, `{"i":${i}}`);
    let stop = false;
    let written = 0;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        await store.create(`/registry/configmaps/load/c${i}`, `{"i":${i}}`);
        written++;
      }
    })();
    while (written < 20) await new Promise((r) => setTimeout(r, 5));
    const dir = tmp();
    dirs.push(dir);
    const snap = await saveEtcdSnapshot({ endpoints: etcd.endpoints }, join(dir, 'snap.db'));
    const writtenAtSnapshot = written;
    while (written < writtenAtSnapshot + 20) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await load;
    assert.ok(snap.revision !== undefined && snap.revision > 100, `snapshot revision ${snap.revision}`);
    assert.equal(backupKind(readFileSync(join(dir, 'snap.db')).subarray(0, 64)), 'etcd');
    const expected = await store.list('/registry/', { revision: snap.revision });
    const later = await store.list('/registry/');
    assert.ok(later.items.length > expected.items.length, 'writes continued after the snapshot');

    const root = join(dir, 'restored');
    mkdirSync(root);
    // The harness picks new ports; a single member does not need its recorded peer URL to be reachable.
    const r = await restoreEtcd(join(dir, 'snap.db'), join(root, 'm0'), {
      name: 'm0',
      initialCluster: 'm0=http://127.0.0.1:2380',
      initialAdvertisePeerUrls: 'http://127.0.0.1:2380',
    });
    assert.equal(r.revision, snap.revision);
    await assert.rejects(restoreEtcd(join(dir, 'snap.db'), join(root, 'm0')), RestoreRefused);
    const restoredEtcd = await startEtcd({ members: 1, dataDir: root });
    try {
      const restored = await openEtcdStore({ endpoints: restoredEtcd.endpoints });
      try {
        const got = await restored.list('/registry/');
        assert.deepEqual(summary(got.items), summary(expected.items));
        assert.equal(await restored.currentRevision(), snap.revision);
      } finally {
        await restored.close();
      }
    } finally {
      await restoredEtcd.stop();
    }
  });

  it('migration from SQLite copies every key into an empty etcd and refuses a non-empty one', async () => {
    const dir = tmp();
    dirs.push(dir);
    const sqlite = await openSqliteStore(join(dir, 'state.db'));
    const target = await openEtcdStore({ endpoints: etcd.endpoints, prefix: '/migrated' });
    try {
      for (let i = 0; i < 300; i++) await sqlite.create(`/registry/secrets/ns${i % 3}/s${i}`, `{"i":${i}}`);
      await sqlite.create('skiff/bootstrap/pki', '{"ca":"x"}');
      const res = await copyStore(sqlite, target);
      assert.equal(res.copied, 301);
      const from = (await sqlite.list('')).items.map((kv) => `${kv.key}=${kv.value}`);
      const to = (await target.list('')).items.map((kv) => `${kv.key}=${kv.value}`);
      assert.deepEqual(to, from);
      await assert.rejects(copyStore(sqlite, target), MigrationRefused);
    } finally {
      await sqlite.close();
      await target.close();
    }
  });
});
