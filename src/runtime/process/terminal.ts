// Terminal size for commands running under script(1): the size is set on the pty script gave its command
// (stty on the slave side), and the kernel sends the foreground process group SIGWINCH.
import { execFile } from 'node:child_process';
import { childrenOf, terminalOf } from './proc.js';

/** Sets the size of the terminal script(1) gave its command; the kernel sends it SIGWINCH. */
export function resizeTerminalOf(scriptPid: number, width: number, height: number): void {
  for (const c of childrenOf(scriptPid)) {
    const tty = terminalOf(c);
    if (tty) {
      execFile('stty', ['-F', tty, 'rows', String(height), 'cols', String(width)], () => undefined);
      return;
    }
  }
}
