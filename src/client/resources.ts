// Typed handles for the built-in resources Skiff's components use most, so `client.typed(pods)` knows it
// deals with Pods. Adding a handle here is cheap; anything else can be defined with defineResource() or
// found with ApiClient.resourceFor().
import type { ConfigMap, Endpoints, Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { defineResource } from './resource.js';

const core = <T>(resource: string, kind: string, namespaced = true) =>
  defineResource<T>({ group: '', version: 'v1', resource, kind, namespaced });
const grouped = <T>(group: string, version: string, resource: string, kind: string, namespaced = true) =>
  defineResource<T>({ group, version, resource, kind, namespaced });

export const pods = core<Pod>('pods', 'Pod');
export const nodes = core<Node>('nodes', 'Node', false);
export const namespaces = core<Namespace>('namespaces', 'Namespace', false);
export const services = core<Service>('services', 'Service');
export const endpoints = core<Endpoints>('endpoints', 'Endpoints');
export const configMaps = core<ConfigMap>('configmaps', 'ConfigMap');
export const secrets = core<Secret>('secrets', 'Secret');
export const serviceAccounts = core<ServiceAccount>('serviceaccounts', 'ServiceAccount');
export const events = core<Event>('events', 'Event');
export const persistentVolumeClaims = core<PersistentVolumeClaim>('persistentvolumeclaims', 'PersistentVolumeClaim');
export const persistentVolumes = core<PersistentVolume>('persistentvolumes', 'PersistentVolume', false);
export const storageClasses = grouped<StorageClass>('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false);
export const deployments = grouped<Deployment>('apps', 'v1', 'deployments', 'Deployment');
export const replicaSets = grouped<ReplicaSet>('apps', 'v1', 'replicasets', 'ReplicaSet');
export const statefulSets = grouped<StatefulSet>('apps', 'v1', 'statefulsets', 'StatefulSet');
export const daemonSets = grouped<DaemonSet>('apps', 'v1', 'daemonsets', 'DaemonSet');
export const jobs = grouped<Job>('batch', 'v1', 'jobs', 'Job');
export const cronJobs = grouped<CronJob>('batch', 'v1', 'cronjobs', 'CronJob');
export const leases = grouped<Lease>('coordination.k8s.io', 'v1', 'leases', 'Lease');
export const endpointSlices = grouped<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice');
export const podDisruptionBudgets = grouped<PodDisruptionBudget>('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget');
export const horizontalPodAutoscalers = grouped<HorizontalPodAutoscaler>('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler');
export const customResourceDefinitions = grouped<CustomResourceDefinition>('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false);
