// What the process runtime needs to know about the node's file system before it starts a command: where a
// command is found (and runc's error when it is not), and which mount points it must create for a container
// (and so remove again). Also the user database lookups the container's credentials and HOME come from.
import { accessSync, constants, lstatSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where a containerPath does not exist on the host, the runtime creates it (a directory, or an empty file for
 * a file mount) so the bind mount has a target, and returns what it created, shallowest first, so removing the
 * container removes exactly those again (only when still empty). Mount points are visible on the host while
 * the container runs, empty: the content is only mounted inside the container's mount namespace.
 */
export function ensureMountPoint(target: string, directory: boolean): string[] {
  const created: string[] = [];
  const missing: string[] = [];
  // lstat: a symlink (even a dangling one, like a resolv.conf pointing at a stopped resolver) is never replaced.
  const present = (q: string) => {
    try {
      lstatSync(q);
      return true;
    } catch {
      return false;
    }
  };
  let p = target;
  while (!present(p)) {
    missing.unshift(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  missing.forEach((m, i) => {
    if (i < missing.length - 1 || directory) mkdirSync(m);
    else writeFileSync(m, '', { flag: 'wx' });
    created.push(m);
  });
  return created;
}

/** The path with every symlink resolved, or the path itself when it cannot be resolved (e.g. dangling). */
export function resolvedPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The runc-style error when the command cannot be found, or undefined. Paths inside a mounted volume are not
 * checked (they exist only in the container's mount namespace).
 */
export function findExecutable(cmd: string, path: string, mountTargets: string[]): string | undefined {
  const executable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    if (mountTargets.some((t) => cmd.startsWith(t.endsWith('/') ? t : `${t}/`))) return undefined;
    return executable(cmd) ? undefined : `exec: "${cmd}": stat ${cmd}: no such file or directory`;
  }
  for (const dir of path.split(':')) if (dir && executable(join(dir, cmd))) return undefined;
  return `exec: "${cmd}": executable file not found in $PATH`;
}

function passwdEntry(uid: number): string[] | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (Number(f[2]) === uid && f[2] !== '') return f;
    }
  } catch {
    /* none */
  }
  return undefined;
}

export function primaryGroupOf(uid: number): number {
  return Number(passwdEntry(uid)?.[3] ?? 0);
}

export function homeOf(uid: number): string {
  return passwdEntry(uid)?.[5] || '/';
}

export function hostName(): string {
  try {
    return readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  } catch {
    return 'localhost';
  }
}
