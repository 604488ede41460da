// A component worker entry for test/cli/worker-component.test.ts: it starts (logs, reports started), and
// the first time (no marker file yet) exits with code 3 a moment later, as a component that crashed; started
// again, it runs until told to stop.
import { parentPort } from 'node:worker_threads';
import { existsSync, writeFileSync } from 'node:fs';

const marker = process.env.SKIFF_TEST_DYING_WORKER_MARKER!;
const parent = parentPort!;
const first = !existsSync(marker);
parent.postMessage({ type: 'log', line: first ? 'first start' : 'started again' });
parent.postMessage({ type: 'started' });
if (first) {
  writeFileSync(marker, 'died once');
  setTimeout(() => process.exit(3), 20);
}
parent.on('message', (m: { type: string }) => {
  if (m.type === 'stop') parent.postMessage({ type: 'stopped' });
});
