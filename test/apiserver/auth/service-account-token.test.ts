// ServiceAccount token signing/validation rules (pure) with a real key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateServiceAccountKeyPem, serviceAccountKeyFromPem } from '../../../src/apiserver/auth/service-account-key.js';
import {
  boundObjectsProblem,
  buildClaims,
  claimsProblem,
  ServiceAccountTokenAuthenticator,
  signToken,
  verifyToken,
  type BoundObjectLookup,
} from '../../../src/apiserver/auth/service-account-token.js';

const key = serviceAccountKeyFromPem(generateServiceAccountKeyPem());
const other = serviceAccountKeyFromPem(generateServiceAccountKeyPem());
const iss = 'https://kubernetes.default.svc.cluster.local';
const k8s = { namespace: 'ns', serviceaccount: { name: 'sa', uid: 'sa-uid' }, pod: { name: 'p', uid: 'pod-uid' } };

test('tokens verify with the signing key only; tampering breaks them', () => {
  const claims = buildClaims({ issuer: iss, audiences: [iss], nowSec: 1000, expirationSeconds: 3600, kubernetes: k8s });
  assert.equal(claims.sub, 'system:serviceaccount:ns:sa');
  assert.equal(claims.exp, 4600);
  assert.equal(claims.nbf, 1000);
  const token = signToken(key, claims);
  assert.deepEqual(verifyToken(token, [key]), claims);
  assert.equal(verifyToken(token, [other]), undefined);
  const [h, , s] = token.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${s}`;
  assert.equal(verifyToken(forged, [key]), undefined);
  assert.equal(verifyToken('not-a-jwt', [key]), undefined);
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
  assert.deepEqual(header, { alg: 'ES256', kid: key.kid });
});

test('standard claim checks', () => {
  const base = buildClaims({ issuer: iss, audiences: [iss], nowSec: 1000, expirationSeconds: 600, kubernetes: k8s });
  const o = { issuer: iss, audiences: [iss], nowSec: 1200 };
  const cases: [string, Partial<typeof base>, number, string | undefined][] = [
    ['valid', {}, 1200, undefined],
    ['expired', {}, 1600, 'service account token has expired'],
    ['not yet valid', { nbf: 1300 }, 1200, 'service account token is not valid yet'],
    ['other issuer', { iss: 'https://elsewhere' }, 1200, 'token issuer is not this cluster'],
    ['other audience', { aud: ['vault'] }, 1200, 'token audiences is invalid for the current issuer'],
    ['subject mismatch', { sub: 'system:serviceaccount:ns:other' }, 1200, 'token subject does not match its service account'],
  ];
  for (const [name, patch, nowSec, want] of cases) assert.equal(claimsProblem({ ...base, ...patch }, { ...o, nowSec }), want, name);
});

test('bound objects must still exist with the same uid', () => {
  const objects: Record<string, string> = { 'sa/ns/sa': 'sa-uid', 'pod/ns/p': 'pod-uid' };
  const lookup: BoundObjectLookup = {
    serviceAccountUid: (ns, n) => objects[`sa/${ns}/${n}`],
    podUid: (ns, n) => objects[`pod/${ns}/${n}`],
    secretUid: (ns, n) => objects[`secret/${ns}/${n}`],
  };
  assert.equal(boundObjectsProblem(k8s, lookup), undefined);
  objects['pod/ns/p'] = 'recreated';
  assert.equal(boundObjectsProblem(k8s, lookup), 'pod UID (pod-uid) does not match the pod (recreated)');
  delete objects['pod/ns/p'];
  assert.equal(boundObjectsProblem(k8s, lookup), 'pod ns/p has been deleted');
  delete objects['sa/ns/sa'];
  assert.equal(boundObjectsProblem(k8s, lookup), 'service account ns/sa has been deleted');
});

test('the authenticator yields the service account identity and rejects expired tokens', () => {
  let now = 1_000_000;
  const lookup: BoundObjectLookup = { serviceAccountUid: () => 'sa-uid', podUid: () => 'pod-uid', secretUid: () => undefined };
  const auth = new ServiceAccountTokenAuthenticator({ keys: [key], issuer: iss, audiences: [iss], lookup, now: () => now });
  const token = signToken(key, buildClaims({ issuer: iss, audiences: [iss], nowSec: 1000, expirationSeconds: 600, kubernetes: k8s }));
  assert.deepEqual(auth.authenticateToken(token), {
    username: 'system:serviceaccount:ns:sa',
    uid: 'sa-uid',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
  });
  now = 1_600_000;
  assert.equal(auth.authenticateToken(token), undefined);
});
