// Test harness: starts and stops real etcd members (1 or 3) on 127.0.0.1 for storage tests. It only ever signals
// the PIDs it spawned itself, waits on them, and removes the temp directories it created. It must not be
// imported by src/ code.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.SKIFF_ETCD_BIN ?? '/usr/bin/etcd';
export const ETCD_SKIP_REASON = 'etcd not installed: run scripts/install-system-packages.sh as root';

/** Undefined when etcd can be run; otherwise the reason tests must skip. */
export function etcdSkipReason(): string | undefined {
  return existsSync(ETCD_BIN) ? undefined : ETCD_SKIP_REASON;
}

export interface StartEtcdOptions {
  members: 1 | 3;
  /** Parent directory for member data dirs; when given it is not removed by stop(). */
  dataDir?: string;
  /** Extra flags for every member, e.g. ['--experimental-watch-progress-notify-interval=1s']. */
  extraArgs?: string[];
  /** How long to wait for the cluster to become healthy (default 30 s). */
  healthTimeoutMs?: number;
  /** Serve clients over TLS with client-certificate auth (certificates made with the openssl CLI). */
  tls?: boolean;
}

/** PEM file paths: the CA that signed the server, and a client certificate/key it accepts. */
export interface EtcdClientTls {
  ca: string;
  cert: string;
  key: string;
}

/** Undefined when TLS members can be started; otherwise why not. */
export function etcdTlsSkipReason(): string | undefined {
  return etcdSkipReason() ?? (existsSync('/usr/bin/openssl') ? undefined : 'openssl not installed');
}

/** A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, in `dir`. */
function makeCertificates(dir: string): EtcdClientTls & { serverCert: string; serverKey: string } {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=skiff-test-ca', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  const issue = (name: string, cn: string, ext: string) => {
    writeFileSync(f(`${name}.ext`), ext);
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`,
      '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'),
      '-CAcreateserial', '-days', '1', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`));
  };
  issue('server', 'etcd', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', 'skiff-apiserver', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: f('ca.crt'),
    cert: f('client.crt'),
    key: f('client.key'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
  };
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  logFile: string;
  /** PID of the running process, undefined while the member is down. */
  pid: number | undefined;
}

