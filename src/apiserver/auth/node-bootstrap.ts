// How another machine joins as a node (k3s-style join token): the token "K10<sha256 of the CA PEM>::node:<secret>"
// lets the agent fetch the cluster CA without trusting the network (GET /skiff/v1/bootstrap/ca is public, as
// k3s's /cacerts; the agent checks the hash) and then, over verified TLS with the secret as bearer token,
// obtain its credentials (POST /skiff/v1/bootstrap/node): a client certificate for system:node:<name> and a
// serving certificate for its node server. These two paths are answered before authentication; nothing else
// is. The secret lives in DIR/join-token (0600). Token parsing and checks are pure; certificate issuing is
// pki.ts's.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const bootstrapPrefix = '/skiff/v1/bootstrap/';
export const caPath = `${bootstrapPrefix}ca`;
export const nodePath = `${bootstrapPrefix}node`;

export interface NodeCredentials {
  caCert: string;
  clientCert: string;
  clientKey: string;
  servingCert: string;
  servingKey: string;
}

export interface NodeBootstrap {
  handles(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function caHash(caCert: string): string {
  return createHash('sha256').update(caCert).digest('hex');
}

export function formatJoinToken(caCert: string, secret: string): string {
  return `K10${caHash(caCert)}::node:${secret}`;
}

/** "K10<hash>::node:<secret>" (secure) or a bare secret (the CA is then taken on trust). */
export function parseJoinToken(token: string): { caHash?: string; secret: string } {
  const m = /^K10([0-9a-f]{64})::(?:[^:]+:)?(.+)$/.exec(token.trim());
  if (m) return { caHash: m[1], secret: m[2]! };
  if (token.startsWith('K10')) throw new Error('malformed join token: expected K10<sha256>::node:<secret>');
  return { secret: token.trim() };
}

/** The join secret of a data directory, created on first use. */
export function ensureJoinSecret(dataDir: string): string {
  const file = join(dataDir, 'join-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(24).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

export function secretMatches(given: string | undefined, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A DNS-1123 subdomain (a Node name). */
export function validNodeName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export function nodeBootstrap(o: { caCert: string; secret: string; issue: (nodeName: string, addresses: string[]) => Promise<NodeCredentials>; log?: (line: string) => void }): NodeBootstrap {
  return {
    handles: (path) => path.startsWith(bootstrapPrefix),
    async handle(req, res) {
      const path = new URL(req.url ?? '/', 'https://localhost').pathname;
      if (path === caPath && req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'application/x-pem-file' });
        return void res.end(o.caCert);
      }
      if (path !== nodePath) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
      if (req.method !== 'POST') return status(res, 405, 'MethodNotAllowed', `${req.method} is not supported on ${path}`);
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!secretMatches(auth, o.secret)) {
        req.resume();
        return status(res, 401, 'Unauthorized', 'Unauthorized');
      }
      let body: { nodeName?: unknown; addresses?: unknown };
      try {
        body = (await readJson(req)) as typeof body;
      } catch (e) {
        return status(res, 400, 'BadRequest', `invalid join request: ${(e as Error).message}`);
      }
      if (!validNodeName(body.nodeName)) return status(res, 422, 'Invalid', `invalid node name ${JSON.stringify(body.nodeName)}: must be a lowercase RFC 1123 subdomain`);
      const addresses = Array.isArray(body.addresses) ? body.addresses.filter((a): a is string => typeof a === 'string').slice(0, 16) : [];
      const creds = await o.issue(body.nodeName, addresses);
      o.log?.(`node ${body.nodeName} joined (addresses ${addresses.join(', ') || 'none'})`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(creds));
    },
  };
}
