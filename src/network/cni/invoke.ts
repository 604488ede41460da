// Runs CNI plugin binaries per the CNI spec: configuration on stdin, parameters in CNI_* environment
// variables, a result or an error object on stdout. Knows nothing about bridges or pods.
//
// One plugin per fork (invokePlugin), or several in one shell script (invokeBatch) that the process's script
// runner starts (shell-spawner.ts): forking this process costs milliseconds of its main thread each time, a
// small shell forks cheaply, so a pod's network set-up (namespace + loopback + bridge) forks nothing here.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellJoin, shellQuote } from '../../runtime/process/wrapper-script.js';
import { shellSpawner } from '../../runtime/process/shell-spawner.js';

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

const defaultPath = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment a plugin runs with: the CNI_* parameters (and PATH), plus the Go runtime's settings for a
 * process that lives a few milliseconds: one thread running Go code and no garbage collector. The reference
 * plugins are Go programs; so set, a bridge ADD or DEL (with the host-local run it starts, which inherits
 * them) cost about a fifth less CPU on a busy machine (15 runs each way, alternated three times, load
 * average 10-14: ADD 17.6-21.1 → 13.6-17.3 ms, DEL 15.9-18.9 → 12.7-15.1 ms, counting the shell around each
 * run); on a quiet one (load 2) both were ~10 ms either way.
 */
export function pluginEnv(inv: CniInvocation): Record<string, string> {
  return {
    CNI_COMMAND: inv.command,
    CNI_CONTAINERID: inv.containerId,
    CNI_NETNS: inv.netns,
    CNI_IFNAME: inv.ifName,
    CNI_ARGS: inv.args,
    CNI_PATH: inv.binDir,
    GOMAXPROCS: '1',
    GOGC: 'off',
  };
}

/** A finished plugin run: its result, or the error it reported (its stdout's Error object, else its stderr). */
export function pluginOutcome(type: string, exitCode: number | null, stdout: string, stderr: string): { ok: true; result: unknown } | { ok: false; error: CniError } {
  const text = stdout.trim();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    parsed = undefined;
  }
  if (exitCode === 0) return { ok: true, result: parsed };
  const err = stderr.trim();
  if (parsed && typeof parsed.code === 'number') {
    return { ok: false, error: new CniError(type, parsed.code, String(parsed.msg ?? ''), parsed.details ? String(parsed.details) : err || undefined) };
  }
  return { ok: false, error: new CniError(type, exitCode ?? -1, text || err || 'no output') };
}

