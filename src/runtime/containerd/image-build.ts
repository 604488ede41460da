// Builds small OCI images with no network: a busybox-static rootfs (plus given files) packed by umoci into
// an OCI layout, converted by skopeo into a docker-archive, imported into containerd with `ctr` (or pushed to
// a registry). Used for the pause image every sandbox needs and by `skiff images import` / tests. Shells out
// to umoci, skopeo and ctr; never touches containerd's own directories.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** busybox-static's binary (Debian puts it in /bin; /usr/bin on merged-/usr systems). */
export const busyboxPath = '/bin/busybox';

export interface ImageFile {
  /** Absolute path inside the image. */
  path: string;
  content: string;
  mode?: number;
}

export interface BusyboxImageSpec {
  /** Scratch directory for the layout and bundle; created, kept (callers remove it). */
  workDir: string;
  /** Tag inside the OCI layout, e.g. "3.9". */
  tag: string;
  files?: ImageFile[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
}

async function tool(bin: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run(bin, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`${bin} is not installed (needed to build or import images; see scripts/install-system-packages.sh)`);
    throw new Error(`${bin} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** Lays out a rootfs: busybox and a symlink per applet in /bin, /etc/passwd and /etc/group, /tmp, extra files. */
async function writeBusyboxRootfs(rootfs: string, files: ImageFile[] = []): Promise<void> {
  for (const d of ['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'var/run']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(busyboxPath, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  const list = await tool(busyboxPath, ['--list']);
  for (const applet of list.split('\n').map((l) => l.trim())) {
    // `--list` names busybox itself: a symlink there would replace the binary with a loop.
    if (!applet || applet === 'busybox' || applet.includes('/')) continue;
    try {
      symlinkSync('busybox', join(rootfs, 'bin', applet));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  for (const f of files) {
    const target = join(rootfs, f.path);
    mkdirSync(join(target, '..'), { recursive: true });
    writeFileSync(target, f.content);
    chmodSync(target, f.mode ?? 0o644);
  }
}

/** Builds the image into `<workDir>/oci` (an OCI layout); returns the layout reference "oci:<dir>:<tag>". */
export async function buildBusyboxImage(spec: BusyboxImageSpec): Promise<string> {
  const layout = join(spec.workDir, 'oci');
  const bundle = join(spec.workDir, 'bundle');
  rmSync(layout, { recursive: true, force: true });
  rmSync(bundle, { recursive: true, force: true });
  mkdirSync(spec.workDir, { recursive: true });
  const ref = `${layout}:${spec.tag}`;
  await tool('umoci', ['init', '--layout', layout]);
  await tool('umoci', ['new', '--image', ref]);
  await tool('umoci', ['unpack', '--image', ref, bundle]);
  await writeBusyboxRootfs(join(bundle, 'rootfs'), spec.files);
  await tool('umoci', ['repack', '--image', ref, bundle]);
  const config = ['config', '--image', ref, '--config.env', 'PATH=/bin'];
  for (const e of spec.env ?? []) config.push('--config.env', e);
  for (const e of spec.entrypoint ?? []) config.push('--config.entrypoint', e);
  for (const c of spec.cmd ?? []) config.push('--config.cmd', c);
  if (spec.workingDir) config.push('--config.workingdir', spec.workingDir);
  await tool('umoci', config);
  await tool('umoci', ['gc', '--layout', layout]);
  rmSync(bundle, { recursive: true, force: true });
  return `oci:${ref}`;
}

/** Converts an OCI layout reference into a docker-archive tarball naming the image `name` (e.g. "busybox:1"). */
export async function toDockerArchive(ociRef: string, file: string, name: string): Promise<void> {
  rmSync(file, { force: true });
  await tool('skopeo', ['copy', '--quiet', ociRef, `docker-archive:${file}:${name}`]);
}

/** Pushes an OCI layout reference to a registry over plain HTTP (loopback test registries). */
export async function pushToRegistry(ociRef: string, dest: string, creds?: { username: string; password: string }): Promise<void> {
  const args = ['copy', '--quiet', '--dest-tls-verify=false'];
  if (creds) args.push('--dest-creds', `${creds.username}:${creds.password}`);
  await tool('skopeo', [...args, ociRef, `docker://${dest}`]);
}

/**
 * Imports a docker-archive or OCI archive into containerd's "k8s.io" namespace (the CRI plugin's), unpacked for
 * its snapshotter. Returns the image names ctr reports.
 */
export async function importArchive(socket: string, file: string): Promise<string[]> {
  const out = await tool('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', '--no-unpack=false', file], 10 * 60_000);
  // ctr prints "unpacking <name> (sha256:...)...done" per image.
  const names: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^unpacking (\S+) \(/.exec(line.trim());
    if (m) names.push(m[1]!);
  }
  return names;
}
