// Progress output for the CLI: on a terminal, one updating line with a spinner per step that turns into
// "✓ step (12 ms)" or "✗ step"; elsewhere (pipes, CI logs) plain lines, one per step, no escape codes.
// Progress goes to stderr so stdout stays for results (the ready line, a kubeconfig). No other logic here.

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface Progress {
  /** Runs fn while showing `label`; reports how it ended and passes the result (or error) through. */
  step<T>(label: string, fn: () => Promise<T> | T): Promise<T>;
  /** A line of information (printed between steps). */
  info(line: string): void;
  warn(line: string): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(stream: ProgressStream, opts: { tty?: boolean; now?: () => number } = {}): Progress {
  const tty = opts.tty ?? stream.isTTY === true;
  const now = opts.now ?? (() => performance.now());
  let active: { label: string; frame: number; timer?: ReturnType<typeof setInterval> } | undefined;

  const draw = () => {
    if (!active) return;
    stream.write(`\r\x1b[2K${FRAMES[active.frame % FRAMES.length]} ${active.label}`);
    active.frame++;
  };
  const clear = () => {
    if (tty && active) stream.write('\r\x1b[2K');
  };
  const line = (text: string) => {
    clear();
    stream.write(`${text}\n`);
    draw();
  };

  return {
    async step<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
      const started = now();
      const outer = active;
      if (outer?.timer) clearInterval(outer.timer);
      if (tty) {
        active = { label, frame: 0 };
        draw();
        active.timer = setInterval(draw, 80);
        active.timer.unref?.();
      } else {
        stream.write(`${label} ...\n`);
      }
      const finish = (ok: boolean) => {
        if (!tty) {
          if (!ok) stream.write(`${label}: failed\n`);
          return;
        }
        if (active?.timer) clearInterval(active.timer);
        const ms = Math.round(now() - started);
        stream.write(`\r\x1b[2K${ok ? '✓' : '✗'} ${label}${ok ? ` (${ms} ms)` : ''}\n`);
        active = outer;
        if (active) {
          draw();
          active.timer = setInterval(draw, 80);
          active.timer.unref?.();
        }
      };
      try {
        const result = await fn();
        finish(true);
        return result;
      } catch (e) {
        finish(false);
        throw e;
      }
    },
    info(text: string) {
      line(tty ? `  ${text}` : text);
    },
    warn(text: string) {
      line(tty ? `\x1b[33m! ${text}\x1b[0m` : `warning: ${text}`);
    },
  };
}
