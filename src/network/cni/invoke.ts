// Runs a CNI plugin binary per the CNI spec: configuration on stdin, parameters in CNI_* environment
// variables, a result or an error object on stdout. Knows nothing about bridges or pods.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

export interface CniInvocation {
  binDir: string;
  command: CniCommand;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  input: Record<string, unknown>;
}

/** A plugin's error result (CNI spec "Error" object). */
export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly code: number,
    msg: string,
    readonly details?: string,
  ) {
    super(`CNI plugin ${plugin} failed (${code}): ${msg}${details ? `: ${details}` : ''}`);
  }
}

export function invokePlugin(inv: CniInvocation): Promise<unknown> {
  const type = String(inv.input.type);
  return new Promise((resolve, reject) => {
    const child = spawn(join(inv.binDir, type), [], {
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_COMMAND: inv.command,
        CNI_CONTAINERID: inv.containerId,
        CNI_NETNS: inv.netns,
        CNI_IFNAME: inv.ifName,
        CNI_ARGS: inv.args,
        CNI_PATH: inv.binDir,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new CniError(type, -1, e.message)));
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8').trim();
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        parsed = undefined;
      }
      if (code === 0) return resolve(parsed);
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (parsed && typeof parsed.code === 'number') {
        return reject(new CniError(type, parsed.code, String(parsed.msg ?? ''), parsed.details ? String(parsed.details) : stderr || undefined));
      }
      reject(new CniError(type, code ?? -1, text || stderr || 'no output'));
    });
    child.stdin.end(JSON.stringify(inv.input));
  });
}
