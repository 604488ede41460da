#!/usr/bin/env node
// `npm run bench -- <name> [args]`: builds if needed, then runs bench/<name>.ts. Each benchmark prints
// human-readable figures and, as its last line, one JSON object with them.
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3));
if (!name || !existsSync(join(root, 'bench', `${name}.ts`))) {
  console.error(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}`);
  process.exit(2);
}
const prep = spawnSync(process.execPath, [join(root, 'scripts', 'prepare.mjs')], { stdio: 'inherit', cwd: root });
if (prep.status !== 0) process.exit(prep.status ?? 1);
// Not spawnSync: a SIGTERM (timeout, a supervisor) or SIGINT sent to this process alone reaches the benchmark,
// which stops the servers it started and removes their data directories before it exits.
const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'bench', `${name}.ts`), ...rest], { stdio: 'inherit', cwd: root });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1)));
