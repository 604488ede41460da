// Shared by the process runtime tests: sandbox and container configs as the agent would build them, and a
// bounded wait.
import { join } from 'node:path';
import type { ContainerConfig, PodSandboxConfig } from '../../../src/runtime/runtime.js';

export function sandboxConfig(dir: string, name: string, extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    uid: `uid-${name}`, name, namespace: 'default', attempt: 0, hostname: name, portMappings: [], hostNetwork: false,
    logDirectory: join(dir, 'logs', name), cgroupParent: `skiff-test/kubepods/pod-${name}`, labels: {}, annotations: {}, ...extra,
  };
}

export function containerConfig(name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name, attempt: 0, image: 'busybox', command, args: [], env: [], mounts: [], logPath: `${name}/0.log`, tty: false,
    stdin: false, stdinOnce: false, resources: { cpuRequestMillis: 0 }, security: {}, labels: {}, annotations: {}, ...extra,
  };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

