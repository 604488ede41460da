// Test helper for the durability, HA and backup e2e tests: a small HTTPS client with the admin credentials of
// a kubeconfig, and a bounded stream of ConfigMap creates that records which writes were acknowledged (and at
// which resourceVersion), when, and how long the longest stall was. Loopback only; it stops by itself.
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface Api {
  url: string;
  call(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<{ status: number; body: string }>;
  json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  close(): void;
}

interface KubeconfigCreds {
  server: string;
  ca: string;
  cert: string;
  key: string;
}

export function kubeconfigCreds(path: string): KubeconfigCreds {
  const kc = parseYaml(readFileSync(path, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const b = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return {
    server: kc.clusters[0]!.cluster.server,
    ca: b(kc.clusters[0]!.cluster['certificate-authority-data']),
    cert: b(kc.users[0]!.user['client-certificate-data']),
    key: b(kc.users[0]!.user['client-key-data']),
  };
}

/** A client for `server` (default: the kubeconfig's) with the kubeconfig's admin credentials. */
export function apiFromKubeconfig(path: string, server?: string, maxSockets = 16): Api {
  const creds = kubeconfigCreds(path);
  const url = server ?? creds.server;
  const agent = new Agent({ keepAlive: true, maxSockets, ca: creds.ca, cert: creds.cert, key: creds.key });
  const call = (method: string, path: string, body?: unknown, timeoutMs = 10_000) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, url),
        { method, agent, timeout: timeoutMs, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(data);
    });
  return {
    url,
    call,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const r = await call(method, path, body);
      if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
      return JSON.parse(r.body) as T;
    },
    close: () => agent.destroy(),
  };
}

export interface WriteStreamResult {
  /** name → resourceVersion of the acknowledged create ("" when a retry found it already created). */
  acked: Map<string, string>;
  /** Writes given up (never acknowledged). */
  abandoned: number;
  /** Completion time (Date.now()) of each acknowledged write. */
  ackTimes: number[];
}

export interface WriteStreamOptions {
  apis: Api[];
  namespace: string;
  count: number;
  concurrency: number;
  /** Called after each acknowledged write with the number acknowledged so far. */
  onAck?(n: number): void;
  /** Stop starting writes (and retrying) once aborted. */
  signal?: AbortSignal;
  /** How long one write is retried on 5xx/network errors before it is abandoned (default 30 s). */
  retryForMs?: number;
  /** Prefix of the object names (default "cm-"). */
  prefix?: string;
}

/** Creates `count` ConfigMaps (round-robin over the APIs), retrying each on transient failures. */
export async function writeStream(opts: WriteStreamOptions): Promise<WriteStreamResult> {
  const acked = new Map<string, string>();
  const ackTimes: number[] = [];
  let abandoned = 0;
  let next = 0;
  const prefix = opts.prefix ?? 'cm-';
  const one = async (i: number) => {
    const name = `${prefix}${String(i).padStart(5, '0')}`;
    const deadline = Date.now() + (opts.retryForMs ?? 30_000);
    let attempt = 0;
    for (;;) {
      if (opts.signal?.aborted) return void abandoned++;
      const api = opts.apis[(i + attempt) % opts.apis.length]!;
      attempt++;
      try {
        const r = await api.call('POST', `/api/v1/namespaces/${opts.namespace}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name },
          data: { i: String(i) },
        });
        if (r.status === 201) {
          acked.set(name, (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
        } else if (r.status === 409 && attempt > 1) {
          acked.set(name, ''); // an earlier, unanswered attempt committed it
        } else if (r.status < 500 && r.status !== 429) {
          throw new Error(`create ${name}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
        } else {
          throw new RetryableError(`HTTP ${r.status}`);
        }
        ackTimes.push(Date.now());
        opts.onAck?.(acked.size);
        return;
      } catch (err) {
        if (err instanceof Error && !(err instanceof RetryableError) && /^create /.test(err.message)) throw err;
        if (Date.now() > deadline || opts.signal?.aborted) return void abandoned++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const worker = async () => {
    while (next < opts.count && !opts.signal?.aborted) await one(next++);
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { acked, abandoned, ackTimes };
}

class RetryableError extends Error {}

/** name → resourceVersion of every ConfigMap in the namespace (one list). */
export async function listConfigMaps(api: Api, namespace: string): Promise<Map<string, string>> {
  const list = await api.json<{ items: { metadata: { name: string; resourceVersion: string } }[] }>('GET', `/api/v1/namespaces/${namespace}/configmaps`);
  return new Map(list.items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
}

/** The acknowledged writes missing from `present` (or present at another resourceVersion). */
export function missingWrites(acked: Map<string, string>, present: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [name, rv] of acked) {
    const have = present.get(name);
    if (have === undefined || (rv !== '' && have !== rv)) out.push(`${name}@${rv} (have ${have ?? 'nothing'})`);
  }
  return out;
}
