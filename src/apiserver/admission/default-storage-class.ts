// Upstream's DefaultStorageClass admission plugin: a new PersistentVolumeClaim that names no class
// (storageClassName absent, not "") gets the cluster's default StorageClass. The PV controller also assigns
// it later for claims created while there was none (retroactive default, upstream 1.28).
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { defaultStorageClass } from '../../controllers/persistentvolume/matching.js';
import type { ObjectStorage } from '../object-storage.js';
import type { ResourceRegistry } from '../resource-registry.js';
import type { AdmissionPlugin } from './admission.js';

export function defaultStorageClassPlugin(registry: ResourceRegistry, storage: ObjectStorage): AdmissionPlugin {
  return {
    name: 'DefaultStorageClass',
    handles: (rt, operation, subresource) => operation === 'CREATE' && !subresource && rt.group === '' && rt.resource === 'persistentvolumeclaims',
    mutate: async (attrs) => {
      if (attrs.operation !== 'CREATE' || attrs.subresource || attrs.rt.group !== '' || attrs.rt.resource !== 'persistentvolumeclaims' || !attrs.object) return;
      const pvc = attrs.object as unknown as PersistentVolumeClaim;
      if (!pvc.spec || pvc.spec.storageClassName !== undefined) return;
      const scType = registry.lookup('storage.k8s.io', 'v1', 'storageclasses');
      if (!scType) return;
      const cache = await storage.cache(scType);
      const def = defaultStorageClass(cache.list(`${scType.storagePrefix}/`).items as unknown as StorageClass[]);
      if (def?.metadata?.name) pvc.spec.storageClassName = def.metadata.name;
    },
  };
}
