// tmpfs mounts for memory-backed volumes (emptyDir medium Memory; Secret and projected volumes, which the
// kubelet also keeps in memory), and finding and removing them again. Needs root; callers check
// `canMount()` and fall back to plain directories, saying so. Uses the host's mount/umount binaries.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mountPointsUnder, readMountinfo } from '../../util/mountinfo.js';

const run = promisify(execFile);

export function canMount(): boolean {
  return process.getuid?.() === 0;
}

/** Mount points (decoded from /proc/self/mountinfo) at or below `dir`, deepest first. */
export function mountsUnder(dir: string, mountinfo = readMountinfo()): string[] {
  return mountPointsUnder(mountinfo, dir);
}

export function isMountPoint(dir: string): boolean {
  return mountsUnder(dir).includes(dir);
}

/** Mounts a tmpfs on `dir` (size in bytes when given); a no-op when one is mounted there already. */
export async function mountTmpfs(dir: string, sizeBytes?: number): Promise<void> {
  if (isMountPoint(dir)) return;
  const opts = ['mode=0777', ...(sizeBytes ? [`size=${sizeBytes}`] : [])].join(',');
  await run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
}

/** Unmounts everything at or below `dir` (deepest first). */
export async function unmountAll(dir: string): Promise<void> {
  for (const mp of mountsUnder(dir)) await run('umount', [mp]);
}
