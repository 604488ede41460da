// `skiff version`: the Skiff version (from package.json) and the Node.js it runs on.

import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';

export function skiffVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the skiff version',
  options: [],
  async run(_opts, ctx) {
    ctx.stdout.write(`skiff v${skiffVersion()} (node ${process.version}, ${process.platform}/${process.arch})\n`);
    return 0;
  },
};
