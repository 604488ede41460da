// The containerd runtime's entry points for the rest of Skiff: start it (managed daemon or existing socket),
// and probe whether containerd can be used on this host (for `--runtime auto` in src/runtime/select.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { defaultContainerdSocket } from '../select.js';
import { CriClient } from './cri-client.js';
import { ContainerdRuntime } from './containerd-runtime.js';
import { parseRegistriesYaml, type RegistriesConfig } from './containerd-config.js';

export { ContainerdRuntime, type ContainerdRuntimeOptions } from './containerd-runtime.js';
export { parseRegistriesYaml, type RegistriesConfig } from './containerd-config.js';

/** `<dataDir>/registries.yaml` (k3s format) when present; a malformed file is an error, not ignored. */
export function readRegistries(dataDir: string): RegistriesConfig | undefined {
  const file = join(dataDir, 'registries.yaml');
  if (!existsSync(file)) return undefined;
  return parseRegistriesYaml(readFileSync(file, 'utf8'));
}

/**
 * The registries.yaml that applies to a runtime directory: its own, else the one two levels up — the node's
 * runtime directory is <Skiff data dir>/agent/runtime, and users put the file in the Skiff data directory.
 */
export function findRegistries(runtimeDir: string): RegistriesConfig | undefined {
  return readRegistries(runtimeDir) ?? readRegistries(dirname(dirname(runtimeDir)));
}

export interface NodeContainerdOptions {
  /** The runtime keeps its files in <dataDir>/containerd; registries.yaml as findRegistries() finds it. */
  dataDir: string;
  bridge?: string;
  podCidr?: string;
  log?: (line: string) => void;
}

/**
 * The factory `selectRuntime` (src/runtime/select.ts) takes as `startContainerd`: an existing containerd on
 * `socket`, or (socket undefined) one this runtime starts under the data directory.
 */
export function containerdStarter(o: NodeContainerdOptions): (socket: string | undefined) => Promise<ContainerdRuntime> {
  return (socket) =>
    ContainerdRuntime.start({
      dir: join(o.dataDir, 'containerd'),
      socket,
      bridge: o.bridge,
      podCidr: o.podCidr,
      registries: findRegistries(o.dataDir),
      log: o.log,
    });
}


export type ContainerdProbe =
  | { usable: true; mode: 'socket'; socket: string; version: string }
  | { usable: true; mode: 'managed'; version: string }
  | { usable: false; reason: string };

/**
 * Whether containerd can back this node: an existing socket that answers CRI (`socket`), else a containerd
 * binary Skiff can start itself (needs root, runc and the CNI plugins).
 */
export async function probeContainerd(socket?: string): Promise<ContainerdProbe> {
  const candidate = socket ?? defaultContainerdSocket;
  if (existsSync(candidate) && statSync(candidate).isSocket()) {
    const client = new CriClient(candidate);
    try {
      const v = await client.waitReady(2000);
      return { usable: true, mode: 'socket', socket: candidate, version: v.runtimeVersion };
    } catch (e) {
      if (socket) return { usable: false, reason: `containerd socket ${socket} does not answer CRI: ${(e as Error).message}` };
    } finally {
      client.close();
    }
  } else if (socket) {
    return { usable: false, reason: `no containerd socket at ${socket}` };
  }
  if (process.getuid?.() !== 0) return { usable: false, reason: 'starting containerd needs root' };
  const version = toolVersion('containerd', ['--version']);
  if (!version) return { usable: false, reason: 'containerd is not installed' };
  if (!toolVersion('runc', ['--version'])) return { usable: false, reason: 'runc is not installed' };
  if (!existsSync('/usr/lib/cni/bridge') || !existsSync('/usr/lib/cni/host-local')) return { usable: false, reason: 'the CNI plugins are not in /usr/lib/cni' };
  return { usable: true, mode: 'managed', version: version.split(' ')[2] ?? version };
}

function toolVersion(bin: string, args: string[]): string | undefined {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
