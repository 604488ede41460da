// fieldManager: the fieldManager query parameter (checked as upstream), else the user agent's first element.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldManager } from '../../src/apiserver/rest/common.js';
import type { RestRequest } from '../../src/apiserver/rest/types.js';

const req = (query: string, userAgent?: string) => ({ query: new URLSearchParams(query), userAgent }) as unknown as RestRequest;

test('fieldManager from the query parameter or the user agent', () => {
  const cases: [string, string | undefined, string][] = [
    ['fieldManager=sim-kubelet', 'kubelet/v1', 'sim-kubelet'],
    ['fieldManager=', 'kubectl/v1.32.0', ''],
    ['', 'kubectl/v1.32.0 (linux/amd64) kubernetes/abc', 'kubectl'],
    ['', 'kube-scheduler', 'kube-scheduler'],
    ['', 'my agent/1.0', 'my'],
    ['', '/v1', 'unknown'],
    ['', ' x', 'unknown'],
    ['', '', 'unknown'],
    ['', undefined, 'unknown'],
    ['', 'a'.repeat(200), 'a'.repeat(128)],
  ];
  for (const [q, ua, want] of cases) assert.equal(fieldManager(req(q, ua)), want, `${q} | ${ua}`);
});

test('fieldManager refuses unprintable or overlong values', () => {
  assert.throws(() => fieldManager(req(`fieldManager=${encodeURIComponent('a\tb')}`)), /printable characters/);
  assert.throws(() => fieldManager(req(`fieldManager=${encodeURIComponent('é')}`)), /printable characters/);
  assert.throws(() => fieldManager(req(`fieldManager=${'m'.repeat(129)}`)), (e: { status?: number; code?: number }) => (e.code ?? e.status) === 422);
  assert.equal(fieldManager(req(`fieldManager=${encodeURIComponent(' ~')}`)), ' ~');
});
