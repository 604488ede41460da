// Image pull decisions as the kubelet's image manager makes them: pull policy, per pod+image back-off
// (flowcontrol.Backoff: 10 s doubling to 5 min), Go duration strings, which pull secrets a pod uses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goDurationMs, pullSecretNames, pullStep, shouldPull, type PullPolicy } from '../../src/agent/image-pull.js';
import { RestartBackoff } from '../../src/agent/restart-backoff.js';

describe('shouldPull', () => {
  const table: [PullPolicy, boolean, boolean][] = [
    ['Always', true, true],
    ['Always', false, true],
    ['IfNotPresent', true, false],
    ['IfNotPresent', false, true],
    ['Never', true, false],
    ['Never', false, false],
  ];
  for (const [policy, present, want] of table) it(`${policy}, present=${present} → ${want}`, () => assert.equal(shouldPull(policy, present), want));
});

describe('pullStep', () => {
  const now = 1_000_000;
  const table: [string, Parameters<typeof pullStep>[0], ReturnType<typeof pullStep>][] = [
    ['present, IfNotPresent', { policy: 'IfNotPresent', present: true, inBackOff: true, nowMs: now }, { kind: 'present' }],
    ['absent, Never', { policy: 'Never', present: false, inBackOff: false, nowMs: now }, { kind: 'neverPull' }],
    ['present, Never', { policy: 'Never', present: true, inBackOff: false, nowMs: now }, { kind: 'present' }],
    ['absent, no back-off', { policy: 'IfNotPresent', present: false, inBackOff: false, nowMs: now }, { kind: 'pull' }],
    ['present, Always', { policy: 'Always', present: true, inBackOff: false, nowMs: now }, { kind: 'pull' }],
    ['failed 3 s ago: ErrImagePull stays', { policy: 'Always', present: false, inBackOff: true, lastErrorMs: now - 3000, nowMs: now }, { kind: 'recentError', waitMs: 7000 }],
    ['failed 12 s ago, in back-off', { policy: 'Always', present: false, inBackOff: true, lastErrorMs: now - 12_000, nowMs: now }, { kind: 'backOff' }],
    ['failed 12 s ago, back-off over', { policy: 'Always', present: false, inBackOff: false, lastErrorMs: now - 12_000, nowMs: now }, { kind: 'pull' }],
  ];
  for (const [name, input, want] of table) it(name, () => assert.deepEqual(pullStep(input), want));
});

describe('image pull back-off (flowcontrol.Backoff)', () => {
  it('a failure backs off 10 s, then 20 s, 40 s ... capped at 5 min; forgotten after 10 min', () => {
    const b = new RestartBackoff();
    let t = 0;
    assert.equal(b.inBackOffSinceUpdate('uid_img', t), false);
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      b.next('uid_img', t);
      seen.push(b.current('uid_img'));
      assert.equal(b.inBackOffSinceUpdate('uid_img', t + b.current('uid_img') - 1), true);
      t += b.current('uid_img');
      assert.equal(b.inBackOffSinceUpdate('uid_img', t), false);
    }
    assert.deepEqual(seen, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    b.next('uid_img', t + 600_001);
    assert.equal(b.current('uid_img'), 10_000);
  });
});

describe('goDurationMs', () => {
  const table: [number, string][] = [
    [0, '0s'],
    [523, '523ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [1234.9, '1.234s'],
    [62_345, '1m2.345s'],
    [3_600_000, '1h0m0s'],
  ];
  for (const [ms, want] of table) it(`${ms} → ${want}`, () => assert.equal(goDurationMs(ms), want));
});

describe('pullSecretNames', () => {
  const sa = { imagePullSecrets: [{ name: 'sa-secret' }] };
  it("the pod's own secrets win", () => assert.deepEqual(pullSecretNames({ spec: { containers: [], imagePullSecrets: [{ name: 'a' }, { name: 'b' }] } }, sa), ['a', 'b']));
  it("without its own, the ServiceAccount's", () => assert.deepEqual(pullSecretNames({ spec: { containers: [] } }, sa), ['sa-secret']));
  it('neither: none', () => assert.deepEqual(pullSecretNames({ spec: { containers: [] } }, undefined), []));
});
