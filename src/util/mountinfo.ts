// /proc/self/mountinfo as data (proc(5)): one entry per mount, in the kernel's order (a mount stacked on another
// at the same point comes after it), its mount point and root decoded (mountinfo writes a space as \040). Pure,
// but for readMountinfo.
import { readFileSync } from 'node:fs';

export interface MountEntry {
  /** Where it is mounted (field 5). */
  mountPoint: string;
  /** The mounted part of its filesystem (field 4; for nsfs the namespace, e.g. "net:[4026532177]"). */
  root: string;
  /** The filesystem type (the first field after the "-" separator). */
  fsType: string;
  /** Shared propagation (an optional "shared:N" field). */
  shared: boolean;
}

const decode = (field: string): string => field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const sep = f.indexOf('-', 6);
    const optional = f.slice(6, sep < 0 ? undefined : sep);
    out.push({ mountPoint: decode(f[4]!), root: decode(f[3]!), fsType: sep < 0 ? '' : (f[sep + 1] ?? ''), shared: optional.some((o) => o.startsWith('shared:')) });
  }
  return out;
}

/** Mount points at or below `dir`, deepest first (a point with stacked mounts once per mount). */
export function mountPointsUnder(mountinfo: string, dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return parseMountinfo(mountinfo)
    .map((m) => m.mountPoint)
    .filter((mp) => mp === dir || mp.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** This process's mount table; '' when it cannot be read. */
export function readMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}
