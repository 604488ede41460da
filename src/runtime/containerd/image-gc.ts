// Which images to delete when the image filesystem fills up: the kubelet's image garbage collection policy
// (pkg/kubelet/images/image_gc_manager.go). Above highThresholdPercent of the filesystem in use, free enough
// to get back to lowThresholdPercent, deleting images no container uses, least recently used first, never
// pinned ones (the sandbox image) and never ones younger than minAge. Pure: the caller measures and deletes.

export interface ImageGcPolicy {
  /** Default 85 (kubelet --image-gc-high-threshold). */
  highThresholdPercent: number;
  /** Default 80 (kubelet --image-gc-low-threshold). */
  lowThresholdPercent: number;
  /** Default 2 minutes (kubelet --minimum-image-ttl-duration). */
  minAgeMs: number;
}

export const defaultImageGcPolicy: ImageGcPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 2 * 60_000 };

export interface GcImage {
  id: string;
  sizeBytes: number;
  /** When this image was first seen by the node (ms). */
  firstSeenMs: number;
  /** When a container last used it (ms); 0 = never since the node started. */
  lastUsedMs: number;
  pinned: boolean;
}

export interface ImageFs {
  capacityBytes: number;
  availableBytes: number;
}

export interface ImageGcPlan {
  /** Bytes the policy wants freed (0 = under the high threshold). */
  toFreeBytes: number;
  /** Image IDs to remove, in order. */
  remove: string[];
  /** Bytes those removals free. */
  freedBytes: number;
}

export function planImageGc(fs: ImageFs, images: GcImage[], inUse: ReadonlySet<string>, nowMs: number, policy: ImageGcPolicy = defaultImageGcPolicy): ImageGcPlan {
  if (fs.capacityBytes <= 0) return { toFreeBytes: 0, remove: [], freedBytes: 0 };
  const usagePercent = (100 * (fs.capacityBytes - fs.availableBytes)) / fs.capacityBytes;
  if (usagePercent < policy.highThresholdPercent) return { toFreeBytes: 0, remove: [], freedBytes: 0 };
  const toFreeBytes = Math.ceil(fs.capacityBytes * (usagePercent - policy.lowThresholdPercent) / 100);
  const candidates = images
    .filter((i) => !i.pinned && !inUse.has(i.id) && nowMs - i.firstSeenMs >= policy.minAgeMs)
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.firstSeenMs - b.firstSeenMs);
  const remove: string[] = [];
  let freedBytes = 0;
  for (const img of candidates) {
    if (freedBytes >= toFreeBytes) break;
    remove.push(img.id);
    freedBytes += img.sizeBytes;
  }
  return { toFreeBytes, remove, freedBytes };
}
