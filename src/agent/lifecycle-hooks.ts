// postStart and preStop hooks (exec, httpGet, sleep) as the kubelet runs them: exec through the runtime in
// the container, httpGet against the pod IP (or the hook's host), sleep for its seconds; the whole hook
// bounded by the time it is given. Returns upstream's failure message or undefined on success. It decides
// nothing about what a failure means (the pod worker kills the container after a failed postStart).
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import type { Runtime } from '../runtime/runtime.js';
import { execCheck, httpGet, httpGetUrl } from './probes/handlers.js';

export interface HookTarget {
  runtime: Runtime;
  containerId: string;
  container: Container;
  pod: Pod;
  host: string;
}

/** Runs the handler; resolves to an error message, or undefined when it succeeded. */
export async function runHook(kind: 'PostStart' | 'PreStop', h: LifecycleHandler, t: HookTarget, timeoutMs: number): Promise<string | undefined> {
  const podName = `${t.pod.metadata?.name}_${t.pod.metadata?.namespace}(${t.pod.metadata?.uid})`;
  if (h.exec) {
    const cmd = h.exec.command ?? [];
    const r = await execCheck(t.runtime, t.containerId, cmd, timeoutMs);
    if (r.ok) return undefined;
    return `Exec lifecycle hook (${JSON.stringify(cmd).replace(/,/g, ' ')}) for Container "${t.container.name}" in Pod "${podName}" failed - error: command '${cmd.join(' ')}' exited with non-zero status, message: ${JSON.stringify(r.output)}`;
  }
  if (h.httpGet) {
    const url = httpGetUrl(h.httpGet, { host: t.host, container: t.container });
    if (!url) return `HTTP lifecycle hook for Container "${t.container.name}" in Pod "${podName}" failed - error: unknown port ${String(h.httpGet.port)}`;
    const r = await httpGet(url, h.httpGet.httpHeaders ?? [], timeoutMs);
    if (r.ok) return undefined;
    return `HTTP lifecycle hook (${h.httpGet.path ?? '/'}) for Container "${t.container.name}" in Pod "${podName}" failed - error: ${r.output}`;
  }
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(timeoutMs, h.sleep!.seconds * 1000)));
    return undefined;
  }
  return `${kind} hook of container ${t.container.name} has no handler`;
}
