// Runs short shell scripts for this process through one long-lived `sh`, so starting them costs this process
// no fork. Forking a Node process copies its whole address space and blocks its event loop until the child has
// exec'd (milliseconds each, far more on a busy machine, since the child must be scheduled first); the small
// shell forks cheaply and the agent only writes a line to a pipe. Used for a pod's network set-up and
// teardown (src/network/cni/invoke.ts), several per pod in a burst.
//
// Protocol: the agent writes "<id> <dir>\n"; the shell runs <dir>/run.sh in the background with <dir> as its
// first argument (stdin /dev/null, stdout discarded, stderr to <dir>/sh.err) and answers "<id> <exit status>\n"
// when it ends. The script is read by a forked subshell (`.`), not a new `sh`: one exec less per script. The
// shell reaps finished jobs before each new one (`jobs`), and on end of input waits for what still runs.
import { spawn, type ChildProcess } from 'node:child_process';

const loop = [
  'while read -r id dir; do',
  '  jobs >/dev/null',
  '  { (set -- "$dir"; . "$dir/run.sh") </dev/null >/dev/null 2>"$dir/sh.err"; echo "$id $?"; } &',
  'done',
  'wait',
].join('\n');

export class ShellSpawner {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, { resolve: (code: number) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private buffered = '';

  /** Runs <dir>/run.sh (a POSIX shell script) with <dir> as $1; resolves with its exit status. */
  run(dir: string): Promise<number> {
    if (dir.includes('\n')) return Promise.reject(new Error(`directory name with a newline: ${JSON.stringify(dir)}`));
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.hold(true);
      child.stdin!.write(`${id} ${dir}\n`);
    });
  }

  /** Ends the shell's input: it exits once its running scripts have ended. */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private start(): ChildProcess {
    const child = spawn('sh', ['-c', loop], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' }, stdio: ['pipe', 'pipe', 'ignore'] });
    this.child = child;
    child.stdin!.on('error', () => undefined); // the shell died: 'exit' below fails what was pending
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      this.buffered += text;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const [id, code] = this.buffered.slice(0, nl).split(' ').map(Number);
        this.buffered = this.buffered.slice(nl + 1);
        const p = this.pending.get(id!);
        if (!p) continue;
        this.pending.delete(id!);
        p.resolve(code!);
      }
      if (!this.pending.size) this.hold(false);
    });
    const fail = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`the script runner shell ${why}`));
      this.pending.clear();
      this.buffered = '';
    };
    child.on('error', (e) => fail(`did not start: ${e.message}`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code})`));
    child.unref();
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
