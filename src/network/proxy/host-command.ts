// Runs a host networking tool (nft, iptables-restore, ip, sysctl) with optional stdin, inside a named
// network namespace when one is given (`ip netns exec <ns> ...`), and returns its output or throws with
// its stderr. The one place the network code spawns processes.
import { spawn } from 'node:child_process';

export interface HostCommandOptions {
  /** Named network namespace (/run/netns/<name>) to run in. */
  netns?: string;
  input?: string;
  timeoutMs?: number;
}

export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit ${code}): ${stderr.trim().slice(0, 2000)}`);
  }
}

export function runHostCommand(cmd: string, args: string[], opts: HostCommandOptions = {}): Promise<string> {
  const [bin, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new HostCommandError(`${cmd} ${args.join(' ')}`, null, e.message));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new HostCommandError(`${cmd} ${args.slice(0, 4).join(' ')}`, code, err || out));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Whether a command can run at all (found on PATH and exits 0 with these arguments). */
export async function commandWorks(cmd: string, args: string[], netns?: string): Promise<boolean> {
  try {
    await runHostCommand(cmd, args, { netns, timeoutMs: 5000 });
    return true;
  } catch {
    return false;
  }
}
