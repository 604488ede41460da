// Tables for apps/v1: deployments, replica sets, stateful sets, daemon sets and controller revisions, with the
// columns and cells of upstream printers.go (READY "n/m", UP-TO-DATE, wide CONTAINERS/IMAGES/SELECTOR).
// Pure over object and `now`.
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { TableConvertor } from '../resource.js';
import { parseApiVersion } from '../types.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  age,
  column,
  controllerOf,
  formatLabelSelector,
  formatLabels,
  labelSelectorString,
  layoutContainers,
  nameOf,
} from './format.js';

export const deploymentTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', { text: 'Number of the pod with ready state' }),
    column('Up-to-date', 'string', 'apps.v1.DeploymentStatus.updatedReplicas'),
    column('Available', 'string', 'apps.v1.DeploymentStatus.availableReplicas'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'apps.v1.DeploymentSpec.selector', { priority: 1 }),
  ],
  row(obj, now) {
    const d = obj as unknown as Deployment;
    const [names, images] = layoutContainers(d.spec?.template?.spec?.containers);
    const selector = labelSelectorString(d.spec?.selector);
    return [
      nameOf(obj),
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(obj, now),
      names,
      images,
      selector === undefined ? '<invalid>' : selector,
    ];
  },
};

export const replicaSetTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'apps.v1.ReplicaSetSpec.replicas'),
    column('Current', 'integer', 'apps.v1.ReplicaSetStatus.replicas'),
    column('Ready', 'integer', 'apps.v1.ReplicaSetStatus.readyReplicas'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'apps.v1.ReplicaSetSpec.selector', { priority: 1 }),
  ],
  row(obj, now) {
    const rs = obj as unknown as ReplicaSet;
    const [names, images] = layoutContainers(rs.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(obj, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};

export const statefulSetTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', { text: 'Number of the pod with ready state' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
  ],
  row(obj, now) {
    const ss = obj as unknown as StatefulSet;
    const [names, images] = layoutContainers(ss.spec?.template?.spec?.containers);
    return [nameOf(obj), `${ss.status?.readyReplicas ?? 0}/${ss.spec?.replicas ?? 0}`, age(obj, now), names, images];
  },
};

export const daemonSetTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'apps.v1.DaemonSetStatus.desiredNumberScheduled'),
    column('Current', 'integer', 'apps.v1.DaemonSetStatus.currentNumberScheduled'),
    column('Ready', 'integer', 'apps.v1.DaemonSetStatus.numberReady'),
    column('Up-to-date', 'integer', 'apps.v1.DaemonSetStatus.updatedNumberScheduled'),
    column('Available', 'integer', 'apps.v1.DaemonSetStatus.numberAvailable'),
    column('Node Selector', 'string', 'core.v1.PodSpec.nodeSelector'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'apps.v1.DaemonSetSpec.selector', { priority: 1 }),
  ],
  row(obj, now) {
    const ds = obj as unknown as DaemonSet;
    const st = ds.status;
    const [names, images] = layoutContainers(ds.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      st?.desiredNumberScheduled ?? 0,
      st?.currentNumberScheduled ?? 0,
      st?.numberReady ?? 0,
      st?.updatedNumberScheduled ?? 0,
      st?.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(obj, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

/** formatResourceName(gvk.GroupKind(), name, true): "daemonset.apps/foo", "pod/foo" for the core group. */
export function kindSlashName(apiVersion: string, kind: string, name: string): string {
  const { group } = parseApiVersion(apiVersion);
  if (!kind && !group) return name;
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${name}`;
}

export const controllerRevisionTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', { text: 'Controller of the object' }),
    column('Revision', 'string', 'apps.v1.ControllerRevision.revision'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const cr = obj as unknown as ControllerRevision;
    const ref = controllerOf(obj);
    const controller = ref ? kindSlashName(ref.apiVersion, ref.kind, ref.name) : '<none>';
    return [nameOf(obj), controller, cr.revision ?? 0, age(obj, now)];
  },
};
