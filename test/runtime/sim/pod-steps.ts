// What a watch shows of one pod's start on a simulated node: its phase, with the waiting reason of its first
// container while there is one ("Pending", "Pending/ContainerCreating", "Running"), each step once, until Running.
// `start` (creating the pod) runs once the watch is open; the watch is closed however this ends.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Watcher } from '../../../src/client/client.js';

export async function podStepsUntilRunning(watcher: Watcher<Pod>, name: string, start: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  try {
    await start();
    for await (const e of watcher) {
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED') continue;
      const pod = e.object as Pod;
      if (pod.metadata?.name !== name) continue;
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      const step = `${pod.status?.phase}${waiting ? `/${waiting}` : ''}`;
      if (seen.at(-1) !== step) seen.push(step);
      if (pod.status?.phase === 'Running') break;
    }
  } finally {
    watcher.close();
  }
  return seen;
}
