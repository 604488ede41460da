#!/usr/bin/env node
// The `skiff` command: finds the subcommand in the table below, parses its options, runs it, and turns
// failures into one readable message and an exit code (1 = failed, 2 = wrong usage). Subcommands live in
// commands/; this file only dispatches. Run directly (`node dist/cli/main.js`) or through ./skiff.

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatOptions, parseOptions, UsageError } from './args.js';
import type { CliContext, Command } from './command.js';
import { CliError } from './errors.js';

/** A subcommand whose module is loaded only when it runs or its help is shown (the agent never loads the server). */
export interface LazyCommand {
  name: string;
  load(): Promise<Command>;
}

const lazy = <K extends string>(name: string, load: () => Promise<Record<K, Command>>, key: K): LazyCommand => ({ name, load: async () => (await load())[key] });

export const commands: readonly LazyCommand[] = [
  lazy('up', () => import('./commands/up.js'), 'upCommand'),
  lazy('server', () => import('./commands/server.js'), 'serverCommand'),
  lazy('agent', () => import('./commands/agent.js'), 'agentCommand'),
  lazy('kubeconfig', () => import('./commands/kubeconfig.js'), 'kubeconfigCommand'),
  lazy('sim-node', () => import('./commands/sim-node.js'), 'simNodeCommand'),
  lazy('backup', () => import('./commands/backup.js'), 'backupCommand'),
  lazy('restore', () => import('./commands/restore.js'), 'restoreCommand'),
  lazy('migrate', () => import('./commands/migrate.js'), 'migrateCommand'),
  lazy('images', () => import('./commands/images.js'), 'imagesCommand'),
  lazy('hpa', () => import('./commands/hpa.js'), 'hpaCommand'),
  lazy('version', () => import('./commands/version.js'), 'versionCommand'),
];

export async function topHelp(): Promise<string> {
  const all = await Promise.all(commands.map((c) => c.load()));
  const { skiffVersion } = await import('./commands/version.js');
  const width = Math.max(...all.map((c) => c.name.length));
  return [
    `skiff v${skiffVersion()}: a Kubernetes-compatible cluster in one command`,
    '',
    'Usage: skiff <command> [options]',
    '',
    'Commands:',
    ...all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  show help for a command`,
    '',
    'Run `skiff <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  const lines = [`Usage: skiff ${c.name}${c.args ? ` ${c.args}` : ''}${c.options.length ? ' [options]' : ''}`, '', c.summary];
  if (c.details) lines.push('', c.details);
  lines.push('', 'Options:');
  lines.push(formatOptions([...c.options, { name: 'help', short: 'h', type: 'boolean', description: 'show this help' }]), '');
  return lines.join('\n');
}

export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    ctx.stdout.write(await topHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version') return (await findCommand('version')!.load()).run(parseOptions([], []), ctx);
  if (first === 'help') {
    const c = rest[0] === undefined ? undefined : findCommand(rest[0]);
    if (rest[0] !== undefined && !c) return usage(ctx, unknownCommand(rest[0]));
    ctx.stdout.write(c ? commandHelp(await c.load()) : await topHelp());
    return 0;
  }
  const entry = findCommand(first);
  if (!entry) return usage(ctx, unknownCommand(first));
  const command = await entry.load();
  if (rest.some((a) => a === '--help' || a === '-h')) {
    ctx.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    const opts = parseOptions(command.options, rest, ctx.env);
    if (opts.positionals.length && command.args === undefined) {
      throw new UsageError(`skiff ${command.name} takes no arguments, got "${opts.positionals.join(' ')}"`);
    }
    return await command.run(opts, ctx);
  } catch (e) {
    if (e instanceof UsageError) return usage(ctx, `${e.message}\nRun \`skiff ${command.name} --help\` for its options.`);
    if (e instanceof CliError) {
      ctx.stderr.write(`error: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

function findCommand(name: string): LazyCommand | undefined {
  return commands.find((c) => c.name === name);
}

function unknownCommand(name: string): string {
  const close = commands.find((c) => c.name.startsWith(name.slice(0, 2)));
  return `unknown command "${name}"${close ? ` (did you mean ${close.name}?)` : ''}\nRun \`skiff --help\` for the list of commands.`;
}

function usage(ctx: CliContext, message: string): number {
  ctx.stderr.write(`error: ${message}\n`);
  return 2;
}

/** The real process edges. A second signal while stopping exits at once. */
function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    waitForSignal: () =>
      new Promise((resolve) => {
        let received = false;
        const onSignal = (sig: NodeJS.Signals) => {
          if (received) {
            process.stderr.write(`\n${sig} again: exiting without cleaning up\n`);
            process.exit(130);
          }
          received = true;
          resolve(sig);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }),
  };
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2), processContext()).then(
    (code) => {
      process.exitCode = code;
      // Servers, timers or sockets left by a command must not keep a finished CLI alive.
      setTimeout(() => process.exit(code), 1000).unref();
    },
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
