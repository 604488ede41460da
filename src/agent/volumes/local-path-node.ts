// The node half of the built-in local-path provisioner: the agent publishes where its local-path volumes
// live (Node annotation skiff.dev/local-path-root = D/storage, read by the provisioner in the controller
// manager when it creates a PV for this node), and removes the data of Released local-path PVs of this node
// whose reclaimPolicy is Delete, then the PV object (the hand-off: the controller may run on another machine,
// only this node can delete the directory). Directories are created by PodVolumes on first mount.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import { InformerFactory } from '../../client/informer-factory.js';
import * as resources from '../../client/resources.js';
import { annDynamicallyProvisioned, annLocalPathNode, annLocalPathRoot, localPathProvisioner } from '../../controllers/persistentvolume/annotations.js';

export interface LocalPathNodeOptions {
  client: ApiClient;
  nodeName: string;
  /** The agent's data dir D; volumes live under D/storage. */
  dataDir: string;
  log?: (line: string) => void;
}

export interface LocalPathNode {
  root: string;
  stop(): Promise<void>;
}

/** Whether this node must delete the volume's data now (pure). */
export function shouldReclaim(pv: PersistentVolume, nodeName: string, root: string): boolean {
  if (pv.metadata?.annotations?.[annDynamicallyProvisioned] !== localPathProvisioner) return false;
  if (pv.metadata?.annotations?.[annLocalPathNode] !== nodeName) return false;
  if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return false;
  const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  return !!path && resolve(path).startsWith(resolve(root) + sep);
}

export async function startLocalPathNode(o: LocalPathNodeOptions): Promise<LocalPathNode> {
  const log = o.log ?? (() => {});
  const root = join(o.dataDir, 'storage');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  let stopped = false;
  // The node object may not be registered yet: keep trying until it takes.
  const annotate = async () => {
    while (!stopped) {
      try {
        await o.client.patch(resources.nodes, o.nodeName, { metadata: { annotations: { [annLocalPathRoot]: root } } }, 'merge');
        return;
      } catch (e) {
        if ((e as { code?: number }).code !== 404) log(`local-path: annotating node ${o.nodeName}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 500).unref());
      }
    }
  };
  const annotated = annotate();

  const informers = new InformerFactory(o.client, { log });
  const volumes = informers.informerFor(resources.persistentVolumes);
  const busy = new Set<string>();
  const reclaim = async (pv: PersistentVolume) => {
    const name = pv.metadata?.name ?? '';
    if (stopped || busy.has(name) || !shouldReclaim(pv, o.nodeName, root)) return;
    busy.add(name);
    try {
      rmSync(pv.spec?.hostPath?.path ?? pv.spec?.local?.path ?? '', { recursive: true, force: true });
      await o.client.delete(resources.persistentVolumes, name, { preconditions: { uid: pv.metadata?.uid } }).catch((e: unknown) => {
        if ((e as { code?: number }).code !== 404) throw e;
      });
      log(`local-path: deleted volume ${name} and its data`);
    } catch (e) {
      log(`local-path: deleting volume ${name}: ${(e as Error).message}`);
    } finally {
      busy.delete(name);
    }
  };
  const remove = volumes.addEventHandler({ onAdd: (pv) => void reclaim(pv), onUpdate: (_o, pv) => void reclaim(pv) });
  informers.start();
  return {
    root,
    stop: async () => {
      stopped = true;
      remove();
      await annotated;
      await informers.stop();
    },
  };
}
