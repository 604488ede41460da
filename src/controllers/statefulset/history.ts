// ControllerRevisions of a StatefulSet (upstream controller_history): find the revision whose template
// equals the set's (re-numbering it if it is an old one), or create a new one named <set>-<hash>, handling
// hash collisions with status.collisionCount. Also the template stored in a revision and history
// truncation. All I/O is through the given client.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { ApiClient } from '../../client/client.js';
import { isAlreadyExists, isNotFound } from '../../client/errors.js';
import { defineResource } from '../../client/resource.js';
import { revisionHashLabel, setOwnerRef, templateHash } from './decisions.js';

export const controllerRevisions = defineResource<ControllerRevision>({ group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true });

export function templateOf(r: ControllerRevision): PodTemplateSpec | undefined {
  const data = (r.data ?? {}) as { spec?: { template?: PodTemplateSpec & { $patch?: string } } };
  if (!data.spec?.template) return undefined;
  const { $patch: _p, ...tpl } = data.spec.template;
  return tpl;
}

export interface Revisions {
  updateRevision: ControllerRevision;
  history: ControllerRevision[];
  collisionCount: number;
}

/** The revision of the set's current template, creating it if needed. */
export async function ensureRevision(client: ApiClient, set: StatefulSet, history: ControllerRevision[]): Promise<Revisions> {
  const ns = set.metadata?.namespace;
  const tplJson = JSON.stringify(set.spec?.template ?? {});
  const max = history.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
  let collisionCount = set.status?.collisionCount ?? 0;
  const same = history.find((r) => JSON.stringify(templateOf(r) ?? {}) === tplJson);
  if (same) {
    let rev = same;
    if ((same.revision ?? 0) < max) rev = await client.typed(controllerRevisions).patch(same.metadata!.name!, { revision: max + 1 }, 'merge', { namespace: ns });
    return { updateRevision: rev, history: history.filter((r) => r !== same), collisionCount };
  }
  for (;;) {
    const hash = templateHash(set.spec?.template, collisionCount);
    const cr: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${set.metadata?.name}-${hash}`,
        namespace: ns,
        labels: { ...(set.spec?.template?.metadata?.labels ?? {}), [revisionHashLabel]: hash },
        ownerReferences: [setOwnerRef(set)],
      },
      data: { spec: { template: { ...(set.spec?.template ?? {}), $patch: 'replace' } } },
      revision: max + 1,
    };
    try {
      const created = await client.typed(controllerRevisions).create(cr, { namespace: ns });
      return { updateRevision: created, history, collisionCount };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await client.typed(controllerRevisions).get(cr.metadata!.name!, { namespace: ns });
      if (existing.metadata?.ownerReferences?.some((r) => r.uid === set.metadata?.uid) && JSON.stringify(templateOf(existing)) === tplJson) {
        return { updateRevision: existing, history, collisionCount };
      }
      collisionCount++;
    }
  }
}

/** Deletes the oldest revisions beyond the limit that are neither live nor current/update. */
export async function truncateHistory(client: ApiClient, set: StatefulSet, history: ControllerRevision[], live: Set<string>): Promise<void> {
  const limit = set.spec?.revisionHistoryLimit ?? 10;
  const removable = history.filter((r) => !live.has(r.metadata?.labels?.[revisionHashLabel] ?? r.metadata?.name ?? '')).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  for (const r of removable.slice(0, Math.max(0, removable.length - limit))) {
    await client
      .typed(controllerRevisions)
      .delete(r.metadata!.name!, { namespace: set.metadata?.namespace })
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
}
