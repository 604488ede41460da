// Runs shell scripts for this process through one long-lived `sh`, so starting them costs this process no
// fork. Forking a Node process copies its whole address space and blocks its event loop until the child has
// exec'd (milliseconds each, far more on a busy machine, since the child must be scheduled first); the small
// shell forks cheaply and the agent only writes a line to a pipe. Used for a pod's network set-up and
// teardown (src/network/cni/invoke.ts) and to start each container's wrapper (the process runtime).
//
// Protocol: the agent writes "<id> <dir>\n"; the shell runs <dir>/run.sh in the background with <dir> and <id>
// as its arguments (stdin /dev/null, stdout discarded, stderr to <dir>/sh.err, fd 3 the shell's own stdout)
// and answers "<id> <exit status>\n" when it ends. Before that, the script (or what it execs) may report lines
// "<id> - <text>\n" on fd 3 (one write each, shorter than PIPE_BUF, so lines of concurrent scripts never mix);
// a script must close fd 3 for programs that may outlive it or should not talk to the agent. The script is
// read by a forked subshell (`.`), not a new `sh`: one exec less per script. The shell reaps finished jobs
// before each new one (`jobs`), and on end of input waits for what still runs.
//
// The shell runs in its own session (as the container wrappers it starts must: a signal to the agent's
// process group, a closed terminal, must not reach them) with `/` as its working directory.
import { spawn, type ChildProcess } from 'node:child_process';

const loop = [
  'while read -r id dir; do',
  '  jobs >/dev/null',
  '  { (set -- "$dir" "$id"; . "$dir/run.sh") 3>&1 </dev/null >/dev/null 2>"$dir/sh.err"; echo "$id $?"; } &',
  'done',
  'wait',
].join('\n');

export interface RunOptions {
  /** Lines the script reports on fd 3 ("<id> - <text>"), in order, before the exit status. */
  onLine?: (text: string) => void;
  /** Whether this process stays alive while the script runs (default true; false for long-lived scripts). */
  hold?: boolean;
}

interface Pending {
  resolve: (code: number) => void;
  reject: (e: Error) => void;
  onLine?: (text: string) => void;
  hold: boolean;
}

export class ShellSpawner {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private holding = 0;
  private nextId = 1;
  private buffered = '';

  /** Runs <dir>/run.sh (a POSIX shell script) with <dir> as $1 and its id as $2; resolves with its exit status. */
  run(dir: string, opts: RunOptions = {}): Promise<number> {
    if (dir.includes('\n')) return Promise.reject(new Error(`directory name with a newline: ${JSON.stringify(dir)}`));
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const hold = opts.hold ?? true;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onLine: opts.onLine, hold });
      if (hold && this.holding++ === 0) this.hold(true);
      child.stdin!.write(`${id} ${dir}\n`);
    });
  }

  /** Ends the shell's input: it exits once its running scripts have ended. */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (p.hold && --this.holding === 0) this.hold(false);
    return p;
  }

  private start(): ChildProcess {
    const child = spawn('sh', ['-c', loop], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' }, cwd: '/', detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
    this.child = child;
    this.holding = 0;
    child.stdin!.on('error', () => undefined); // the shell died: 'exit' below fails what was pending
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      this.buffered += text;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        const sp = line.indexOf(' ');
        const id = Number(line.slice(0, sp));
        const rest = line.slice(sp + 1);
        if (rest.startsWith('- ')) {
          this.pending.get(id)?.onLine?.(rest.slice(2));
          continue;
        }
        this.settle(id)?.resolve(Number(rest));
      }
    });
    const fail = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const id of [...this.pending.keys()]) this.settle(id)!.reject(new Error(`the script runner shell ${why}`));
      this.buffered = '';
    };
    child.on('error', (e) => fail(`did not start: ${e.message}`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code})`));
    this.hold(false);
    return child;
  }

  /**
   * The shell (its process handle as well as its pipes) keeps this process alive only while something waits for
   * an answer: with the pipes alone, a shell that died could close them before its exit was delivered, and a
   * waiting caller would never hear why.
   */
  private hold(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const s of [c, c.stdin, c.stdout] as ({ ref?: () => void; unref?: () => void } | null)[]) {
      if (on) s?.ref?.();
      else s?.unref?.();
    }
  }
}

/** The process's script runner (started on first use). */
export const shellSpawner = new ShellSpawner();
