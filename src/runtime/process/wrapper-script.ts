// The per-container wrapper: a small POSIX shell script the runtime generates and runs as the container's
// supervisor. Pure (text in, text out). Why a shell script and not a Node process: a Node process costs
// ~120 ms and ~40 MB per container here; `sh` costs a few milliseconds and one megabyte.
//
// The runtime starts it through its script runner (shell-spawner.ts; launcherScript below enters the pod's
// namespaces and execs the wrapper), so starting a container forks nothing in the agent. What the wrapper
// does, in order (inside the mount/UTS/network namespaces the runtime entered for it):
//  1. Moves the handshake pipe (its stdout: the script runner's, read by the runtime; each line starts with
//     its first argument, "<id> -") to fd 6 and its own output to wrapper.log; writes its PID to `wrapper`.
//  2. Creates the FIFOs and holds the output ones open read-write (fd 3, 4): output never hits a closed pipe
//     while the agent restarts; up to the pipe buffer is kept and the next agent's pump reads it. Says
//     "ready <its PID>" and waits for the runtime's "go" on the `ctl` FIFO, which it holds open read-write
//     (fd 5) so the runtime's non-blocking open for writing finds a reader (its readers are open by then).
//     An agent that dies before "go" leaves it waiting: the next one kills it (its PID is in `wrapper`).
//  3. Starts a stdin holder (a sleeping process with the stdin FIFO open for writing) when the container has
//     stdin: the container's stdin stays open until the holder is killed (stdinOnce) or the container exits.
//  4. Sets the hostname, bind-mounts volumes and the pod's /etc files (private mount namespace).
//  5. Forks the container: it joins its cgroups, changes directory, reports "started <pid>" on the handshake
//     pipe and execs the command in a new session (its own process group, so signals reach its whole group)
//     with the requested user, its stdio on the FIFOs, optionally under `script` for a terminal.
//  6. Waits, then writes the exit status to the exit file (128+N when killed by signal N; the file's mtime
//     is the finish time), and stops the stdin holder.
// Errors before the exec are reported as "error <message>" on the handshake pipe.

/** The FIFO the runtime writes "go" to (see wrapperScript). */
export const wrapperControlFifo = 'ctl';

/** Whether `name` can be set by the shell's `export` (POSIX: letters, digits, underscore, no leading digit). */
export function isShellName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/**
 * The script the runtime's script runner sources to start a container's wrapper: sets the container's
 * environment (exported; through `env -i` when a name cannot be exported) and execs `argv` (entering the
 * pod's namespaces, then `sh <wrapper>`) with the script id as its argument and the runner's fd 3, where
 * handshake lines go, as its stdout. Pure.
 */
export function launcherScript(env: Record<string, string>, argv: string[]): string {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const run = `${shellJoin(argv)} "$2" >&3 3>&-`;
  if (Object.keys(env).every(isShellName)) {
    // The runner's own environment is PATH (and the PWD the shell sets): the container's PATH replaces it.
    return [...(assignments.length ? [`export ${shellJoin(assignments)}`] : []), `exec ${run}`, ''].join('\n');
  }
  return [`exec env -i ${shellJoin(assignments)} ${run}`, ''].join('\n');
}

export interface WrapperMount {
  source: string;
  target: string;
  readOnly: boolean;
  propagation?: 'private' | 'hostToContainer' | 'bidirectional';
}

export interface WrapperSpec {
  /** The container's state directory: FIFOs out, err, in; files pid, exit, wrapper.log, stdin-holder. */
  dir: string;
  argv: string[];
  workingDir: string;
  tty: boolean;
  stdin: boolean;
  hostname?: string;
  mounts: WrapperMount[];
  /** cgroup.procs files the container joins before exec. */
  cgroupProcs: string[];
  user?: { uid: number; gid: number; groups: number[] };
  /**
   * A (static) busybox binary for mount and mkfifo: it starts about twice as fast as util-linux mount and costs
   * ~0.5 ms less CPU per run than coreutils' mkfifo (no dynamic linking). Not for what execs the container's
   * command (setsid, setpriv): busybox runs its own applet for a command named like one (`sleep`, `sh`).
   */
  busybox?: string;
}

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(words: string[]): string {
  return words.map(shellQuote).join(' ');
}

/** Which mount(8) calls make `m` appear at its target with its options (propagation needs util-linux). */
export function mountCommands(m: WrapperMount, busybox?: string): string[][] {
  const mount = applet('mount', busybox);
  const cmds = [[...mount, '-o', 'rbind', m.source, m.target]];
  if (m.readOnly) cmds.push([...mount, '-o', 'remount,bind,ro', m.target]);
  if (m.propagation === 'hostToContainer') cmds.push(['mount', '--make-rslave', m.target]);
  if (m.propagation === 'bidirectional') cmds.push(['mount', '--make-rshared', m.target]);
  return cmds;
}

