// Writes a volume's files so that readers never see a half-updated set, as the kubelet's AtomicWriter does
// (pkg/volume/util/atomic_writer.go): the files go into a fresh hidden timestamped directory
// (`..2006_01_02_15_04_05.<random>`), a `..data_tmp` symlink to it is renamed over `..data` (one atomic
// rename), and every user-visible top-level entry is a symlink through `..data`. Unchanged payloads write
// nothing. Paths are checked first: relative, no `..` element, no leading `..`.
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

export type Payload = Map<string, FileProjection>;

export const dataDirName = '..data';
const newDataDirName = '..data_tmp';

/** Why a payload path is not allowed, or undefined (upstream validatePath). */
export function invalidPathReason(path: string): string | undefined {
  if (path === '') return 'invalid path: must not be empty';
  if (path.length > 4096) return `invalid path: must be less than or equal to 4096 characters`;
  if (path.startsWith('/')) return `invalid path: must be relative path: ${path}`;
  const items = path.split('/');
  if (items.includes('..')) return `invalid path: must not contain '..': ${path}`;
  if (path.startsWith('..')) return `invalid path: must not start with '..': ${path}`;
  return undefined;
}

/** Normalises payload paths (clean, no empty/`.` segments) and rejects invalid ones. */
export function cleanPayload(payload: Payload): Payload {
  const out: Payload = new Map();
  for (const [path, fp] of payload) {
    const reason = invalidPathReason(path);
    if (reason) throw new Error(reason);
    const clean = path.split('/').filter((s) => s !== '' && s !== '.').join('/');
    out.set(clean, fp);
  }
  return out;
}

/** The user-visible top-level names a payload creates. */
export function userVisibleNames(payload: Payload): Set<string> {
  return new Set([...payload.keys()].map((p) => p.split('/')[0]!));
}

/** `..2006_01_02_15_04_05.` for a time (Go's layout in UTC), the prefix of timestamped data directories. */
export function timestampDirPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** True when the files under the current data dir already equal the payload (content and mode). */
function payloadUnchanged(dataDir: string, payload: Payload): boolean {
  const existing = listFiles(dataDir);
  if (existing.length !== payload.size) return false;
  for (const [path, fp] of payload) {
    const file = join(dataDir, path);
    try {
      if ((statSync(file).mode & 0o7777) !== fp.mode) return false;
      if (!readFileSync(file).equals(fp.data)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Makes `targetDir` hold exactly `payload`. Returns whether anything changed. `targetDir` must exist.
 */
export function writePayload(targetDir: string, payload: Payload, now = new Date()): boolean {
  const clean = cleanPayload(payload);
  const dataDirPath = join(targetDir, dataDirName);
  const oldTsName = readlinkOrUndefined(dataDirPath);
  const oldTsDir = oldTsName ? join(targetDir, oldTsName) : undefined;
  const wanted = userVisibleNames(clean);
  const visibleNow = readdirSync(targetDir).filter((n) => !n.startsWith('..'));
  const toRemove = visibleNow.filter((n) => !wanted.has(n));
  const visibleMissing = [...wanted].some((n) => !existsSync(join(targetDir, n)));
  if (oldTsDir && existsSync(oldTsDir) && !toRemove.length && !visibleMissing && payloadUnchanged(oldTsDir, clean)) return false;

  const tsDir = mkdtempSync(join(targetDir, timestampDirPrefix(now)));
  chmodSync(tsDir, 0o755);
  for (const [path, fp] of clean) {
    const file = join(tsDir, path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, fp.data, { mode: fp.mode });
    chmodSync(file, fp.mode); // the umask must not narrow the requested mode
  }
  const tmpLink = join(targetDir, newDataDirName);
  rmSync(tmpLink, { force: true });
  symlinkSync(tsDir.slice(targetDir.length + 1), tmpLink);
  renameSync(tmpLink, dataDirPath);

  for (const name of wanted) {
    const visible = join(targetDir, name);
    let present = false;
    try {
      present = lstatSync(visible).isSymbolicLink();
    } catch {
      present = false;
    }
    if (!present) {
      rmSync(visible, { recursive: true, force: true });
      symlinkSync(join(dataDirName, name), visible);
    }
  }
  for (const name of toRemove) rmSync(join(targetDir, name), { recursive: true, force: true });
  if (oldTsDir && oldTsDir !== tsDir) rmSync(oldTsDir, { recursive: true, force: true });
  return true;
}
