// Command lines for exec, attach resize and the container's own start, per isolation mode. Pure: which
// program runs with which arguments; spawning is the runtime's job.
import { shellJoin, shellQuote } from './wrapper-script.js';

export interface ExecTarget {
  /** The container's main process (its namespaces are entered); undefined without isolation. */
  nsPid?: number;
  workingDir: string;
  cgroupProcs: string[];
  user?: { uid: number; gid: number; groups: number[] };
}

/**
 * argv that runs `cmd` like a process of the container: in its network, mount and UTS namespaces, its
 * cgroups, its working directory and user; under script(1) when a terminal is wanted.
 */
export function execArgv(target: ExecTarget, cmd: string[], tty: boolean): string[] {
  let argv: string[];
  if (target.nsPid !== undefined) {
    const setup = [
      'read -r me _ </proc/self/stat',
      ...target.cgroupProcs.map((f) => `echo "$me" >${shellQuote(f)} 2>/dev/null`),
      `cd ${shellQuote(target.workingDir)} 2>/dev/null || cd /`,
    ];
    let run = cmd;
    if (target.user) {
      const groups = target.user.groups.length ? `--groups=${target.user.groups.join(',')}` : '--clear-groups';
      run = ['setpriv', `--reuid=${target.user.uid}`, `--regid=${target.user.gid}`, groups, '--', ...cmd];
    }
    argv = ['nsenter', `--target=${target.nsPid}`, '--net', '--mount', '--uts', '--', 'sh', '-c', `${setup.join('; ')}; exec "$@"`, 'sh', ...run];
  } else {
    argv = cmd;
  }
  return tty ? ['script', '-qfec', shellJoin(argv), '/dev/null'] : argv;
}

/** Signal name → the exit status a shell reports for a process killed by it (128 + number). */
export function signalExitCode(signal: NodeJS.Signals | null, code: number | null, signals: Record<string, number>): number {
  if (code !== null) return code;
  return 128 + (signal ? signals[signal] ?? 0 : 0);
}
