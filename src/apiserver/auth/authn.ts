// Authentication: who is making this request? Two ways in, as upstream's x509 and static-token
// authenticators: a TLS client certificate the server verified against the cluster CA (CN → user name,
// O → groups), or `Authorization: Bearer <token>` matched against the static token file. Every authenticated
// user also gets the group "system:authenticated". Anonymous requests yield undefined (the server answers 401).
// This module decides identity only; it must not decide what a user may do (that is authz.ts).

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseTokenFile, type StaticToken } from './token-file.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export interface Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined;
}

export const AUTHENTICATED_GROUP = 'system:authenticated';

/** The subject fields of a peer certificate as node:tls reports them (a field repeats as an array). */
export interface CertSubject {
  CN?: string | string[];
  O?: string | string[];
}

/** CN → username, O → groups (pure). Undefined when there is no CN. */
export function userFromCertSubject(subject: CertSubject | undefined): UserInfo | undefined {
  if (!subject) return undefined;
  const cn = Array.isArray(subject.CN) ? subject.CN[0] : subject.CN;
  if (!cn) return undefined;
  const o = subject.O === undefined ? [] : Array.isArray(subject.O) ? subject.O : [subject.O];
  return { username: cn, groups: withAuthenticated(o) };
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, as upstream). */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

function withAuthenticated(groups: string[]): string[] {
  return groups.includes(AUTHENTICATED_GROUP) ? [...groups] : [...groups, AUTHENTICATED_GROUP];
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Static bearer tokens, compared in constant time per entry (every entry is compared, no early exit). */
export class TokenAuthenticator {
  private readonly entries: { hash: Buffer; user: UserInfo }[];

  constructor(tokens: StaticToken[]) {
    this.entries = tokens.map((t) => ({
      hash: digest(t.token),
      user: { username: t.user, ...(t.uid ? { uid: t.uid } : {}), groups: withAuthenticated(t.groups) },
    }));
  }

  static fromFile(path: string): TokenAuthenticator {
    return new TokenAuthenticator(parseTokenFile(readFileSync(path, 'utf8')));
  }

  authenticateToken(token: string): UserInfo | undefined {
    const h = digest(token);
    let found: UserInfo | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(h, e.hash)) found = e.user;
    }
    return found ? { ...found, groups: [...found.groups] } : undefined;
  }
}

export interface RequestAuthenticatorOptions {
  /** Static tokens; absent = bearer tokens are not accepted. */
  tokens?: TokenAuthenticator;
  /** Accept verified client certificates (default true). */
  clientCerts?: boolean;
}

/** Client certificate first (as upstream's union order), then bearer token. */
export class RequestAuthenticator implements Authenticator {
  /** The certificate cannot change within a TLS connection: decode it once per socket (a hot path). */
  private readonly certUsers = new WeakMap<object, UserInfo | null>();
  /**
   * The static-token user a connection last authenticated as, by its Authorization header: a client sends
   * the same header on every request of a keep-alive connection, and static tokens never change while the
   * server runs, so the hash and the comparisons run once per connection and header (a hot path).
   */
  private readonly tokenUsers = new WeakMap<object, { header: string; user: UserInfo | undefined }>();

  constructor(private readonly opts: RequestAuthenticatorOptions) {}

  authenticate(req: IncomingMessage): UserInfo | undefined {
    if (this.opts.clientCerts !== false) {
      const user = this.certUser(req.socket as Partial<TLSSocket>);
      if (user) return user;
    }
    if (this.opts.tokens) {
      const header = req.headers.authorization;
      if (!header) return undefined;
      const seen = this.tokenUsers.get(req.socket);
      if (seen !== undefined && seen.header === header) return seen.user;
      const token = bearerToken(header);
      if (!token) return undefined;
      const user = this.opts.tokens.authenticateToken(token);
      this.tokenUsers.set(req.socket, { header, user });
      return user;
    }
    return undefined;
  }

  private certUser(sock: Partial<TLSSocket>): UserInfo | undefined {
    let user = this.certUsers.get(sock);
    if (user === undefined) {
      user = null;
      if (sock.authorized === true && typeof sock.getPeerCertificate === 'function') {
        user = userFromCertSubject(sock.getPeerCertificate().subject as CertSubject | undefined) ?? null;
      }
      this.certUsers.set(sock, user);
    }
    return user ?? undefined;
  }
}

/** The authenticator `skiff up` uses: verified client certificates plus the data dir's token file. */
export function createAuthenticator(tokenFile?: string): Authenticator {
  return new RequestAuthenticator({ clientCerts: true, tokens: tokenFile ? TokenAuthenticator.fromFile(tokenFile) : undefined });
}
