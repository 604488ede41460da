// ServiceAccount tokens: JWTs signed with the cluster's service-account key (ES256) carrying upstream's
// claims (iss, sub, aud, exp, iat, nbf, jti and the private "kubernetes.io" claim naming the namespace,
// service account and the object the token is bound to), and the authenticator that accepts them: a valid
// signature from this cluster's issuer, an audience the API server accepts, not expired, and the service
// account (and bound pod/secret) still existing with the same uid. The object lookups are synchronous reads
// of the server's watch caches, so authentication stays on the request's synchronous path.
import { randomUUID, sign, verify } from 'node:crypto';
import type { UserInfo } from './authn.js';
import type { ServiceAccountKey } from './service-account-key.js';

export const defaultIssuer = 'https://kubernetes.default.svc.cluster.local';
export const serviceAccountUsernamePrefix = 'system:serviceaccount:';
export const allServiceAccountsGroup = 'system:serviceaccounts';

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface TokenClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${serviceAccountUsernamePrefix}${namespace}:${name}`;
}

/** The claims of a new token (pure but for the random jti). */
export function buildClaims(o: { issuer: string; audiences: string[]; nowSec: number; expirationSeconds: number; kubernetes: KubernetesClaim }): TokenClaims {
  return {
    aud: o.audiences,
    exp: o.nowSec + o.expirationSeconds,
    iat: o.nowSec,
    iss: o.issuer,
    jti: randomUUID(),
    'kubernetes.io': o.kubernetes,
    nbf: o.nowSec,
    sub: serviceAccountUsername(o.kubernetes.namespace, o.kubernetes.serviceaccount.name),
  };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export function signToken(key: ServiceAccountKey, claims: TokenClaims): string {
  const signingInput = `${b64({ alg: 'ES256', kid: key.kid })}.${b64(claims)}`;
  const sig = sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${sig.toString('base64url')}`;
}

/** Whether a bearer token has the shape of a JWS compact serialization (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The claims when the signature verifies with one of `keys`, else undefined. Checks no claim. */
export function verifyToken(token: string, keys: ServiceAccountKey[]): TokenClaims | undefined {
  if (!looksLikeJwt(token)) return undefined;
  const [h, p, s] = token.split('.') as [string, string, string];
  let header: { alg?: string; kid?: string };
  let claims: TokenClaims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (header.alg !== 'ES256' || !claims || typeof claims !== 'object') return undefined;
  const input = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const candidates = header.kid ? keys.filter((k) => k.kid === header.kid) : keys;
  return candidates.some((k) => verify('sha256', input, { key: k.publicKey, dsaEncoding: 'ieee-p1363' }, sig)) ? claims : undefined;
}

/** Why the standard claims are not acceptable, or undefined (pure). */
export function claimsProblem(c: TokenClaims, o: { issuer: string; audiences: string[]; nowSec: number }): string | undefined {
  if (c.iss !== o.issuer) return 'token issuer is not this cluster';
  const aud = Array.isArray(c.aud) ? c.aud : typeof c.aud === 'string' ? [c.aud] : [];
  if (!aud.some((a) => o.audiences.includes(a))) return 'token audiences is invalid for the current issuer';
  if (typeof c.exp !== 'number' || o.nowSec >= c.exp) return 'service account token has expired';
  if (typeof c.nbf === 'number' && o.nowSec < c.nbf) return 'service account token is not valid yet';
  const k = c['kubernetes.io'];
  if (!k || typeof k.namespace !== 'string' || !k.serviceaccount?.name) return 'token has no kubernetes.io claim';
  if (c.sub !== serviceAccountUsername(k.namespace, k.serviceaccount.name)) return 'token subject does not match its service account';
  return undefined;
}

/** Objects a token may be bound to, read synchronously (undefined = it does not exist). */
export interface BoundObjectLookup {
  serviceAccountUid(namespace: string, name: string): string | undefined;
  podUid(namespace: string, name: string): string | undefined;
  secretUid(namespace: string, name: string): string | undefined;
}

export interface ServiceAccountAuthenticatorOptions {
  keys: ServiceAccountKey[];
  issuer: string;
  audiences: string[];
  lookup: BoundObjectLookup;
  now?: () => number;
  log?: (line: string) => void;
}

/** Why the objects behind a token no longer fit it, or undefined. */
export function boundObjectsProblem(k: KubernetesClaim, lookup: BoundObjectLookup): string | undefined {
  const saUid = lookup.serviceAccountUid(k.namespace, k.serviceaccount.name);
  if (saUid === undefined) return `service account ${k.namespace}/${k.serviceaccount.name} has been deleted`;
  if (k.serviceaccount.uid && saUid !== k.serviceaccount.uid) return `service account UID (${k.serviceaccount.uid}) does not match service account (${saUid})`;
  if (k.pod) {
    const uid = lookup.podUid(k.namespace, k.pod.name);
    if (uid === undefined) return `pod ${k.namespace}/${k.pod.name} has been deleted`;
    if (uid !== k.pod.uid) return `pod UID (${k.pod.uid}) does not match the pod (${uid})`;
  }
  if (k.secret) {
    const uid = lookup.secretUid(k.namespace, k.secret.name);
    if (uid === undefined) return `secret ${k.namespace}/${k.secret.name} has been deleted`;
    if (uid !== k.secret.uid) return `secret UID (${k.secret.uid}) does not match the secret (${uid})`;
  }
  return undefined;
}

const verifiedCacheSize = 4096;

export class ServiceAccountTokenAuthenticator {
  /** Signature checks are the expensive part: remember tokens already verified (claims are re-checked every time). */
  private readonly verified = new Map<string, TokenClaims>();

  constructor(private readonly opts: ServiceAccountAuthenticatorOptions) {}

  /** The token's user, or undefined. `audiences` replaces the API server's own (TokenReview spec.audiences). */
  authenticateToken(token: string, audiences = this.opts.audiences): UserInfo | undefined {
    let claims = this.verified.get(token);
    if (!claims) {
      claims = verifyToken(token, this.opts.keys);
      if (!claims) return undefined;
      if (this.verified.size >= verifiedCacheSize) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    const nowSec = Math.floor((this.opts.now?.() ?? Date.now()) / 1000);
    const problem = claimsProblem(claims, { issuer: this.opts.issuer, audiences, nowSec }) ?? boundObjectsProblem(claims['kubernetes.io'], this.opts.lookup);
    if (problem) {
      if (nowSec >= claims.exp) this.verified.delete(token);
      this.opts.log?.(`service account token rejected: ${problem}`);
      return undefined;
    }
    const k = claims['kubernetes.io'];
    return {
      username: serviceAccountUsername(k.namespace, k.serviceaccount.name),
      uid: k.serviceaccount.uid,
      groups: [allServiceAccountsGroup, `${allServiceAccountsGroup}:${k.namespace}`, 'system:authenticated'],
    };
  }
}
