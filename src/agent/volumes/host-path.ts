// hostPath volumes: the `type` check or creation the kubelet does before mounting (pkg/volume/hostpath):
// DirectoryOrCreate / FileOrCreate create what is missing (0755 directory, 0644 empty file; FileOrCreate
// does not create parents), the other types only check, with upstream's messages. "" checks nothing.
import { closeSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

const checks: Record<Exclude<HostPathType, ''>, { test: (s: Stats) => boolean; what: string }> = {
  DirectoryOrCreate: { test: (s) => s.isDirectory(), what: 'a directory' },
  Directory: { test: (s) => s.isDirectory(), what: 'a directory' },
  FileOrCreate: { test: (s) => s.isFile(), what: 'a file' },
  File: { test: (s) => s.isFile(), what: 'a file' },
  Socket: { test: (s) => s.isSocket(), what: 'a socket file' },
  CharDevice: { test: (s) => s.isCharacterDevice(), what: 'a character device' },
  BlockDevice: { test: (s) => s.isBlockDevice(), what: 'a block device' },
};

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Creates or checks `path` per `type`; throws an Error with upstream's message when it does not fit. */
export function prepareHostPath(path: string, type: string | undefined): void {
  const t = (type ?? '') as HostPathType;
  if (t === '') return;
  const check = checks[t as Exclude<HostPathType, ''>];
  if (!check) throw new Error(`${type} is an invalid volume type`);
  let st = statOrUndefined(path);
  if (!st && t === 'DirectoryOrCreate') {
    mkdirSync(path, { recursive: true, mode: 0o755 });
    st = statOrUndefined(path);
  } else if (!st && t === 'FileOrCreate') {
    try {
      closeSync(openSync(path, 'a', 0o644));
    } catch (e) {
      throw new Error(`hostPath type check failed: ${path} is not a file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    st = statOrUndefined(path);
  }
  if (!st || !check.test(st)) throw new Error(`hostPath type check failed: ${path} is not ${check.what}`);
}
