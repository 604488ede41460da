// Tables for storage.k8s.io: storage classes (NAME with "(default)"), volume attachments, CSI drivers, CSI
// nodes and CSI storage capacities, as upstream printers.go. Pure over object and `now`.
import type { CSIDriver, CSINode, CSIStorageCapacity, StorageClass, VolumeAttachment } from 'kubernetes-types/storage/v1.js';
import type { TableConvertor } from '../resource.js';
import type { KubeObject } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, nameOf } from './format.js';

const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

/** storageutil.IsDefaultAnnotation. */
export function isDefaultStorageClass(obj: KubeObject): boolean {
  const a = obj.metadata.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

export const storageClassTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Provisioner', 'string', 'storage.v1.StorageClass.provisioner'),
    column('ReclaimPolicy', 'string', 'storage.v1.StorageClass.reclaimPolicy'),
    column('VolumeBindingMode', 'string', 'storage.v1.StorageClass.volumeBindingMode'),
    column('AllowVolumeExpansion', 'string', 'storage.v1.StorageClass.allowVolumeExpansion'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const sc = obj as unknown as StorageClass;
    const name = nameOf(obj) + (isDefaultStorageClass(obj) ? ' (default)' : '');
    return [
      name,
      sc.provisioner ?? '',
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      sc.allowVolumeExpansion ?? false,
      age(obj, now),
    ];
  },
};

export const volumeAttachmentTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Attacher', 'string', 'storage.v1.VolumeAttachmentSpec.attacher', { format: 'name' }),
    column('PV', 'string', 'storage.v1.VolumeAttachmentSource.persistentVolumeName'),
    column('Node', 'string', 'storage.v1.VolumeAttachmentSpec.nodeName'),
    column('Attached', 'boolean', 'storage.v1.VolumeAttachmentStatus.attached'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const va = obj as unknown as VolumeAttachment;
    return [
      nameOf(obj),
      va.spec?.attacher ?? '',
      va.spec?.source?.persistentVolumeName ?? '',
      va.spec?.nodeName ?? '',
      va.status?.attached ?? false,
      age(obj, now),
    ];
  },
};

export const csiDriverTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('AttachRequired', 'boolean', 'storage.v1.CSIDriverSpec.attachRequired'),
    column('PodInfoOnMount', 'boolean', 'storage.v1.CSIDriverSpec.podInfoOnMount'),
    column('StorageCapacity', 'boolean', 'storage.v1.CSIDriverSpec.storageCapacity'),
    column('TokenRequests', 'string', 'storage.v1.CSIDriverSpec.tokenRequests'),
    column('RequiresRepublish', 'boolean', 'storage.v1.CSIDriverSpec.requiresRepublish'),
    column('Modes', 'string', 'storage.v1.CSIDriverSpec.volumeLifecycleModes'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const spec = (obj as unknown as CSIDriver).spec ?? {};
    const modes = (spec.volumeLifecycleModes ?? []).join(',');
    const tokenRequests = spec.tokenRequests ? spec.tokenRequests.map((t) => t.audience).join(',') : '<unset>';
    return [
      nameOf(obj),
      spec.attachRequired ?? true,
      spec.podInfoOnMount ?? false,
      spec.storageCapacity ?? false,
      tokenRequests,
      spec.requiresRepublish ?? false,
      modes || '<none>',
      age(obj, now),
    ];
  },
};

export const csiNodeTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Drivers', 'integer', { text: 'Drivers indicates the number of CSI drivers registered on the node' }),
    AGE_COLUMN,
  ],
  row(obj, now) {
    return [nameOf(obj), ((obj as unknown as CSINode).spec?.drivers ?? []).length, age(obj, now)];
  },
};

export const csiStorageCapacityTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('StorageClassName', 'string', 'storage.v1.CSIStorageCapacity.storageClassName'),
    column('Capacity', 'string', 'storage.v1.CSIStorageCapacity.capacity'),
  ],
  row(obj) {
    const c = obj as unknown as CSIStorageCapacity;
    return [nameOf(obj), c.storageClassName ?? '', c.capacity !== undefined ? String(c.capacity) : '<unset>'];
  },
};
