// What a `skiff` subcommand is: a name, a one-line summary, its options table and a run function that
// returns an exit code. The context carries the process edges (streams, environment, signals) so commands
// can be run and tested in-process.

import type { OptionSpec, ParsedOptions } from './args.js';
import type { ProgressStream } from './progress.js';

export interface CliContext {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves with the first SIGINT/SIGTERM after the call. */
  waitForSignal(): Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  /** Extra help text after the options. */
  details?: string;
  options: readonly OptionSpec[];
  /** Positional arguments the command takes, for the usage line (e.g. "FILE"); absent = none allowed. */
  args?: string;
  run(opts: ParsedOptions, ctx: CliContext): Promise<number>;
}
