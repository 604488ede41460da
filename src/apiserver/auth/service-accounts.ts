// The API server's ServiceAccount token machinery in one place: the signing key (from the datastore), the
// issuer and accepted audiences, the authenticator for bearer JWTs (bound objects checked in the watch
// caches), and the OIDC discovery documents (/.well-known/openid-configuration, /openid/v1/jwks) that let
// other systems verify the tokens. server.ts wires it; TokenRequest (rest/token-request.ts) issues through it.
import type { IncomingMessage } from 'node:http';
import type { Store } from '../../storage/store.js';
import type { WatchCache } from '../../storage/watch-cache.js';
import type { ObjectStorage } from '../object-storage.js';
import type { ResourceRegistry } from '../resource-registry.js';
import { bearerToken, type Authenticator, type UserInfo } from './authn.js';
import { ensureServiceAccountKey, type ServiceAccountKey } from './service-account-key.js';
import {
  buildClaims,
  defaultIssuer,
  looksLikeJwt,
  ServiceAccountTokenAuthenticator,
  signToken,
  type BoundObjectLookup,
  type KubernetesClaim,
} from './service-account-token.js';

export interface ServiceAccountTokensOptions {
  /** Upstream --service-account-issuer (default https://kubernetes.default.svc.cluster.local). */
  issuer?: string;
  /** Upstream --api-audiences (default: the issuer). */
  audiences?: string[];
  log?: (line: string) => void;
  now?: () => number;
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly audiences: string[];
  readonly authenticator: ServiceAccountTokenAuthenticator;
  private readonly caches = new Map<string, WatchCache>();

  private constructor(
    readonly key: ServiceAccountKey,
    private readonly storage: ObjectStorage,
    private readonly registry: ResourceRegistry,
    private readonly opts: ServiceAccountTokensOptions,
  ) {
    this.issuer = opts.issuer ?? defaultIssuer;
    this.audiences = opts.audiences ?? [this.issuer];
    this.authenticator = new ServiceAccountTokenAuthenticator({
      keys: [key],
      issuer: this.issuer,
      audiences: this.audiences,
      lookup: this.lookup(),
      now: opts.now,
      log: opts.log,
    });
  }

  static async start(store: Store, storage: ObjectStorage, registry: ResourceRegistry, opts: ServiceAccountTokensOptions = {}): Promise<ServiceAccountTokens> {
    const t = new ServiceAccountTokens(await ensureServiceAccountKey(store), storage, registry, opts);
    for (const resource of ['serviceaccounts', 'pods', 'secrets']) {
      const rt = registry.lookup('', 'v1', resource)!;
      // Resolves once the server has started its caches; until then tokens are not accepted.
      void storage.cache(rt).then((c) => t.caches.set(resource, c), () => undefined);
    }
    return t;
  }

  private lookup(): BoundObjectLookup {
    const uid = (resource: string, ns: string, name: string): string | undefined => {
      const cache = this.caches.get(resource);
      const rt = this.registry.lookup('', 'v1', resource);
      if (!cache || !rt) return undefined;
      return cache.get(this.storage.key(rt, ns, name))?.metadata.uid;
    };
    return {
      serviceAccountUid: (ns, name) => uid('serviceaccounts', ns, name),
      podUid: (ns, name) => uid('pods', ns, name),
      secretUid: (ns, name) => uid('secrets', ns, name),
    };
  }

  /** Client certificates and static tokens first (`base`), then ServiceAccount JWTs. */
  withServiceAccountTokens(base: Authenticator): Authenticator {
    return {
      authenticate: (req: IncomingMessage): UserInfo | undefined => {
        const user = base.authenticate(req);
        if (user) return user;
        const token = bearerToken(req.headers.authorization);
        return token && looksLikeJwt(token) ? this.authenticator.authenticateToken(token) : undefined;
      },
    };
  }

  issue(o: { audiences: string[]; expirationSeconds: number; kubernetes: KubernetesClaim }): { token: string; expiresAt: Date; issuedAt: Date } {
    const nowMs = this.opts.now?.() ?? Date.now();
    const nowSec = Math.floor(nowMs / 1000);
    const claims = buildClaims({ issuer: this.issuer, audiences: o.audiences, nowSec, expirationSeconds: o.expirationSeconds, kubernetes: o.kubernetes });
    return { token: signToken(this.key, claims), expiresAt: new Date(claims.exp * 1000), issuedAt: new Date(nowSec * 1000) };
  }

  /** /.well-known/openid-configuration; `host` is where the request came in (for jwks_uri). */
  openidConfiguration(host: string): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `https://${host}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    };
  }

  /** /openid/v1/jwks */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.key.publicKey.export({ format: 'jwk' });
    return { keys: [{ use: 'sig', kty: jwk.kty, kid: this.key.kid, crv: jwk.crv, alg: 'ES256', x: jwk.x, y: jwk.y }] };
  }
}
