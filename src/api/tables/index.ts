// Server-side table printing for `kubectl get`: which convertor serves which group/kind (the columns upstream's
// kube-apiserver prints), the default NAME/CREATED AT table, CRD printer columns, and Table assembly.
// Lookup only; the printers live in one module per API group.
import type { TableConvertor } from '../resource.js';
import { controllerRevisionTable, daemonSetTable, deploymentTable, replicaSetTable, statefulSetTable } from './apps.js';
import { horizontalPodAutoscalerTable } from './autoscaling.js';
import { cronJobTable, jobTable } from './batch.js';
import {
  admissionPolicyBindingTable,
  apiServiceTable,
  certificateSigningRequestTable,
  clusterRoleBindingTable,
  flowSchemaTable,
  leaseTable,
  mutatingAdmissionPolicyTable,
  podDisruptionBudgetTable,
  priorityClassTable,
  priorityLevelConfigurationTable,
  roleBindingTable,
  runtimeClassTable,
  validatingAdmissionPolicyTable,
  webhookConfigurationTable,
} from './cluster.js';
import {
  configMapTable,
  endpointsTable,
  eventTable,
  namespaceTable,
  nodeTable,
  persistentVolumeClaimTable,
  persistentVolumeTable,
  podTemplateTable,
  replicationControllerTable,
  resourceQuotaTable,
  secretTable,
  serviceAccountTable,
  serviceTable,
} from './core.js';
import { endpointSliceTable, ingressClassTable, ingressTable, ipAddressTable, networkPolicyTable, serviceCIDRTable } from './networking.js';
import { podTable } from './pod.js';
import { csiDriverTable, csiNodeTable, csiStorageCapacityTable, storageClassTable, volumeAttachmentTable } from './storage.js';

export { buildTable, columnDefinitions, type BuildTableOptions } from './build.js';
export { crdTableConvertor, type PrinterColumn } from './crd.js';
export { defaultTableConvertor } from './default.js';
export type { TableObject, TableRow, TableColumnDefinition, TableRowCondition, PartialObjectMetadata } from './types.js';

const TABLES: Record<string, Record<string, TableConvertor>> = {
  '': {
    Pod: podTable,
    Service: serviceTable,
    Endpoints: endpointsTable,
    Node: nodeTable,
    Namespace: namespaceTable,
    ConfigMap: configMapTable,
    Secret: secretTable,
    ServiceAccount: serviceAccountTable,
    Event: eventTable,
    PersistentVolume: persistentVolumeTable,
    PersistentVolumeClaim: persistentVolumeClaimTable,
    ResourceQuota: resourceQuotaTable,
    ReplicationController: replicationControllerTable,
    PodTemplate: podTemplateTable,
  },
  'events.k8s.io': { Event: eventTable },
  apps: {
    Deployment: deploymentTable,
    ReplicaSet: replicaSetTable,
    StatefulSet: statefulSetTable,
    DaemonSet: daemonSetTable,
    ControllerRevision: controllerRevisionTable,
  },
  batch: { Job: jobTable, CronJob: cronJobTable },
  autoscaling: { HorizontalPodAutoscaler: horizontalPodAutoscalerTable },
  'networking.k8s.io': {
    Ingress: ingressTable,
    IngressClass: ingressClassTable,
    NetworkPolicy: networkPolicyTable,
    ServiceCIDR: serviceCIDRTable,
    IPAddress: ipAddressTable,
  },
  'discovery.k8s.io': { EndpointSlice: endpointSliceTable },
  'storage.k8s.io': {
    StorageClass: storageClassTable,
    VolumeAttachment: volumeAttachmentTable,
    CSIDriver: csiDriverTable,
    CSINode: csiNodeTable,
    CSIStorageCapacity: csiStorageCapacityTable,
  },
  'rbac.authorization.k8s.io': { RoleBinding: roleBindingTable, ClusterRoleBinding: clusterRoleBindingTable },
  'coordination.k8s.io': { Lease: leaseTable },
  'scheduling.k8s.io': { PriorityClass: priorityClassTable },
  'node.k8s.io': { RuntimeClass: runtimeClassTable },
  policy: { PodDisruptionBudget: podDisruptionBudgetTable },
  'admissionregistration.k8s.io': {
    MutatingWebhookConfiguration: webhookConfigurationTable,
    ValidatingWebhookConfiguration: webhookConfigurationTable,
    ValidatingAdmissionPolicy: validatingAdmissionPolicyTable,
    ValidatingAdmissionPolicyBinding: admissionPolicyBindingTable,
    MutatingAdmissionPolicy: mutatingAdmissionPolicyTable,
    MutatingAdmissionPolicyBinding: admissionPolicyBindingTable,
  },
  'certificates.k8s.io': { CertificateSigningRequest: certificateSigningRequestTable },
  'flowcontrol.apiserver.k8s.io': { FlowSchema: flowSchemaTable, PriorityLevelConfiguration: priorityLevelConfigurationTable },
  'apiregistration.k8s.io': { APIService: apiServiceTable },
};

/**
 * The convertor upstream's kube-apiserver uses for a built-in kind, or undefined when it uses the default
 * NAME / CREATED AT table (e.g. Role, ClusterRole, LimitRange, CustomResourceDefinition).
 */
export function tableFor(group: string, kind: string): TableConvertor | undefined {
  const kinds = Object.prototype.hasOwnProperty.call(TABLES, group) ? TABLES[group] : undefined;
  return kinds && Object.prototype.hasOwnProperty.call(kinds, kind) ? kinds[kind] : undefined;
}
