// Copies every key of one store into another (SQLite → etcd for `skiff migrate`), so a single-machine
// cluster can move to an HA datastore. Values are copied verbatim from one consistent list; revisions (and so
// resourceVersions) are the target's new ones, as after any upstream etcd migration. It refuses a target
// that already holds cluster state and must not run while a server writes to the source.
import type { Store } from '../store.js';

export interface MigrateOptions {
  /** Only keys under this prefix (default: every key). */
  prefix?: string;
  /** Parallel writes to the target (default 32). */
  concurrency?: number;
  /** Allow a target that already has keys (they are kept; a key present in both is an error). */
  allowNonEmptyTarget?: boolean;
  onProgress?(copied: number, total: number): void;
}

export class MigrationRefused extends Error {
  override name = 'MigrationRefused';
}

export async function copyStore(from: Store, to: Store, opts: MigrateOptions = {}): Promise<{ copied: number; sourceRevision: number }> {
  const prefix = opts.prefix ?? '';
  if (!opts.allowNonEmptyTarget) {
    const existing = await to.count(prefix);
    if (existing > 0) throw new MigrationRefused(`the target datastore already holds ${existing} keys; migrate into an empty one`);
  }
  const { items, revision } = await from.list(prefix);
  // Creation order by original revision, so objects keep their relative age in the new store.
  const ordered = [...items].sort((a, b) => a.modRevision - b.modRevision);
  let next = 0;
  let copied = 0;
  const worker = async () => {
    while (next < ordered.length) {
      const kv = ordered[next++]!;
      await to.create(kv.key, kv.value);
      copied++;
      if (copied % 500 === 0) opts.onProgress?.(copied, ordered.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 32) }, worker));
  opts.onProgress?.(copied, ordered.length);
  return { copied, sourceRevision: revision };
}
