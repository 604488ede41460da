// A CLI context for running `skiff` subcommands in-process in tests: stdout and stderr are captured, the
// environment is what the test gives, and waitForSignal never resolves (the test stops what it started).
import type { CliContext } from '../../src/cli/command.js';

export function cliContext(env: Record<string, string> = {}): { c: CliContext; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const c: CliContext = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    waitForSignal: () => new Promise(() => {}),
  };
  return { c, out: () => out.join(''), err: () => err.join('') };
}
