// The simulated kubelet's pure status decisions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstStatusWrite } from '../../../src/runtime/sim/pod-status.js';

describe('firstStatusWrite', () => {
  const cases: { name: string; now: number; creatingAt: number; startDelay: number; want: 'creating' | 'running' }[] = [
    { name: 'written at once: ContainerCreating first', now: 1000, creatingAt: 1000, startDelay: 500, want: 'creating' },
    { name: 'written just before the containers start', now: 1499, creatingAt: 1000, startDelay: 500, want: 'creating' },
    { name: 'the write waited for the start delay: Running in one write', now: 1500, creatingAt: 1000, startDelay: 500, want: 'running' },
    { name: 'a pod that waited long in a backlog', now: 60_000, creatingAt: 1000, startDelay: 500, want: 'running' },
    { name: 'no start delay: always Running', now: 1000, creatingAt: 1000, startDelay: 0, want: 'running' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(firstStatusWrite(c.now, c.creatingAt, c.startDelay), c.want));
  }
});