/**
 * `tool` run as a busybox applet when a busybox binary is given. Whatever such an applet execs must be named by
 * its path: busybox prefers its own applets to programs named without one.
 */
export function applet(tool: string, busybox?: string): string[] {
  return busybox ? [busybox, tool] : [tool];
}

/** The command line the container execs: new session, user switch, terminal. */
export function containerCommand(spec: Pick<WrapperSpec, 'argv' | 'tty' | 'user'>): string[] {
  let argv = spec.argv;
  // script(1) runs its command through `sh -c`: quote the argv into one string. -e: its exit status is the
  // command's; -f: flush at once; -q: no start/done banners.
  if (spec.tty) argv = ['script', '-qfec', shellJoin(argv), '/dev/null'];
  if (spec.user) {
    const groups = spec.user.groups.length ? [`--groups=${spec.user.groups.join(',')}`] : ['--clear-groups'];
    argv = ['setpriv', `--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, ...groups, '--', ...argv];
  }
  return ['setsid', ...argv];
}

export function wrapperScript(spec: WrapperSpec): string {
  const q = shellQuote;
  const d = (name: string) => q(`${spec.dir}/${name}`);
  const lines: string[] = [
    'exec 6>&1 >>' + d('wrapper.log') + ' 2>&1',
    't="$1 -"',
    'fail() { echo "$t error $*" >&6; exit 1; }',
    `echo $$ >${d('wrapper')}`,
    `${shellJoin(applet('mkfifo', spec.busybox))} -m 600 ${(spec.tty ? ['out', 'in'] : ['out', 'err', 'in']).concat(wrapperControlFifo).map(d).join(' ')} || fail "cannot create the output pipes"`,
    `exec 3<>${d('out')}` + (spec.tty ? '' : ` 4<>${d('err')}`) + ` 5<>${d(wrapperControlFifo)}`,
    // The runtime opens its readers now, then answers; until then nothing is started that could write.
    'echo "$t ready $$" >&6',
    'read -r go <&5 || fail "the runtime went away before the start"',
    'exec 5<&- </dev/null',
  ];
  if (spec.stdin) {
    // The holder keeps a writer on the stdin FIFO so the container's reads block instead of seeing EOF.
    // It holds nothing else: not the output FIFOs (their EOF marks the end of output), not the handshake pipe.
    lines.push(`(exec sleep 2147483647) 5<>${d('in')} </dev/null >/dev/null 2>&1 3>&- 4>&- 6>&- &`);
    lines.push(`echo $! >${d('stdin-holder')}`);
  }
  // In the container's own UTS namespace, writing the proc file sets its hostname (no command to fork).
  if (spec.hostname) lines.push(`echo ${q(spec.hostname)} >/proc/sys/kernel/hostname || fail "cannot set the hostname"`);
  for (const m of spec.mounts) {
    for (const cmd of mountCommands(m, spec.busybox)) lines.push(`${shellJoin(cmd)} || fail ${q(`cannot mount ${m.source} at ${m.target}`)}`);
  }
  const stdio = [spec.stdin ? `<${d('in')}` : '</dev/null', `>${d('out')}`, spec.tty ? '2>&1' : `2>${d('err')}`];
  lines.push(
    '(',
    '  read -r me _ </proc/self/stat',
    ...spec.cgroupProcs.map((f) => `  echo "$me" >${q(f)} || fail ${q(`cannot join cgroup ${f}`)}`),
    `  cd ${q(spec.workingDir)} || fail ${q(`cannot change to working directory ${spec.workingDir}`)}`,
    // Also on disk: an agent that dies before recording the start finds the process on its next start.
    `  echo "$me $$" >${d('pid')}`, // $$ is the wrapper's PID, also in the subshell
    '  echo "$t started $me" >&6',
    `  exec ${shellJoin(containerCommand(spec))} ${stdio.join(' ')} 3>&- 4>&- 6>&-`,
    ')',
    'rc=$?',
    // The exit file's modification time is the finish time (no clock command needed: nothing to fork).
    `echo "$rc" >${d('exit')}`,
  );
  if (spec.stdin) lines.push(`read -r holder <${d('stdin-holder')} && kill "$holder" 2>/dev/null`);
  lines.push('exit 0', '');
  return lines.join('\n');
}

/** Parses the wrapper's exit file (the status; undefined while it is being written). */
export function parseExitFile(text: string): number | undefined {
  const m = /^(\d+)\n$/.exec(text);
  return m ? Number(m[1]) : undefined;
}
