// Disk usage of a directory tree (bytes of allocated blocks, as `du` counts), for emptyDir sizeLimit checks.
// Does not follow symlinks or cross into other mounts' contents beyond what lstat reports.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      try {
        const st = await lstat(p);
        total += st.blocks * 512;
        if (e.isDirectory()) stack.push(p);
      } catch {
        // vanished while walking
      }
    }
  }
  return total;
}
