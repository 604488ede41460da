// The agent's side of joining a cluster with a join token: fetch the cluster CA (checked against the hash in
// the token), then ask for this node's credentials over verified TLS, and keep them under the agent's data
// directory so a restarted agent does not join again (it re-joins only when they are missing, expiring or
// signed by another CA). The server side is src/apiserver/auth/node-bootstrap.ts.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { caHash, caPath, nodePath, parseJoinToken, type NodeCredentials } from '../apiserver/auth/node-bootstrap.js';

function call(url: URL, opts: { ca?: string; method: string; token?: string; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method,
        ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }),
        headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(opts.body ? { 'Content-Type': 'application/json' } : {}) },
        timeout: 15_000,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

function credsFiles(dir: string) {
  const tls = join(dir, 'tls');
  return {
    dir: tls,
    caCert: join(tls, 'ca.crt'),
    clientCert: join(tls, 'node.crt'),
    clientKey: join(tls, 'node.key'),
    servingCert: join(tls, 'serving.crt'),
    servingKey: join(tls, 'serving.key'),
  };
}

/** Stored credentials still good for 30 days and signed by the CA the token names, else undefined. */
export function storedCredentials(dataDir: string, token: string, nowMs = Date.now()): NodeCredentials | undefined {
  const f = credsFiles(dataDir);
  if (![f.caCert, f.clientCert, f.clientKey, f.servingCert, f.servingKey].every((p) => existsSync(p))) return undefined;
  const creds: NodeCredentials = {
    caCert: readFileSync(f.caCert, 'utf8'),
    clientCert: readFileSync(f.clientCert, 'utf8'),
    clientKey: readFileSync(f.clientKey, 'utf8'),
    servingCert: readFileSync(f.servingCert, 'utf8'),
    servingKey: readFileSync(f.servingKey, 'utf8'),
  };
  const want = parseJoinToken(token).caHash;
  if (want && caHash(creds.caCert) !== want) return undefined;
  try {
    const ca = new X509Certificate(creds.caCert);
    for (const pem of [creds.clientCert, creds.servingCert]) {
      const c = new X509Certificate(pem);
      if (!c.checkIssued(ca) || Date.parse(c.validTo) - nowMs < 30 * 86_400_000) return undefined;
    }
  } catch {
    return undefined;
  }
  return creds;
}

/** Joins the cluster at server with token; returns (and stores) this node's credentials. */
export async function joinCluster(server: string, token: string, nodeName: string, addresses: string[], dataDir: string, log: (l: string) => void): Promise<NodeCredentials> {
  const kept = storedCredentials(dataDir, token);
  if (kept) return kept;
  const { caHash: want, secret } = parseJoinToken(token);
  const base = new URL(server);
  const ca = await call(new URL(caPath, base), { method: 'GET' });
  if (ca.status !== 200 || !ca.body.includes('BEGIN CERTIFICATE')) throw new Error(`${server} did not hand out a cluster CA (HTTP ${ca.status}); is it a Skiff server?`);
  if (want && caHash(ca.body) !== want) throw new Error(`the CA of ${server} does not match the join token (someone in between, or a token of another cluster)`);
  if (!want) log(`agent: the join token carries no CA hash; trusting the CA ${server} presented`);
  const res = await call(new URL(nodePath, base), { ca: ca.body, method: 'POST', token: secret, body: JSON.stringify({ nodeName, addresses }) });
  if (res.status === 401) throw new Error(`${server} refused the join token`);
  if (res.status !== 200) throw new Error(`joining ${server} failed (HTTP ${res.status}): ${res.body.slice(0, 300)}`);
  const creds = JSON.parse(res.body) as NodeCredentials;
  storeCredentials(dataDir, creds);
  log(`agent: joined ${server} as system:node:${nodeName}`);
  return creds;
}

function storeCredentials(dataDir: string, creds: NodeCredentials): void {
  const f = credsFiles(dataDir);
  mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  for (const [k, mode] of [['caCert', 0o644], ['clientCert', 0o644], ['clientKey', 0o600], ['servingCert', 0o644], ['servingKey', 0o600]] as const) {
    writeFileSync(f[k], creds[k], { mode });
    chmodSync(f[k], mode);
  }
}

/**
 * Credentials of the node embedded in a server (`skiff up`): issued straight from the server's PKI in
 * serverDataDir, kept in the agent's data directory while they stay good.
 */
export async function localNodeCredentials(serverDataDir: string, agentDataDir: string, nodeName: string, addresses: string[]): Promise<NodeCredentials> {
  const ca = readFileSync(join(serverDataDir, 'tls', 'ca.crt'), 'utf8');
  const kept = storedCredentials(agentDataDir, `K10${caHash(ca)}::node:-`);
  if (kept && new X509Certificate(kept.clientCert).subject.includes(`CN=system:node:${nodeName}`)) return kept;
  const { issueNodeCertificates } = await import('../apiserver/auth/pki.js');
  const creds = await issueNodeCertificates(serverDataDir, nodeName, addresses);
  storeCredentials(agentDataDir, creds);
  return creds;
}
