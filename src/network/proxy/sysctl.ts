// Sets a kernel parameter (in a network namespace when given) if the kernel has it; a missing or read-only
// parameter is logged, not fatal: the rules still work for everything that does not depend on it.
import { runHostCommand } from './host-command.js';

export async function setSysctl(key: string, value: string, netns: string | undefined, log: (line: string) => void): Promise<boolean> {
  try {
    const cur = (await runHostCommand('sysctl', ['-n', key], { netns })).trim();
    if (cur !== value) await runHostCommand('sysctl', ['-qw', `${key}=${value}`], { netns });
    return true;
  } catch (e) {
    log(`service proxy: cannot set ${key}=${value}: ${(e as Error).message}`);
    return false;
  }
}
