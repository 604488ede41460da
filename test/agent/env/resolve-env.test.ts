// resolveContainerEnv against a real API server: ConfigMaps, Secrets, Services and the Node are real objects.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../../src/client/client.js';
import * as resources from '../../../src/client/resources.js';
import { ContainerConfigError, resolveContainerEnv, type EnvContext } from '../../../src/agent/env/index.js';
import { startTestServer, type TestServer } from '../../apiserver/harness.js';

let server: TestServer;
let client: ApiClient;
let ctx: EnvContext;

before(async () => {
  server = await startTestServer();
  client = ApiClient.fromConfig({ servers: [server.url], ca: server.ca, token: server.token, namespace: 'default' });
  ctx = { client, nodeName: 'node-a', dataDir: server.dataDir };
  await client.create(resources.namespaces, { metadata: { name: 'shop' } });
  await client.create(resources.configMaps, { metadata: { name: 'cfg' }, data: { MODE: 'fast', '2nd': 'x', '1st': 'y', greeting: 'hello $(MODE)' } }, { namespace: 'shop' });
  await client.create(resources.secrets, { metadata: { name: 'creds' }, data: { PASSWORD: Buffer.from('s3cr3t').toString('base64') } }, { namespace: 'shop' });
  await client.create(resources.services, { metadata: { name: 'web-api' }, spec: { ports: [{ name: 'http', port: 8080 }] } }, { namespace: 'shop' });
  await client.create(resources.nodes, {
    metadata: { name: 'node-a' },
    status: { addresses: [{ type: 'InternalIP', address: '192.168.7.2' }], allocatable: { cpu: '2', memory: '4Gi' } },
  });
  // The status subresource is where node addresses and allocatable live.
  const node = await client.get(resources.nodes, 'node-a');
  await client.updateStatus(resources.nodes, { ...node, status: { addresses: [{ type: 'InternalIP', address: '192.168.7.2' }], allocatable: { cpu: '2', memory: '4Gi' } } });
});

after(async () => {
  client.close();
  await server.close();
});

const pod = (containers: Container[], extra: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'shop', uid: 'uid-1', labels: { app: 'web' } },
  spec: { nodeName: 'node-a', containers, enableServiceLinks: true, ...extra },
  status: { podIP: '10.42.0.9', podIPs: [{ ip: '10.42.0.9' }] },
});

const asMap = (env: { name: string; value: string }[]) => Object.fromEntries(env.map((e) => [e.name, e.value]));

test('env, envFrom, downward API, service variables and expansion together', async () => {
  const c: Container = {
    name: 'app',
    command: ['/bin/run', '--mode=$(MODE)'],
    args: ['$(CFG_greeting)', '$$(MODE)', '$(NOPE)', '$(WEB_API_SERVICE_HOST)'],
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { configMapRef: { name: 'cfg' } }, { secretRef: { name: 'absent', optional: true } }],
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
      { name: 'MODE', value: 'slow' },
      { name: 'URL', value: 'http://$(WEB_API_SERVICE_HOST):$(WEB_API_SERVICE_PORT_HTTP)/$(POD)' },
      { name: 'LATER', value: '$(EARLIER)' },
      { name: 'EARLIER', value: 'e' },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } } },
      { name: 'EMPTY', value: '' },
    ],
  };
  const out = await resolveContainerEnv(ctx, pod([c]), c);
  const env = asMap(out.env);
  assert.equal(env['CFG_MODE'], 'fast');
  assert.equal(env['CFG_greeting'], 'hello $(MODE)', 'envFrom values are not expanded');
  assert.equal(env['MODE'], 'slow', 'env overrides envFrom');
  assert.equal(env['1st'], undefined, 'invalid names are skipped');
  assert.equal(env['POD'], 'p');
  assert.equal(env['NODE_IP'], '192.168.7.2');
  assert.equal(env['POD_IP'], '10.42.0.9');
  assert.equal(env['MEM_MI'], '4096', 'an unset limit reads the node allocatable');
  assert.equal(env['PASSWORD'], 's3cr3t');
  assert.match(env['URL']!, /^http:\/\/10\.43\.\d+\.\d+:8080\/p$/);
  assert.equal(env['LATER'], '$(EARLIER)', 'only variables defined earlier expand');
  assert.equal(env['EMPTY'], '');
  assert.equal('OPT' in env, false, 'an optional missing key sets nothing');
  assert.equal(env['KUBERNETES_SERVICE_HOST'], '10.43.0.1');
  assert.equal(env['KUBERNETES_SERVICE_PORT_HTTPS'], '443');
  assert.deepEqual(out.command, ['/bin/run', '--mode=slow']);
  assert.deepEqual(out.args, ['hello $(MODE)', '$(MODE)', '$(NOPE)', env['WEB_API_SERVICE_HOST']]);
  // With the CFG_ prefix every key is a valid name; without it two are not.
  assert.deepEqual(out.warnings.map((w) => w.reason), ['InvalidEnvironmentVariableNames']);
  assert.equal(env['CFG_1st'], 'y');
  assert.equal(out.warnings[0]!.message, 'Keys [1st, 2nd] from the EnvFrom configMap shop/cfg were skipped since they are considered invalid environment variable names.');
  // Declared variables first in declaration order, then the service variables not set by the pod.
  const names = out.env.map((e) => e.name);
  assert.ok(names.indexOf('EARLIER') < names.indexOf('KUBERNETES_SERVICE_HOST'));
});

test('enableServiceLinks=false keeps only the kubernetes service variables', async () => {
  const c: Container = { name: 'app' };
  const out = await resolveContainerEnv(ctx, pod([c], { enableServiceLinks: false }), c);
  const names = out.env.map((e) => e.name);
  assert.ok(names.includes('KUBERNETES_SERVICE_HOST'));
  assert.ok(!names.some((n) => n.startsWith('WEB_API')));
});

test('missing inputs fail with upstream messages', async () => {
  const cases: [Container['env'], Container['envFrom'], string][] = [
    [[{ name: 'A', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k' } } }], undefined, 'configmap "gone" not found'],
    [[{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }], undefined, "couldn't find key k in ConfigMap shop/cfg"],
    [[{ name: 'A', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }], undefined, 'secret "gone" not found'],
    [[{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }], undefined, "couldn't find key k in Secret shop/creds"],
    [undefined, [{ secretRef: { name: 'gone' } }], 'secret "gone" not found'],
    [undefined, [{ configMapRef: { name: 'gone' } }], 'configmap "gone" not found'],
    [[{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }], undefined, 'field label not supported: spec.bogus'],
  ];
  for (const [env, envFrom, msg] of cases) {
    const c: Container = { name: 'app', env, envFrom };
    await assert.rejects(resolveContainerEnv(ctx, pod([c]), c), (e: unknown) => e instanceof ContainerConfigError && e.message === msg && e.reason === 'CreateContainerConfigError', msg);
  }
});