export function invokePlugin(inv: CniInvocation): Promise<unknown> {
  const type = String(inv.input.type);
  return new Promise((resolve, reject) => {
    const child = spawn(join(inv.binDir, type), [], { env: { PATH: process.env.PATH ?? defaultPath, ...pluginEnv(inv) }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new CniError(type, -1, e.message)));
    child.on('close', (code) => {
      const o = pluginOutcome(type, code, Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8'));
      if (o.ok) resolve(o.result);
      else reject(o.error);
    });
    child.stdin.end(JSON.stringify(inv.input));
  });
}

/**
 * Several plugin runs in one shell: the `before` commands first, in order (when one fails nothing else
 * runs), then the plugins (concurrently, or one after another in order), then `after` whatever happened.
 * Each step writes its stdout, stderr and exit status to files named after it in the working directory.
 */
export interface CniBatch {
  before?: string[][];
  invocations: CniInvocation[];
  concurrent: boolean;
  after?: string[];
}

export type StepOutcome = { ok: true; result: unknown } | { ok: false; error: Error };

export interface CniBatchResult {
  /** Per invocation, in order; undefined when it did not run (`before` failed). */
  results: (StepOutcome | undefined)[];
  /** The failure of a `before` command (nothing after it ran). */
  beforeError?: Error;
  afterError?: Error;
}

const inputEnd = 'SKIFF_CNI_INPUT_END';

/**
 * The shell script for a batch (pure). JSON from JSON.stringify has no newline, so it cannot end the
 * here-document early. Its working directory is reused by later batches: it first empties every status file it
 * may write (a step that does not run leaves its status empty, not an earlier batch's).
 */
export function batchScript(b: CniBatch): string {
  const statusFiles = [...(b.before ?? []).map((_, i) => `before${i}.rc`), ...b.invocations.map((_, i) => `${i}.rc`), ...(b.after ? ['after.rc'] : [])];
  const lines = ['cd "$1" || exit 97'];
  if (statusFiles.length) lines.push(statusFiles.map((f) => `: >${f}`).join('; '));
  (b.before ?? []).forEach((cmd, i) => lines.push(`${shellJoin(cmd)} >before${i}.out 2>before${i}.err || { echo $? >before${i}.rc; exit 0; }`));
  b.invocations.forEach((inv, i) => {
    const env = Object.entries(pluginEnv(inv)).map(([k, v]) => `${k}=${shellQuote(v)}`);
    // The plugin in a subshell (its own environment), its status written when it ends; `&` runs the pair
    // in the background when the plugins run concurrently.
    lines.push(
      `{ ( export ${env.join(' ')}; exec ${shellQuote(join(inv.binDir, String(inv.input.type)))} >${i}.out 2>${i}.err <<'${inputEnd}'`,
      JSON.stringify(inv.input),
      inputEnd,
      `) ; echo $? >${i}.rc; }${b.concurrent ? ' &' : ''}`,
    );
  });
  if (b.concurrent) lines.push('wait');
  if (b.after) lines.push(`${shellJoin(b.after)} >after.out 2>after.err; echo $? >after.rc`);
  lines.push('exit 0', '');
  return lines.join('\n');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function stepError(dir: string, name: string, argv: string[]): Error | undefined {
  const rc = readText(join(dir, `${name}.rc`)).trim();
  if (rc === '' || rc === '0') return undefined;
  const err = readText(join(dir, `${name}.err`)).trim() || readText(join(dir, `${name}.out`)).trim();
  return new Error(`${argv.join(' ')} failed (exit ${rc})${err ? `: ${err}` : ''}`);
}

/**
 * Work directories of finished batches per work root, reused: creating a directory and a dozen files and
 * removing them again for each batch costs the agent (and the shell) file system work several times a pod.
 */
const idleWorkDirs = new Map<string, string[]>();

/** An idle work directory under `workRoot` with the batch's script in it (a new one when none is left). */
function workDirFor(workRoot: string, script: string): string {
  const idle = idleWorkDirs.get(workRoot) ?? [];
  idleWorkDirs.set(workRoot, idle);
  for (let dir = idle.pop(); dir !== undefined; dir = idle.pop()) {
    try {
      writeFileSync(join(dir, 'run.sh'), script);
      return dir;
    } catch {
      /* removed meanwhile (the runtime cleaned up its state): forget it */
    }
  }
  const dir = mkdtempSync(join(workRoot, 'batch-'));
  writeFileSync(join(dir, 'run.sh'), script);
  return dir;
}

/**
 * Runs a batch in one shell, started by the process's script runner (no fork of this process);
 * `workRoot` holds its work directories (kept for later batches; removed with `workRoot`).
 */
export async function invokeBatch(b: CniBatch, workRoot: string): Promise<CniBatchResult> {
  const dir = workDirFor(workRoot, batchScript(b));
  let reusable = false;
  try {
    const code = await shellSpawner.run(dir);
    if (code !== 0) throw new Error(`the CNI batch shell failed (exit ${code}): ${readText(join(dir, 'sh.err')).trim()}`);
    let beforeError: Error | undefined;
    for (let i = 0; i < (b.before?.length ?? 0) && !beforeError; i++) beforeError = stepError(dir, `before${i}`, b.before![i]!);
    const results = b.invocations.map((inv, i): StepOutcome | undefined => {
      if (beforeError) return undefined;
      const rc = readText(join(dir, `${i}.rc`)).trim();
      const type = String(inv.input.type);
      if (rc === '') return { ok: false, error: new CniError(type, -1, 'the plugin did not run') };
      return pluginOutcome(type, Number(rc), readText(join(dir, `${i}.out`)), readText(join(dir, `${i}.err`)));
    });
    const afterError = b.after ? stepError(dir, 'after', b.after) : undefined;
    reusable = true;
    return { results, ...(beforeError ? { beforeError } : {}), ...(afterError ? { afterError } : {}) };
  } finally {
    // A batch whose shell failed may still have steps running: its directory is not reused.
    if (reusable) idleWorkDirs.get(workRoot)!.push(dir);
    else rmSync(dir, { recursive: true, force: true });
  }
}