export interface EtcdCluster {
  /** Client URLs (http(s)://127.0.0.1:port), one per member, in member order. */
  endpoints: string[];
  /** Client certificate material when started with `tls: true`. */
  tls: EtcdClientTls | undefined;
  members: EtcdMember[];
  /** PIDs of running members (undefined entries for stopped members). */
  pids(): (number | undefined)[];
  /** Index of the member that currently leads (asks each running member; retries). Plain-HTTP clusters only. */
  leaderIndex(timeoutMs?: number): Promise<number>;
  /** Sends `signal` to member i and waits until the process has exited. */
  killMember(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a previously killed member again on the same ports and data dir; waits until it is healthy. */
  restartMember(i: number): Promise<void>;
  /** SIGTERM each member in turn, wait on its PID (SIGKILL after 15 s), remove temp dirs. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 15_000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test crashes before stop(): never leave our own members behind.
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function fetchJson(url: string, init?: RequestInit, timeoutMs = 1000): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return res.json();
}

function httpsJson(url: string, tls: EtcdClientTls, timeoutMs = 1000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key), timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function isHealthy(clientUrl: string, tls: EtcdClientTls | undefined): Promise<boolean> {
  try {
    const url = `${clientUrl}/health`;
    const body = (await (tls ? httpsJson(url, tls) : fetchJson(url))) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

export async function startEtcd(opts: StartEtcdOptions): Promise<EtcdCluster> {
  const reason = etcdSkipReason();
  if (reason) throw new Error(reason);
  installExitHook();

  const ownDir = opts.dataDir === undefined;
  const root = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
  const token = `skiff-test-${process.pid}-${Date.now()}`;
  let certs: ReturnType<typeof makeCertificates> | undefined;
  if (opts.tls) {
    try {
      certs = makeCertificates(root);
    } catch (err) {
      if (ownDir) rmSync(root, { recursive: true, force: true });
      throw err;
    }
  }
  const tls: EtcdClientTls | undefined = certs && { ca: certs.ca, cert: certs.cert, key: certs.key };
  const scheme = certs ? 'https' : 'http';
  const members: EtcdMember[] = [];
  for (let i = 0; i < opts.members; i++) {
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const dataDir = join(root, `m${i}`);
    mkdirSync(dataDir, { recursive: true });
    members.push({
      name: `m${i}`,
      clientUrl: `${scheme}://127.0.0.1:${clientPort}`,
      peerUrl: `http://127.0.0.1:${peerPort}`,
      dataDir,
      logFile: join(root, `m${i}.log`),
      pid: undefined,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const children: (ChildProcess | undefined)[] = members.map(() => undefined);

  const spawnMember = (i: number): void => {
    const m = members[i]!;
    const log = openSync(m.logFile, 'a');
    const args = [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=${m.clientUrl}`,
      `--advertise-client-urls=${m.clientUrl}`,
      `--listen-peer-urls=${m.peerUrl}`,
      `--initial-advertise-peer-urls=${m.peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=${token}`,
      '--initial-cluster-state=new',
      ...(certs
        ? [
            `--cert-file=${certs.serverCert}`,
            `--key-file=${certs.serverKey}`,
            `--trusted-ca-file=${certs.ca}`,
            '--client-cert-auth',
          ]
        : []),
      '--logger=zap',
      '--log-outputs=stderr',
      ...(opts.extraArgs ?? []),
    ];
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    children[i] = child;
    live.add(child);
    m.pid = child.pid;
    child.once('exit', () => {
      live.delete(child);
      if (children[i] === child) m.pid = undefined;
    });
  };

  const waitHealthy = async (indices: number[], timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (const i of indices) {
      for (;;) {
        const child = children[i];
        if (!child || child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`etcd member ${i} exited during start-up; see ${members[i]!.logFile}`);
        }
        if (await isHealthy(members[i]!.clientUrl, tls)) break;
        if (Date.now() > deadline) throw new Error(`etcd member ${i} not healthy in ${timeoutMs} ms`);
        await sleep(100);
      }
    }
  };

  const killMember = async (i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = children[i];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    if (!(await waitExit(child, STOP_GRACE_MS))) {
      child.kill('SIGKILL');
      await waitExit(child, STOP_GRACE_MS);
    }
  };

  const stop = async (): Promise<void> => {
    // One at a time: members SIGTERMed together spend seconds trying to hand leadership to each other.
    for (let i = 0; i < members.length; i++) await killMember(i, 'SIGTERM');
    if (ownDir) rmSync(root, { recursive: true, force: true });
  };

  try {
    members.forEach((_, i) => spawnMember(i));
    await waitHealthy(
      members.map((_, i) => i),
      opts.healthTimeoutMs ?? 30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    endpoints: members.map((m) => m.clientUrl),
    tls,
    members,
    pids: () => members.map((m) => m.pid),
    killMember,
    async restartMember(i: number): Promise<void> {
      await killMember(i, 'SIGTERM');
      spawnMember(i);
      await waitHealthy([i], opts.healthTimeoutMs ?? 30_000);
    },
    async leaderIndex(timeoutMs = 10_000): Promise<number> {
      if (tls) throw new Error('leaderIndex: not supported on TLS clusters');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let i = 0; i < members.length; i++) {
          if (members[i]!.pid === undefined) continue;
          try {
            const body = (await fetchJson(`${members[i]!.clientUrl}/v3/maintenance/status`, {
              method: 'POST',
              body: '{}',
            })) as { header?: { member_id?: string }; leader?: string };
            if (body.leader && body.leader !== '0' && body.header?.member_id === body.leader) return i;
          } catch {
            /* member not answering; try the next one */
          }
        }
        if (Date.now() > deadline) throw new Error('no etcd leader found');
        await sleep(100);
      }
    },
    stop,
  };
}
