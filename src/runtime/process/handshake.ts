// The runtime's side of the wrapper handshake (see wrapper-script.ts): the lines the wrapper reports through
// the script runner, read one at a time with a deadline. Knows nothing about what the lines mean.

/** The wrapper's handshake lines ("ready <pid>", "started <pid>", or "error <message>"). */
export class Handshake {
  private readonly lines: string[] = [];
  private waiter?: () => void;
  private ended = false;

  /** A line the wrapper reported. */
  push(line: string): void {
    this.lines.push(line);
    this.waiter?.();
  }

  /** The wrapper is gone (or could not be started: `error` says why); no more lines come. */
  end(error?: string): void {
    if (error !== undefined) this.lines.push(`error ${error}`);
    this.ended = true;
    this.waiter?.();
  }

  /** The next line; "" when the wrapper ended first, an error line after timeoutMs. */
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
        else if (this.ended) settle('');
      };
      this.waiter = check;
      check();
    });
  }
}
