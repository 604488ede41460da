// PrioritySort: the active queue pops higher spec.priority first, then the pod waiting longest.
import type { QueueSortPlugin } from '../../framework/types.js';

export const name = 'PrioritySort';

export function prioritySort(): QueueSortPlugin {
  return {
    name,
    less: (a, b) => (a.podInfo.priority !== b.podInfo.priority ? a.podInfo.priority > b.podInfo.priority : a.timestamp < b.timestamp),
  };
}
