// Builds the object filter for list/watch requests from `labelSelector` and `fieldSelector`. Every kind
// supports metadata.name and metadata.namespace; others come from the kind strategy's fieldSelectors.
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject } from '../../api/types.js';
import { parseLabelSelector } from '../../util/label-selector.js';
import { parseFieldSelector } from '../../util/field-selector.js';
import type { WatchIndex } from '../../storage/watch-cache.js';

export interface ObjectFilter {
  /** False when the request selects everything (lets callers skip filtering and keep counts exact). */
  active: boolean;
  matches: (obj: KubeObject) => boolean;
  /** An exact field requirement (e.g. spec.nodeName=<node>) the watch cache indexes watchers by. */
  index?: WatchIndex;
}

const everything: ObjectFilter = { active: false, matches: () => true };

export function buildFilter(rt: ResourceType, query: URLSearchParams): ObjectFilter {
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const extra = rt.strategy.fieldSelectors ?? {};
  const fields = parseFieldSelector(
    query.get('fieldSelector') ?? '',
    (f) => f === 'metadata.name' || f === 'metadata.namespace' || f in extra,
  );
  if (labels.empty() && fields.empty()) return everything;
  const getter = (obj: KubeObject) => (field: string) => {
    if (field === 'metadata.name') return obj.metadata.name;
    if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
    return extra[field]?.(obj);
  };
  const pinned = fields.requirements.find((r) => r.operator === '=');
  return {
    active: true,
    matches: (obj) => labels.matches(obj.metadata.labels) && fields.matches(getter(obj)),
    index: pinned && { field: pinned.field, value: pinned.value, valueOf: (obj) => getter(obj)(pinned.field) ?? '' },
  };
}
