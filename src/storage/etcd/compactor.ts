// Periodic compaction when several API servers share one etcd cluster, on upstream kube-apiserver's scheme
// (storage/etcd3/compact.go): each server ticks every interval and tries to bump the shared compact_rev_key
// with a version-guarded transaction; only the server whose guard holds compacts, to the revision it saw at
// its previous tick. So the cluster compacts about once per interval however many servers run, and watchers
// and paginated lists keep about one interval of history. It only schedules; EtcdStore does the etcd calls.
import type { Compactor, CompactorOptions } from '../compactor.js';

/** What the compactor needs from the store (EtcdStore has it). */
export interface CompactionTarget {
  claimCompaction(version: number, revision: number): Promise<{ won: boolean; version: number; currentRevision: number }>;
  compact(revision: number): Promise<void>;
}

export function isCompactionTarget(s: object): s is CompactionTarget {
  return typeof (s as Partial<CompactionTarget>).claimCompaction === 'function';
}

/** One tick (exported for tests): returns the state for the next tick. */
export async function compactionTick(
  store: CompactionTarget,
  state: { version: number; revision: number },
): Promise<{ version: number; revision: number; compacted?: number }> {
  const claim = await store.claimCompaction(state.version, state.revision);
  if (!claim.won) return { version: claim.version, revision: claim.currentRevision };
  if (state.revision > 0) {
    await store.compact(state.revision);
    return { version: claim.version, revision: claim.currentRevision, compacted: state.revision };
  }
  return { version: claim.version, revision: claim.currentRevision };
}

export function startEtcdCompactor(store: CompactionTarget, opts: CompactorOptions = {}): Compactor {
  const intervalMs = opts.intervalMs ?? 5 * 60_000;
  let state = { version: 0, revision: 0 };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), intervalMs);
    timer.unref();
  };
  const tick = async (): Promise<void> => {
    try {
      const next = await compactionTick(store, state);
      state = { version: next.version, revision: next.revision };
    } catch (err) {
      opts.onError?.(err);
    }
    schedule();
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
