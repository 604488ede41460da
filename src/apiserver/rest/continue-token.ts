// List continuation tokens in upstream's format: base64(JSON {"v":"meta.k8s.io/v1","rv":N,"start":"key"}),
// where start is the key to continue after, relative to the collection prefix. Pure.
import { errors } from '../../api/errors.js';

export interface ContinueToken {
  revision: number;
  /** Last returned key, relative to the list's key prefix. */
  startAfter: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.revision, start: t.startAfter + '\u0000' })).toString('base64url');
}

export function decodeContinue(token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw errors.badRequest('continue key is not valid: illegal base64 data or JSON');
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (!p || p.v !== 'meta.k8s.io/v1') throw errors.badRequest('continue key is not valid: server does not recognize this encoded key version');
  if (typeof p.rv !== 'number' || !Number.isInteger(p.rv) || p.rv <= 0) throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof p.start !== 'string' || p.start.includes('..') || p.start.startsWith('/')) {
    throw errors.badRequest('continue key is not valid: encoded start key is invalid');
  }
  const start = p.start.endsWith('\u0000') ? p.start.slice(0, -1) : p.start;
  return { revision: p.rv, startAfter: start };
}
