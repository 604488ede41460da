// For the component worker fixtures of test/cli/worker-component.test.ts: logs which start this is and reports
// started; the first time (no marker file yet) the worker then exits with code 3 a moment later, as a
// component that crashed. Started again, it runs on.
import { existsSync, writeFileSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';

export function startedCrashingOnce(parent: MessagePort, marker: string): void {
  const first = !existsSync(marker);
  parent.postMessage({ type: 'log', line: first ? 'first start' : 'started again' });
  parent.postMessage({ type: 'started' });
  if (!first) return;
  writeFileSync(marker, 'died once');
  setTimeout(() => process.exit(3), 20);
}
