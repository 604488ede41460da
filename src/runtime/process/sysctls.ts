// Pod sysctls for the process runtime: only net.* ones, which are per network namespace and so can be
// applied to the pod alone; anything else would change the whole host and is refused.
import { execFile } from 'node:child_process';
import { shellQuote } from './wrapper-script.js';

/**
 * The /proc/sys path of a sysctl the process runtime can apply for a pod (net.*, in its network namespace;
 * both "." and "/" separators, as the kubelet accepts), or an error message. Pure.
 */
export function podSysctlPath(name: string): { path: string } | { error: string } {
  const parts = name.includes('/') ? name.split('/') : name.split('.');
  if (parts[0] !== 'net' || parts.some((p) => !p || p === '..' || p === '.')) {
    return { error: `sysctl "${name}" is not supported by the process runtime: only net.* sysctls apply (in the pod's network namespace)` };
  }
  return { path: `/proc/sys/${parts.join('/')}` };
}

/** Writes net.* sysctls inside the pod's network namespace (one nsenter for all of them). */
export async function applyNetSysctls(netnsPath: string, sysctls: Record<string, string>): Promise<void> {
  const writes: string[] = [];
  for (const [name, value] of Object.entries(sysctls)) {
    const p = podSysctlPath(name);
    if ('error' in p) throw new Error(p.error);
    writes.push(`printf '%s\\n' ${shellQuote(value)} >${shellQuote(p.path)} || exit 1`);
  }
  await new Promise<void>((resolve, reject) => {
    execFile('nsenter', [`--net=${netnsPath}`, '--', 'sh', '-c', writes.join('\n')], (err, _out, stderr) =>
      err ? reject(new Error(`cannot apply sysctls ${Object.keys(sysctls).join(', ')}: ${String(stderr).trim() || err.message}`)) : resolve());
  });
}
