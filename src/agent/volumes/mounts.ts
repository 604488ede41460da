// tmpfs mounts for memory-backed volumes (emptyDir medium Memory; Secret and projected volumes, which the
// kubelet also keeps in memory), and finding and removing them again. Needs root; callers check
// `canMount()` and fall back to plain directories, saying so. Uses the host's mount/umount binaries.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function canMount(): boolean {
  return process.getuid?.() === 0;
}

/** Mount points (decoded from /proc/self/mountinfo) at or below `dir`, deepest first. */
export function mountsUnder(dir: string, mountinfo = readMountinfo()): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const mp = field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (mp === dir || mp.startsWith(prefix)) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

function readMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
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
