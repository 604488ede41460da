import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forbiddenFor, nodeAttributes } from '../../../src/agent/server/authz.js';
import { parseAgentRoute } from '../../../src/agent/server/routes.js';

test('node server authorization', () => {
  const masters = { username: 'kube-apiserver-kubelet-client', groups: ['system:masters', 'system:authenticated'] };
  const node = { username: 'system:node:n2', groups: ['system:nodes', 'system:authenticated'] };
  const cases: [typeof masters | undefined, string, string, string | undefined][] = [
    [masters, '/exec/ns/p/c', 'POST', undefined],
    [masters, '/stats/summary', 'GET', undefined],
    [node, '/healthz', 'GET', undefined],
    [node, '/stats/summary', 'GET', 'Forbidden (user=system:node:n2, verb=get, resource=nodes, subresource=stats)'],
    [node, '/exec/ns/p/c', 'POST', 'Forbidden (user=system:node:n2, verb=create, resource=nodes, subresource=proxy)'],
    [undefined, '/pods', 'GET', 'Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)'],
  ];
  for (const [user, path, method, want] of cases) assert.equal(forbiddenFor(user, parseAgentRoute(path), method), want, `${user?.username} ${method} ${path}`);
  assert.equal(nodeAttributes(parseAgentRoute('/nope'), 'GET'), undefined);
});

test('routes', () => {
  assert.deepEqual(parseAgentRoute('/exec/ns/p/uid-1/c'), { kind: 'exec', ref: { namespace: 'ns', pod: 'p', uid: 'uid-1' }, container: 'c' });
  assert.deepEqual(parseAgentRoute('/portForward/ns/p'), { kind: 'portForward', ref: { namespace: 'ns', pod: 'p' } });
  assert.deepEqual(parseAgentRoute('/containerLogs/ns/p/c'), { kind: 'containerLogs', ref: { namespace: 'ns', pod: 'p' }, container: 'c' });
  assert.deepEqual(parseAgentRoute('/containerLogs/ns/p'), { kind: 'notFound' });
  assert.deepEqual(parseAgentRoute('/stats/summary'), { kind: 'statsSummary' });
  assert.deepEqual(parseAgentRoute('/%E0%A4%A'), { kind: 'notFound' });
});

test('exec query as the kubelet reads it', async () => {
  const { parseExecQuery } = await import('../../../src/agent/server/routes.js');
  const q = (s: string, cmd = true) => parseExecQuery(new URLSearchParams(s), cmd);
  assert.deepEqual(q('command=sh&command=-c&command=ls&stdin=true&stdout=true&stderr=true'), { command: ['sh', '-c', 'ls'], stdin: true, stdout: true, stderr: true, tty: false });
  assert.deepEqual(q('command=sh&stdin=true&stdout=true&stderr=true&tty=true'), { command: ['sh'], stdin: true, stdout: true, stderr: false, tty: true });
  assert.deepEqual(q('command=ls'), { error: 'you must specify at least 1 of stdin, stdout, stderr' });
  assert.deepEqual(q('stdout=true'), { error: 'you must specify a command' });
  assert.deepEqual(q('stdout=true', false), { command: [], stdin: false, stdout: true, stderr: false, tty: false });
});
