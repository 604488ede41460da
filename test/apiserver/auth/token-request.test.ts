// TokenRequest and ServiceAccount token authentication against the real API server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { startTestServer, type TestServer } from '../harness.js';

let s: TestServer;
const ns = 'tokens';

before(async () => {
  s = await startTestServer();
  assert.equal((await s.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } })).status, 201);
  assert.equal((await s.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { body: { metadata: { name: 'builder' } } })).status, 201);
});

after(() => s.close());

const tokenPath = (sa: string) => `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`;
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
const whoami = async (token: string) => {
  const r = await s.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, token });
  return { status: r.status, user: r.status === 201 ? r.json().status.userInfo : undefined };
};

test('a TokenRequest returns a signed token with upstream claims; the token authenticates as the service account', async () => {
  const r = await s.request('POST', tokenPath('builder'), { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } });
  assert.equal(r.status, 201, r.body);
  const tr = r.json();
  assert.equal(tr.kind, 'TokenRequest');
  assert.deepEqual(tr.spec.audiences, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(tr.spec.expirationSeconds, 3600);
  const claims = claimsOf(tr.status.token);
  const sa = (await s.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/builder`)).json();
  assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.equal(claims.sub, `system:serviceaccount:${ns}:builder`);
  assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(claims.exp - claims.iat, 3600);
  assert.equal(claims.nbf, claims.iat);
  assert.deepEqual(claims['kubernetes.io'], { namespace: ns, serviceaccount: { name: 'builder', uid: sa.metadata.uid } });
  assert.equal(Date.parse(tr.status.expirationTimestamp) / 1000, claims.exp);

  const me = await whoami(tr.status.token);
  assert.equal(me.status, 201);
  assert.equal(me.user.username, `system:serviceaccount:${ns}:builder`);
  assert.deepEqual(me.user.groups, ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']);
  assert.equal((await s.request('GET', `/api/v1/namespaces/${ns}/pods`, { token: tr.status.token })).status, 200);
  assert.equal((await s.request('GET', `/api/v1/namespaces/${ns}/pods`, { token: tr.status.token.slice(0, -4) + 'AAAA' })).status, 401);
});

test('the OIDC discovery documents verify the token', async () => {
  const tr = (await s.request('POST', tokenPath('builder'), { body: { spec: { audiences: ['vault'] } } })).json();
  const cfg = (await s.request('GET', '/.well-known/openid-configuration')).json();
  assert.equal(cfg.issuer, 'https://kubernetes.default.svc.cluster.local');
  assert.match(cfg.jwks_uri, /^https:\/\/.+\/openid\/v1\/jwks$/);
  const jwks = await s.request('GET', '/openid/v1/jwks');
  assert.equal(jwks.headers['content-type'], 'application/jwk-set+json');
  const [jwk] = jwks.json().keys;
  const [h, p, sig] = tr.status.token.split('.');
  assert.equal(JSON.parse(Buffer.from(h, 'base64url').toString()).kid, jwk.kid);
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
  assert.equal(ok, true);
  // Audience "vault" only: the API server itself does not accept it.
  assert.equal((await whoami(tr.status.token)).status, 401);
});

test('pod-bound tokens stop working when the pod is deleted', async () => {
  const pod = (await s.request('POST', `/api/v1/namespaces/${ns}/pods`, { body: { metadata: { name: 'runner' }, spec: { serviceAccountName: 'builder', containers: [{ name: 'c', image: 'busybox' }] } } })).json();
  const r = await s.request('POST', tokenPath('builder'), { body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'runner', uid: pod.metadata.uid } } } });
  assert.equal(r.status, 201, r.body);
  const token = r.json().status.token;
  assert.deepEqual(claimsOf(token)['kubernetes.io'].pod, { name: 'runner', uid: pod.metadata.uid });
  assert.equal((await whoami(token)).status, 201);
  await s.request('DELETE', `/api/v1/namespaces/${ns}/pods/runner?gracePeriodSeconds=0`);
  for (let i = 0; i < 100 && (await whoami(token)).status === 201; i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal((await whoami(token)).status, 401);
});

test('tokens stop working when the service account is deleted', async () => {
  await s.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { body: { metadata: { name: 'temp' } } });
  const token = (await s.request('POST', tokenPath('temp'), { body: { spec: {} } })).json().status.token;
  assert.equal((await whoami(token)).status, 201);
  await s.request('DELETE', `/api/v1/namespaces/${ns}/serviceaccounts/temp`);
  for (let i = 0; i < 100 && (await whoami(token)).status === 201; i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal((await whoami(token)).status, 401);
});

test('TokenRequest errors as upstream', async () => {
  await s.request('POST', `/api/v1/namespaces/${ns}/pods`, { body: { metadata: { name: 'other-sa' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
  const cases: [string, unknown, number, RegExp][] = [
    ['missing', { spec: {} }, 404, /serviceaccounts "missing" not found/],
    ['builder', { spec: { expirationSeconds: 60 } }, 422, /may not specify a duration less than 10 minutes/],
    ['builder', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'nope' } } }, 404, /pods "nope" not found/],
    ['builder', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'other-sa' } } }, 400, /cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name\./],
    ['builder', { spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } } }, 400, /cannot bind token to object of type ConfigMap/],
  ];
  for (const [sa, body, code, msg] of cases) {
    const r = await s.request('POST', tokenPath(sa), { body });
    assert.equal(r.status, code, `${sa} ${JSON.stringify(body)}: ${r.body}`);
    assert.equal(r.json().kind, 'Status');
    assert.match(r.json().message, msg);
  }
  const pod = (await s.request('GET', `/api/v1/namespaces/${ns}/pods/other-sa`)).json();
  await s.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { body: { metadata: { name: 'default' } } });
  const r = await s.request('POST', tokenPath('default'), { body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'other-sa', uid: 'wrong' } } } });
  assert.equal(r.status, 409);
  assert.match(r.json().message, /does not match the UID in record/);
  assert.ok(pod.metadata.uid);
});

test('TokenReview answers for service account tokens and audiences', async () => {
  const token = (await s.request('POST', tokenPath('builder'), { body: { spec: { audiences: ['vault', 'https://kubernetes.default.svc.cluster.local'] } } })).json().status.token;
  const review = async (spec: Record<string, unknown>) => {
    const r = await s.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec } });
    assert.equal(r.status, 201, r.body);
    return r.json().status;
  };
  const ok = await review({ token });
  assert.equal(ok.authenticated, true);
  assert.equal(ok.user.username, `system:serviceaccount:${ns}:builder`);
  assert.deepEqual(ok.audiences, ['https://kubernetes.default.svc.cluster.local']);
  assert.deepEqual((await review({ token, audiences: ['vault'] })).audiences, ['vault']);
  const wrongAudience = await review({ token, audiences: ['other'] });
  assert.equal(wrongAudience.authenticated, undefined);
  assert.match(wrongAudience.error, /invalid bearer token/);
  assert.equal((await review({ token: 'garbage' })).authenticated, undefined);
  const r = await s.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: {} } });
  assert.equal(r.status, 422);
});
