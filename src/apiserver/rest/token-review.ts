// POST /apis/authentication.k8s.io/v1/tokenreviews: is this token valid, and whose is it? As upstream, the
// answer is 201 with status {authenticated, user, audiences} (or an error string), never an API error for a
// bad token. Skiff reviews ServiceAccount tokens (signature, issuer, expiry, audiences, bound objects);
// spec.audiences, when given, replaces the API server's own audiences and the matching ones are returned.
import { errors } from '../../api/errors.js';
import type { ServiceAccountTokens } from '../auth/service-accounts.js';
import { looksLikeJwt, verifyToken } from '../auth/service-account-token.js';
import type { RestRequest, RestResponse } from './types.js';

export function reviewToken(req: RestRequest, tokens: ServiceAccountTokens): RestResponse {
  const body = (req.body ?? {}) as { spec?: { token?: unknown; audiences?: unknown } };
  if (typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the body must be a TokenReview');
  const spec = body.spec ?? {};
  if (typeof spec.token !== 'string' || !spec.token) {
    throw errors.invalid('authentication.k8s.io', 'TokenReview', '', [{ reason: 'FieldValueRequired', field: 'spec.token', message: 'Required value' }]);
  }
  const wanted = Array.isArray(spec.audiences) && spec.audiences.length ? (spec.audiences as string[]) : tokens.audiences;
  const base = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { creationTimestamp: null }, spec };
  const user = looksLikeJwt(spec.token) ? tokens.authenticator.authenticateToken(spec.token, wanted) : undefined;
  if (!user) return { status: 201, object: { ...base, status: { user: {}, error: '[invalid bearer token, service account token is not valid]' } } };
  const aud = verifyToken(spec.token, [tokens.key])?.aud ?? [];
  return {
    status: 201,
    object: { ...base, status: { authenticated: true, user: { username: user.username, uid: user.uid, groups: user.groups }, audiences: wanted.filter((a) => aud.includes(a)) } },
  };
}
