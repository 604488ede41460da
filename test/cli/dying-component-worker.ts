// A component worker entry for test/cli/worker-component.test.ts: it starts (logs, reports started), and
// the first time (no marker file yet) exits with code 3 a moment later, as a component that crashed; started
// again, it runs until told to stop.
import { parentPort } from 'node:worker_threads';
import { startedCrashingOnce } from './crash-once.js';

const parent = parentPort!;
startedCrashingOnce(parent, process.env.SKIFF_TEST_DYING_WORKER_MARKER!);
parent.on('message', (m: { type: string }) => {
  if (m.type === 'stop') parent.postMessage({ type: 'stopped' });
});
