// What a containerd and its pods can leave on the host after the daemon stops, and its removal: shim and
// container processes (found through the pid files in the daemon's own state directory, killed by PID),
// mounts under the daemon's directory, network namespaces of its sandboxes, pod cgroups, and the pods'
// bridge. Only things recorded as this daemon's are touched; nothing is found by name pattern.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pidAlive, waitForExit, type ContainerdPaths } from './daemon.js';
import { mountPointsUnder, parseMountinfo } from '../../util/mountinfo.js';

const run = promisify(execFile);

async function quiet(bin: string, args: string[]): Promise<boolean> {
  try {
    await run(bin, args, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}

export interface TaskProcesses {
  /** The container's (or sandbox's) init process. */
  init: number;
  /** Its containerd-shim: the init's parent, when that is a shim serving this daemon's socket. */
  shim?: number;
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * The live tasks under <state>/io.containerd.runtime.v2.task/<ns>/<id>/ (init.pid) and their shims. runc's v2
 * shim writes no pid file of its own: it is the init's parent, recognised by its command line naming this
 * daemon's socket.
 */
export function taskProcesses(paths: ContainerdPaths): TaskProcesses[] {
  const out: TaskProcesses[] = [];
  for (const task of subdirs(join(paths.state, 'io.containerd.runtime.v2.task')).flatMap(subdirs)) {
    const init = readPid(join(task, 'init.pid'));
    if (init === undefined || !pidAlive(init)) continue;
    const ppid = parentPid(init);
    let shim: number | undefined;
    if (ppid && ppid > 1) {
      try {
        const cmdline = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0');
        if (cmdline.some((a) => a.includes('containerd-shim')) && cmdline.includes(paths.socket)) shim = ppid;
      } catch {
        /* gone */
      }
    }
    out.push({ init, ...(shim ? { shim } : {}) });
  }
  return out;
}

/** Kills leftover container processes, then their shims, by PID. */
export async function killShims(paths: ContainerdPaths): Promise<number> {
  const tasks = taskProcesses(paths);
  let killed = 0;
  for (const pids of [tasks.map((t) => t.init), [...new Set(tasks.flatMap((t) => (t.shim ? [t.shim] : [])))]]) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        /* gone */
      }
    }
    for (const pid of pids) await waitForExit(pid, 5000);
  }
  return killed;
}

/** Mount points (from /proc/self/mountinfo) at or below `dir`, deepest first, each once. */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  return [...new Set(mountPointsUnder(mountinfo, dir))];
}

export async function unmountUnder(dir: string): Promise<number> {
  let n = 0;
  for (const mp of mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), dir)) {
    if (await quiet('umount', ['-l', mp])) n++;
  }
  return n;
}

/** Removes network namespaces by path (/var/run/netns/<name> is a bind mount of nsfs). */
export async function removeNetns(netnsPaths: string[]): Promise<number> {
  let n = 0;
  for (const p of netnsPaths) {
    if (!existsSync(p)) continue;
    const name = p.split('/').pop()!;
    if (p.startsWith('/var/run/netns/') || p.startsWith('/run/netns/')) {
      if (await quiet('ip', ['netns', 'delete', name])) n++;
    } else {
      await quiet('umount', ['-l', p]);
      n++;
    }
  }
  return n;
}

/** Every cgroup hierarchy's mount point (v1 controllers, the v2 unified one). */
export function cgroupRoots(mountinfo: string): string[] {
  return parseMountinfo(mountinfo)
    .filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2')
    .map((m) => m.mountPoint);
}

function rmdirTree(dir: string): void {
  for (const child of subdirs(dir)) rmdirTree(child);
  try {
    rmdirSync(dir);
  } catch {
    /* busy (processes left) or gone */
  }
}

/**
 * Removes the cgroup `rel` (e.g. "skiff-1/kubepods/besteffort/pod<uid>") and everything below it in every
 * hierarchy; with `upTo`, also its now-empty ancestors up to that many levels.
 */
export function removeCgroup(rel: string, upTo = 0): void {
  const clean = rel.replace(/^\/+|\/+$/g, '');
  if (!clean) return;
  const roots = cgroupRoots(readFileSync('/proc/self/mountinfo', 'utf8'));
  for (const root of roots) {
    const dir = join(root, clean);
    if (!existsSync(dir)) continue;
    rmdirTree(dir);
    let parts = clean.split('/');
    for (let i = 0; i < upTo && parts.length > 1; i++) {
      parts = parts.slice(0, -1);
      try {
        rmdirSync(join(root, ...parts));
      } catch {
        break;
      }
    }
  }
}

export async function deleteLink(name: string): Promise<boolean> {
  try {
    statSync(`/sys/class/net/${name}`);
  } catch {
    return false;
  }
  return quiet('ip', ['link', 'delete', name]);
}
