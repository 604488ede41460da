// Projected serviceAccountToken sources: a token bound to the pod, requested through TokenRequest
// (serviceaccounts/<name>/token) with the source's audience and expirationSeconds, and renewed as the kubelet's
// token manager does: once 80% of its lifetime has passed or it is older than 24 hours.
import type { Pod, ServiceAccountTokenProjection } from 'kubernetes-types/core/v1.js';
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import type { ApiClient } from '../../client/client.js';
import * as resources from '../../client/resources.js';

export interface IssuedToken {
  token: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

const maxAgeMs = 24 * 60 * 60 * 1000;

/** Whether a token must be renewed now (upstream token manager's requiresRefresh). */
export function needsRefresh(t: IssuedToken | undefined, nowMs: number): boolean {
  if (!t) return true;
  if (nowMs >= t.expiresAtMs) return true;
  const ttl = t.expiresAtMs - t.issuedAtMs;
  return nowMs >= t.issuedAtMs + ttl * 0.8 || nowMs >= t.issuedAtMs + maxAgeMs;
}

export async function requestPodToken(client: ApiClient, pod: Pod, src: ServiceAccountTokenProjection, nowMs: number): Promise<IssuedToken> {
  const sa = pod.spec?.serviceAccountName || 'default';
  const body: TokenRequest = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: {
      audiences: src.audience ? [src.audience] : [],
      expirationSeconds: src.expirationSeconds ?? 3600,
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
    },
  };
  let tr: TokenRequest;
  try {
    tr = await client.createSubresource<TokenRequest>(resources.serviceAccounts, sa, 'token', body, { namespace: pod.metadata?.namespace });
  } catch (e) {
    throw new Error(`failed to fetch token: ${(e as Error).message}`);
  }
  const token = tr.status?.token;
  if (!token) throw new Error('failed to fetch token: the server returned no token');
  const exp = Date.parse(tr.status?.expirationTimestamp ?? '');
  return { token, issuedAtMs: nowMs, expiresAtMs: Number.isFinite(exp) ? exp : nowMs + (src.expirationSeconds ?? 3600) * 1000 };
}
