// The process runtime's records on disk: one JSON file per sandbox and per container under the runtime's
// state directory, written atomically (temp file + rename), so a restarted agent finds every pod it ran.
// Plain data only; what the records mean is the runtime's business.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerConfig, PodSandboxConfig } from '../runtime.js';
import type { NetworkAttachment } from '../../network/cni/pod-network.js';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  createdAtMs: number;
  state: 'ready' | 'notready';
  network: 'pod' | 'host';
  ips: string[];
  attachment?: NetworkAttachment;
  /** Directory holding the pod's resolv.conf, hosts and hostname (isolated mode). */
  etcDir?: string;
  /** Written before the pod network is set up; a record still pending at start is an interrupted set-up. */
  pending?: boolean;
}

export interface ContainerExit {
  exitCode: number;
  finishedAtMs: number;
  reason: string;
  message?: string;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  createdAtMs: number;
  /** Absolute log path. */
  logPath: string;
  startedAtMs?: number;
  /** The container's main process and its start time (clock ticks after boot). */
  pid?: number;
  pidStart?: number;
  /** The wrapper (supervisor) process and its start time. */
  wrapperPid?: number;
  wrapperStart?: number;
  exit?: ContainerExit;
  /** Container cgroup path (relative to each hierarchy), when limits apply. */
  cgroupPath?: string;
  /** Mount points the runtime had to create on the host (shallowest first); removed with the container. */
  createdPaths: string[];
}

export class StateStore {
  readonly sandboxDir: string;
  readonly containerDir: string;

  constructor(readonly root: string) {
    this.sandboxDir = join(root, 'sandboxes');
    this.containerDir = join(root, 'containers');
    mkdirSync(this.sandboxDir, { recursive: true });
    mkdirSync(this.containerDir, { recursive: true });
  }

  /** The directory of one container: FIFOs, wrapper script, exit file. */
  containerPath(id: string, file?: string): string {
    return file ? join(this.containerDir, id, file) : join(this.containerDir, id);
  }

  sandboxPath(id: string): string {
    return join(this.sandboxDir, id);
  }

  saveSandbox(r: SandboxRecord): void {
    atomicWrite(join(this.sandboxDir, `${r.id}.json`), JSON.stringify(r));
  }

  /** The container's directory, before its first record. */
  createContainerDir(id: string): void {
    mkdirSync(this.containerPath(id), { recursive: true });
  }

  saveContainer(r: ContainerRecord): void {
    this.createContainerDir(r.id);
    atomicWrite(this.containerPath(r.id, 'record.json'), JSON.stringify(r));
  }

  deleteSandbox(id: string): void {
    rmSync(join(this.sandboxDir, `${id}.json`), { force: true });
    rmSync(this.sandboxPath(id), { recursive: true, force: true });
  }

  deleteContainer(id: string): void {
    rmSync(this.containerPath(id), { recursive: true, force: true });
  }

  loadSandboxes(): SandboxRecord[] {
    const out: SandboxRecord[] = [];
    for (const f of readdirSync(this.sandboxDir)) {
      if (!f.endsWith('.json')) continue;
      const r = readJson<SandboxRecord>(join(this.sandboxDir, f));
      if (r) out.push(r);
    }
    return out;
  }

  loadContainers(): ContainerRecord[] {
    const out: ContainerRecord[] = [];
    for (const id of readdirSync(this.containerDir)) {
      const r = readJson<ContainerRecord>(this.containerPath(id, 'record.json'));
      if (r) out.push(r);
      else this.deleteContainer(id); // created directory without a record: an interrupted createContainer
    }
    return out;
  }
}

function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
