// A containerd that Skiff starts and owns: writes its config and the pods' CNI network list under one
// directory, starts it in its own process group (so a Ctrl-C aimed at `skiff up` does not kill it before the
// pods are cleaned up), waits until its CRI socket answers, and stops it by PID, waiting for the exit. A
// daemon left running by a crashed Skiff (found through the pid file) is stopped before a new one starts.
// What containerd leaves behind once stopped (shims, mounts, netns, the bridge) is leftovers.ts's job.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriClient } from './cri-client.js';
import { bridgeConfList } from '../../network/cni/conflist.js';
import { defaultCniBinDir, defaultPauseImage, renderContainerdConfig, type RegistriesConfig } from './containerd-config.js';

export interface ManagedContainerdOptions {
  /** Everything lives here: config.toml, root/, state/, containerd.sock, cni/, containerd.log. */
  dir: string;
  /** The node's pod CIDR; absent until the node has one (writeNetwork() later), pods cannot start before. */
  podCidr?: string;
  bridge: string;
  /** CNI network name (default "skiff-<bridge>"). */
  networkName?: string;
  pauseImage?: string;
  cniBinDir?: string;
  registries?: RegistriesConfig;
  containerdBin?: string;
  startTimeoutMs?: number;
}

export interface ContainerdPaths {
  dir: string;
  config: string;
  root: string;
  state: string;
  socket: string;
  cniConfDir: string;
  ipamDataDir: string;
  runcRoot: string;
  log: string;
  pidFile: string;
}

export function containerdPaths(dir: string): ContainerdPaths {
  return {
    dir,
    config: join(dir, 'config.toml'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    socket: join(dir, 'containerd.sock'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    ipamDataDir: join(dir, 'cni', 'ipam'),
    runcRoot: join(dir, 'state', 'runc'),
    log: join(dir, 'containerd.log'),
    pidFile: join(dir, 'containerd.pid'),
  };
}

/**
 * Writes the pods' CNI network list (bridge + host-local over the pod CIDR + portmap). containerd's CRI
 * plugin watches the directory and picks up a changed file without a restart.
 */
export function writeNetwork(paths: ContainerdPaths, bridge: string, podCidr: string, networkName?: string): void {
  // Outbound NAT is one node-level rule (masquerade.ts), not the bridge plugin's per-pod chains.
  const list = bridgeConfList({ name: networkName ?? `skiff-${bridge}`, bridge, podCIDR: podCidr, ipamDataDir: paths.ipamDataDir, ipMasq: false, hostPorts: true });
  const file = join(paths.cniConfDir, '10-skiff.conflist');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(list, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and not a zombie (exited children of a non-reaping PID 1 stay as zombies on some hosts). */
export function processRunning(pid: number): boolean {
  return pidAlive(pid) && !isZombie(pid);
}

/** Waits until `pid` has exited (polling: it may not be our child), up to timeoutMs; true when it did. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!pidAlive(pid) || isZombie(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !pidAlive(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitForExit(pid, graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitForExit(pid, 5000);
}

/** The pid in the pid file, when that process is still a containerd started with this directory's config. */
function strayDaemon(paths: ContainerdPaths): number | undefined {
  if (!existsSync(paths.pidFile)) return undefined;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(paths.config) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class ManagedContainerd {
  private exited: Promise<void>;

  private constructor(
    readonly paths: ContainerdPaths,
    readonly pid: number,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  get socket(): string {
    return this.paths.socket;
  }

  static async start(opts: ManagedContainerdOptions): Promise<ManagedContainerd> {
    const paths = containerdPaths(opts.dir);
    for (const d of [paths.dir, paths.root, paths.state, paths.cniConfDir, paths.ipamDataDir, paths.runcRoot]) mkdirSync(d, { recursive: true });
    const stray = strayDaemon(paths);
    if (stray !== undefined) await terminate(stray, 10_000);
    rmSync(paths.socket, { force: true });
    writeFileSync(
      paths.config,
      renderContainerdConfig({
        root: paths.root,
        state: paths.state,
        socket: paths.socket,
        pauseImage: opts.pauseImage ?? defaultPauseImage,
        cniBinDir: opts.cniBinDir ?? defaultCniBinDir,
        cniConfDir: paths.cniConfDir,
        runcRoot: paths.runcRoot,
        registries: opts.registries,
      }),
    );
    if (opts.podCidr) writeNetwork(paths, opts.bridge, opts.podCidr, opts.networkName);
    const logFd = openSync(paths.log, 'a');
    let child: ChildProcess;
    try {
      child = spawn(opts.containerdBin ?? 'containerd', ['--config', paths.config], { stdio: ['ignore', logFd, logFd], detached: true });
    } finally {
      closeSync(logFd);
    }
    const spawned = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start containerd: ${e.message}`)));
      child.once('spawn', () => resolve(child.pid!));
    });
    writeFileSync(paths.pidFile, `${spawned}\n`);
    const daemon = new ManagedContainerd(paths, spawned, child);
    const client = new CriClient(paths.socket);
    try {
      await Promise.race([
        client.waitReady(opts.startTimeoutMs ?? 20_000),
        daemon.exited.then(() => {
          throw new Error(`containerd exited during start-up; see ${paths.log}:\n${tail(paths.log)}`);
        }),
      ]);
    } catch (e) {
      await daemon.stop();
      throw e;
    } finally {
      client.close();
    }
    return daemon;
  }

  /** Stops the daemon by PID (SIGTERM, SIGKILL after 10 s) and waits for it to exit. Idempotent. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill('SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.paths.pidFile, { force: true });
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
