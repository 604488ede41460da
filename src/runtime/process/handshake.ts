// The runtime's side of the wrapper handshake (see wrapper-script.ts): lines the wrapper writes on its
// stdout, read one at a time with a deadline. Knows nothing about what the lines mean.
import type { ChildProcess } from 'node:child_process';

/** The wrapper's handshake lines on its stdout ("ready", "started <pid>", or "error <message>"). */
export class Handshake {
  private buf = '';
  private readonly lines: string[] = [];
  private waiter?: () => void;
  private ended = false;

  constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
      this.waiter?.();
    });
    child.stdout!.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    child.on('error', (e) => {
      this.lines.push(`error ${e.message}`);
      this.waiter?.();
    });
  }

  /** The next line; "" when the wrapper closed its end first, an error line after timeoutMs. */
  next(timeoutMs: number): Promise<string> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle('error the container wrapper did not answer in time'), timeoutMs);
      const settle = (line: string) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(line);
      };
      const check = () => {
        if (this.lines.length) settle(this.lines.shift()!);
        else if (this.ended) settle(this.buf.trim());
      };
      this.waiter = check;
      check();
    });
  }

  close(): void {
    this.child.stdout?.removeAllListeners('data');
    this.child.stdout?.destroy();
  }
}
