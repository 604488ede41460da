// Periodic compaction of the store's history, on upstream kube-apiserver's scheme: every interval, compact
// to the revision that was current at the previous tick, so watchers and paginated lists always have about
// one interval of history to resume from. It only schedules; what compaction means is the store's business.
import type { Store } from './store.js';

export interface CompactorOptions {
  /** Time between ticks (default 5 minutes, as upstream's --etcd-compaction-interval). */
  intervalMs?: number;
  /** Told about failed ticks (the next tick tries again); default: ignored. */
  onError?(err: unknown): void;
}

export interface Compactor {
  /** No tick starts after this returns (a tick already running finishes). */
  stop(): void;
}

export function startCompactor(store: Store, opts: CompactorOptions = {}): Compactor {
  const intervalMs = opts.intervalMs ?? 5 * 60_000;
  let recorded = 0; // the revision seen at the previous tick (0: none yet)
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), intervalMs);
    timer.unref(); // compaction alone must not keep the process alive
  };

  const tick = async (): Promise<void> => {
    try {
      const current = await store.currentRevision();
      if (recorded > 0 && recorded > (await store.compactRevision())) await store.compact(recorded);
      recorded = current;
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
