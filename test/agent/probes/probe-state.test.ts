// Probe verdicts over time: initial values, thresholds, startup gating, hold after liveness failure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialTracker, probeTimings, recordResult, shouldProbe, type ProbeKind } from '../../../src/agent/probes/probe-state.js';

describe('probe verdicts', () => {
  it('start as upstream: readiness failed, liveness succeeded, startup unknown', () => {
    assert.equal(initialTracker('readiness').verdict, 'failure');
    assert.equal(initialTracker('liveness').verdict, 'success');
    assert.equal(initialTracker('startup').verdict, 'unknown');
  });

  const table: { kind: ProbeKind; probe: { successThreshold?: number; failureThreshold?: number }; results: boolean[]; verdicts: string[]; changes: boolean[] }[] = [
    { kind: 'readiness', probe: {}, results: [true, false, false, false, true], verdicts: ['success', 'success', 'success', 'failure', 'success'], changes: [true, false, false, true, true] },
    { kind: 'readiness', probe: { successThreshold: 2 }, results: [true, true], verdicts: ['failure', 'success'], changes: [false, true] },
    { kind: 'liveness', probe: { failureThreshold: 2 }, results: [false, false], verdicts: ['success', 'failure'], changes: [false, true] },
    { kind: 'liveness', probe: {}, results: [false, true, false, false], verdicts: ['success', 'success', 'success', 'success'], changes: [false, false, false, false] },
  ];
  for (const row of table) {
    it(`${row.kind} ${JSON.stringify(row.probe)} after ${row.results.join(',')}`, () => {
      let t = initialTracker(row.kind);
      const verdicts: string[] = [];
      const changes: boolean[] = [];
      for (const r of row.results) {
        const out = recordResult(row.kind, t, r, row.probe);
        t = out.tracker;
        verdicts.push(t.verdict);
        changes.push(out.changed);
      }
      assert.deepEqual(verdicts, row.verdicts);
      assert.deepEqual(changes, row.changes);
    });
  }

  it('liveness failure holds further probing of that instance', () => {
    const out = recordResult('liveness', initialTracker('liveness'), false, { failureThreshold: 1 });
    assert.equal(out.tracker.onHold, true);
    assert.equal(shouldProbe('liveness', out.tracker, true, 0, 100_000, {}), false);
  });

  it('startup gates liveness and readiness; initialDelaySeconds delays them', () => {
    const t = initialTracker('readiness');
    assert.equal(shouldProbe('readiness', t, false, 0, 100_000, {}), false);
    assert.equal(shouldProbe('startup', initialTracker('startup'), false, 0, 0, {}), true);
    assert.equal(shouldProbe('startup', initialTracker('startup'), true, 0, 0, {}), false);
    assert.equal(shouldProbe('readiness', t, true, 0, 4_999, { initialDelaySeconds: 5 }), false);
    assert.equal(shouldProbe('readiness', t, true, 0, 5_000, { initialDelaySeconds: 5 }), true);
  });

  it('defaults: period 10 s, timeout 1 s, thresholds 1 and 3', () => {
    assert.deepEqual(probeTimings({}), { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 });
  });
});
