// Test images built at test time with no network (busybox-static → OCI layout → docker-archive), and a
// `docker-registry` on 127.0.0.1:<ephemeral port> (optionally with htpasswd basic auth) to push them to.
// Everything lives in a directory the caller owns and removes; the registry is stopped by PID.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../e2e/harness.js';
import { buildBusyboxImage, pushToRegistry, toDockerArchive, type ImageFile } from '../../src/runtime/containerd/image-build.js';

function have(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why containerd tests cannot run here, or undefined when they can. */
export function containerdSkipReason(extra: string[] = []): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (containerd, runc, CNI)';
  for (const bin of ['containerd', 'ctr', 'runc', 'umoci', 'skopeo', ...extra]) {
    if (!have(bin)) return `${bin} is not installed (scripts/install-system-packages.sh installs it)`;
  }
  if (!have('/usr/lib/cni/bridge')) return 'CNI plugins are not in /usr/lib/cni';
  if (!have('/bin/busybox')) return 'busybox-static is not installed';
  return undefined;
}

/**
 * A random 10.<200-239>.<n>.0/24 no route on this host uses yet (other tests' pod networks are routes on their
 * bridges), so concurrent test clusters and runtimes never share a subnet.
 */
export function unusedPodCidr(): string {
  let routes = '';
  try {
    routes = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
  } catch {
    /* no ip(8): any choice */
  }
  for (;;) {
    const cidr = `10.${200 + Math.floor(Math.random() * 40)}.${Math.floor(Math.random() * 256)}.0/24`;
    if (!routes.includes(cidr)) return cidr;
  }
}

export interface TestImage {
  /** "oci:<layout>:<tag>" for skopeo. */
  ociRef: string;
  /** docker-archive tarball naming the image `name`. */
  archive: string;
  name: string;
}

/** A busybox image named `name` (e.g. "skiff.test/busybox:1"); default command `sh` (no entrypoint). */
export async function buildTestImage(
  workDir: string,
  name: string,
  spec: { files?: ImageFile[]; entrypoint?: string[]; cmd?: string[] } = {},
): Promise<TestImage> {
  const tag = name.split(':').pop() ?? 'latest';
  const ociRef = await buildBusyboxImage({ workDir: join(workDir, 'build'), tag, files: spec.files, entrypoint: spec.entrypoint, cmd: spec.cmd ?? ['sh'] });
  const archive = join(workDir, 'image.tar');
  await toDockerArchive(ociRef, archive, name);
  return { ociRef, archive, name };
}

export interface TestRegistry {
  /** "127.0.0.1:<port>" */
  host: string;
  push(image: TestImage, repoAndTag: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts docker-registry on loopback; with `auth`, an htpasswd (bcrypt) user is required to push and pull. */
export async function startRegistry(dir: string, auth?: { username: string; password: string }): Promise<TestRegistry> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const lines = [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}", secret: skiff-test }`,
    ];
    if (auth) {
      const htpasswd = join(dir, 'htpasswd');
      writeFileSync(htpasswd, execFileSync('htpasswd', ['-Bbn', auth.username, auth.password], { encoding: 'utf8' }));
      lines.push(`auth: { htpasswd: { realm: skiff-test, path: ${JSON.stringify(htpasswd)} } }`);
    }
    const config = join(dir, 'config.yml');
    writeFileSync(config, `${lines.join('\n')}\n`);
    const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    };
    const up = await waitForHttp(`http://127.0.0.1:${port}/v2/`, 10_000, exited);
    if (up) {
      const host = `127.0.0.1:${port}`;
      return {
        host,
        async push(image, repoAndTag) {
          const dest = `${host}/${repoAndTag}`;
          await pushToRegistry(image.ociRef, dest, auth);
          return dest;
        },
        stop,
      };
    }
    await stop();
    lastError = stderr;
  }
  throw new Error(`docker-registry did not start: ${lastError}`);
}

async function waitForHttp(url: string, timeoutMs: number, exited: Promise<void>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && !gone) {
    try {
      const res = await fetch(url);
      // 200 without auth, 401 with it: either way the registry answers.
      if (res.status === 200 || res.status === 401) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
