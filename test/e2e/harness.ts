// End-to-end harness: starts a real `skiff up` (the built CLI) on an ephemeral port with a temp data dir,
// and runs the real kubectl against it with a private HOME (fresh discovery cache) and KUBECONFIG.
// Everything it starts is stopped by PID and every temp dir removed in stop().
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const kubectlPath = process.env.KUBECTL ?? '/usr/bin/kubectl';

/** How long `skiff up` may take to print its ready line (a loaded 2-core machine can need more than 30 s). */
const readyTimeoutMs = 60_000;

/**
 * Stops a child process: `signal`, then SIGKILL if it has not exited within graceMs; resolves with its exit code
 * once it has exited (at once when it already had).
 */
export async function stopChild(p: ChildProcess | undefined, graceMs = 15_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
  p.kill(signal);
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Why e2e tests cannot run here, or undefined when they can. */
export function e2eSkipReason(): string | undefined {
  if (!existsSync(kubectlPath)) return `kubectl not found at ${kubectlPath} (set KUBECTL=/path/to/kubectl); it is not installable from apt on these machines`;
  if (!existsSync(join(repoRoot, 'dist', 'cli', 'main.js'))) return 'dist/cli/main.js missing: run `npm run build` (npm test does it)';
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The local node's settings, distinct per cluster (derived from its API port) so that clusters running at
 * the same time never share a node server port, a pod CIDR, a service CIDR or a CNI bridge. Flags the test passes win.
 */
export function nodeArgs(port: number, extraArgs: string[] = []): string[] {
  const i = port % 4096;
  const defaults: [string, string][] = [
    ['--kubelet-port', '0'],
    ['--cluster-cidr', `10.${240 + (i >> 8)}.${i & 255}.0/24`],
    ['--cni-bridge', `skiff${port}`],
    // Each cluster has its own Service range, so one cluster's proxy never intercepts another's Service
    // traffic; its cluster DNS listens on the tenth address of that range.
    ['--service-cidr', `10.${44 + (i >> 8)}.${i & 255}.0/24`],
  ];
  return defaults.filter(([flag]) => !extraArgs.includes(flag)).flat();
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Cluster {
  private proc?: ChildProcess;
  private output = '';
  readonly home: string;
  readonly kubeconfig: string;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly ownsDataDir: boolean,
  ) {
    this.home = mkdtempSync(join(tmpdir(), 'skiff-e2e-home-'));
    this.kubeconfig = join(dataDir, 'kubeconfig.yaml');
  }

  static async start(opts: { dataDir?: string; port?: number; extraArgs?: string[] } = {}): Promise<Cluster> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-e2e-data-'));
    const c = new Cluster(dataDir, opts.port ?? (await freePort()), !opts.dataDir);
    try {
      await c.boot(opts.extraArgs ?? []);
    } catch (err) {
      // The caller never gets the cluster, so nobody else would stop it or remove its directories.
      await c.stop();
      throw err;
    }
    return c;
  }

  /** Starts (or restarts) the server process and waits for its "ready" line. */
  async boot(extraArgs: string[] = []): Promise<void> {
    const proc = spawn(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'up', '--data-dir', this.dataDir, '--api-port', String(this.port), ...nodeArgs(this.port, extraArgs), ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: this.home },
    });
    this.proc = proc;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`skiff up did not print ready within ${readyTimeoutMs / 1000}s:\n${this.output}`)), readyTimeoutMs);
      const onData = (d: Buffer) => {
        this.output += d.toString();
        if (/\bready\b/.test(this.output.split('\n').slice(-5).join('\n'))) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`skiff up exited with ${code} before ready:\n${this.output}`));
      });
    });
    try {
      await ready;
    } catch (err) {
      // A server that never became ready is stopped here: left running, its pipes would keep the test process
      // (and the whole run) waiting, with its pods, network and nft table still in place.
      proc.removeAllListeners('exit');
      await this.halt('SIGTERM');
      throw err;
    }
    proc.removeAllListeners('exit');
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get log(): string {
    return this.output;
  }

  /** Stops the server with a signal and waits for it to exit; returns the exit code. */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const code = await stopChild(this.proc, 15_000, signal);
    this.proc = undefined;
    return code;
  }

  async stop(): Promise<void> {
    await this.halt('SIGTERM');
    rmSync(this.home, { recursive: true, force: true });
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  kubectl(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(
        kubectlPath,
        args,
        {
          env: { ...process.env, HOME: this.home, KUBECONFIG: this.kubeconfig, ...opts.env },
          timeout: opts.timeoutMs ?? 60_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const code = err ? ((err as { code?: number }).code ?? 1) : 0;
          resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      if (opts.input !== undefined) {
        child.stdin!.end(opts.input);
      }
    });
  }

  /** kubectl that must succeed; returns stdout. */
  async k(args: string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  writeFile(name: string, content: string): string {
    const p = join(this.home, name);
    writeFileSync(p, content);
    return p;
  }
}
