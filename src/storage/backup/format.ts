// What a backup file holds, told from its first bytes: a SQLite database (Skiff's embedded store, as
// `skiff backup` writes it) or an etcd snapshot (a bbolt file, as the maintenance API and
// `etcdctl snapshot save` write it). Pure: it must not read files itself.

export type BackupKind = 'sqlite' | 'etcd';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** bbolt's meta page: 16-byte page header, then the magic 0xED0CDAED (little-endian). */
const BOLT_MAGIC = Buffer.from([0xed, 0xda, 0x0c, 0xed]);

/** The kind of backup whose file starts with `head` (at least 20 bytes), or undefined when unknown. */
export function backupKind(head: Buffer): BackupKind | undefined {
  if (head.length >= SQLITE_MAGIC.length && head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return 'sqlite';
  if (head.length >= 20 && head.subarray(16, 20).equals(BOLT_MAGIC)) return 'etcd';
  return undefined;
}
