// Names and retention of scheduled backups: files are named skiff-<datastore>-<UTC time>.db so they sort by
// age, and only the newest N are kept. Pure: no file system access here.

const NAME = /^skiff-(sqlite|etcd)-(\d{8}T\d{6}(?:\d{3})?Z)\.db$/;

/** skiff-sqlite-20250101T120000123Z.db */
export function scheduledBackupName(kind: 'sqlite' | 'etcd', at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `skiff-${kind}-${stamp}.db`;
}

/** The scheduled backups among `names` to delete so that `keep` newest remain; other files are never touched. */
export function backupsToPrune(names: readonly string[], keep: number): string[] {
  const ours = names
    .map((n) => ({ n, m: NAME.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => (a.m[2]! < b.m[2]! ? -1 : a.m[2]! > b.m[2]! ? 1 : a.n < b.n ? -1 : 1));
  return ours.slice(0, Math.max(0, ours.length - Math.max(keep, 0))).map((x) => x.n);
}
