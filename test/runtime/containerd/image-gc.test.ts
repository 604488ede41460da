// The kubelet's image GC policy: thresholds, LRU order, in-use/pinned/young images kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planImageGc, type GcImage } from '../../../src/runtime/containerd/image-gc.js';

const GB = 1e9;
const now = 10 * 60_000;
const img = (id: string, sizeGb: number, lastUsedMs: number, extra: Partial<GcImage> = {}): GcImage => ({ id, sizeBytes: sizeGb * GB, firstSeenMs: 0, lastUsedMs, pinned: false, ...extra });

describe('image GC plan', () => {
  const images = [img('a', 2, 300), img('b', 3, 100), img('c', 1, 200), img('pause', 1, 0, { pinned: true }), img('used', 5, 0), img('young', 4, 0, { firstSeenMs: now - 1000 })];
  const rows: [string, number, string[], number][] = [
    // capacity 100 GB; used = 100 - available
    ['under the high threshold: nothing', 84, [], 0],
    ['at 90 %: free 10 GB to reach 80 %, LRU first, skipping pinned, in-use and young images', 90, ['b', 'c', 'a'], 10 * GB],
    ['at 86 %: 6 GB, stops once enough is freed', 86, ['b', 'c', 'a'], 6 * GB],
    ['at 84.9 %: below', 84.9, [], 0],
    ['at 85 %: 5 GB', 85, ['b', 'c', 'a'], 5 * GB],
    ['at 83 % never triggers', 83, [], 0],
  ];
  for (const [name, usedPercent, remove, toFree] of rows) {
    it(name, () => {
      const plan = planImageGc({ capacityBytes: 100 * GB, availableBytes: (100 - usedPercent) * GB }, images, new Set(['used']), now);
      assert.deepEqual(plan.remove, remove);
      assert.equal(plan.toFreeBytes, Math.ceil(toFree));
    });
  }
  it('stops as soon as the freed bytes reach the target', () => {
    const plan = planImageGc({ capacityBytes: 100 * GB, availableBytes: 13 * GB }, [img('x', 3, 1), img('y', 3, 2), img('z', 3, 3)], new Set(), now);
    assert.equal(plan.toFreeBytes, 7 * GB);
    assert.deepEqual(plan.remove, ['x', 'y', 'z']);
    const small = planImageGc({ capacityBytes: 100 * GB, availableBytes: 14 * GB }, [img('x', 3, 1), img('y', 3, 2), img('z', 3, 3)], new Set(), now);
    assert.deepEqual(small.remove, ['x', 'y']);
  });
  it('an unknown capacity plans nothing', () => assert.deepEqual(planImageGc({ capacityBytes: 0, availableBytes: 0 }, images, new Set(), now).remove, []));
});
