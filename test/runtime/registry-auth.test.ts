// imagePullSecrets → registry credentials, matched as the kubelet's docker keyring does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsForImage, imageLocation, pullWithCredentials, type PullSecretData } from '../../src/runtime/registry-auth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dockerconfigjson = (auths: Record<string, object>): PullSecretData => ({
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
});

describe('image locations', () => {
  const rows: [string, { host: string; port: string; path: string }][] = [
    ['busybox', { host: 'docker.io', port: '', path: 'library/busybox' }],
    ['busybox:1.36', { host: 'docker.io', port: '', path: 'library/busybox' }],
    ['team/app:v1', { host: 'docker.io', port: '', path: 'team/app' }],
    ['index.docker.io/library/nginx', { host: 'docker.io', port: '', path: 'library/nginx' }],
    ['127.0.0.1:5000/private/busybox:1', { host: '127.0.0.1', port: '5000', path: 'private/busybox' }],
    ['registry.example.com/a/b/c@sha256:abcd', { host: 'registry.example.com', port: '', path: 'a/b/c' }],
    ['localhost/app', { host: 'localhost', port: '', path: 'app' }],
  ];
  for (const [image, want] of rows) it(image, () => assert.deepEqual(imageLocation(image), want));
});

describe('credentials for an image', () => {
  const secrets = [
    dockerconfigjson({
      '127.0.0.1:5000': { username: 'puller', password: 'pw' },
      'https://index.docker.io/v1/': { auth: b64('hub:hubpw') },
      'registry.example.com/team': { username: 'team', password: 't' },
      'registry.example.com': { username: 'all', password: 'a' },
      '*.corp.example': { username: 'glob', password: 'g' },
    }),
  ];
  const rows: [string, string[]][] = [
    ['127.0.0.1:5000/private/busybox:1', ['puller']],
    ['127.0.0.1:5001/private/busybox:1', []],
    ['busybox', ['hub']],
    ['docker.io/team/app', ['hub']],
    ['registry.example.com/team/app:1', ['team', 'all']],
    ['registry.example.com/other/app', ['all']],
    ['registry.example.com/teamster/app', ['all']],
    ['eu.corp.example/x', ['glob']],
    ['a.b.corp.example/x', []],
    ['quay.io/x', []],
  ];
  for (const [image, users] of rows) {
    it(`${image} → ${users.join(', ') || 'anonymous'}`, () => assert.deepEqual(credentialsForImage(image, secrets).map((a) => a.username), users));
  }

  it('carries password, the decoded auth and the registry key', () => {
    assert.deepEqual(credentialsForImage('127.0.0.1:5000/x', secrets), [{ username: 'puller', password: 'pw', serverAddress: '127.0.0.1:5000' }]);
    assert.deepEqual(credentialsForImage('busybox', secrets), [{ username: 'hub', password: 'hubpw', serverAddress: 'https://index.docker.io/v1/' }]);
  });

  it('reads the older kubernetes.io/dockercfg secrets and skips malformed ones', () => {
    const old: PullSecretData = { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'reg.example': { username: 'u', password: 'p' } })) } };
    const broken: PullSecretData = { data: { '.dockerconfigjson': b64('{not json') } };
    assert.deepEqual(credentialsForImage('reg.example/x', [broken, old]).map((a) => a.username), ['u']);
    assert.deepEqual(credentialsForImage('reg.example/x', [{}]), []);
  });
});

describe('pulling with the matching credentials', () => {
  const fakePull = (good: string | undefined, calls: (string | undefined)[]) => async (_image: string, auth?: { username?: string }) => {
    calls.push(auth?.username);
    if (auth?.username === good || (good === undefined && !auth)) return 'sha256:ok';
    throw new Error(`denied for ${auth?.username ?? 'anonymous'}`);
  };
  it('anonymously without credentials', async () => {
    const calls: (string | undefined)[] = [];
    assert.equal(await pullWithCredentials(fakePull(undefined, calls), 'x', []), 'sha256:ok');
    assert.deepEqual(calls, [undefined]);
  });
  it('tries each credential until one works', async () => {
    const calls: (string | undefined)[] = [];
    assert.equal(await pullWithCredentials(fakePull('b', calls), 'x', [{ username: 'a' }, { username: 'b' }, { username: 'c' }]), 'sha256:ok');
    assert.deepEqual(calls, ['a', 'b']);
  });
  it('reports every failure when none works', async () => {
    await assert.rejects(pullWithCredentials(fakePull('z', []), 'x', [{ username: 'a' }, { username: 'b' }]), { message: '[denied for a, denied for b]' });
    await assert.rejects(pullWithCredentials(fakePull('z', []), 'x', [{ username: 'a' }]), { message: 'denied for a' });
  });
});
