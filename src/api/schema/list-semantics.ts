// Upstream's Go struct tags that OpenAPI carries as extensions, for the built-in types Skiff serves:
// patchStrategy/patchMergeKey (strategic merge patch) and +listType/+listMapKey/+mapType/+structType
// (server-side apply). kubernetes-types drops these, so scripts/gen-builtin-schemas.ts overlays this table on
// the generated definitions. Checked against k8s.io/api 1.32 types.go and the published OpenAPI. This module
// is data only: it must not import anything or compute at run time.

export interface FieldSemantics {
  patchMergeKey?: string;
  /** "merge", "retainKeys" or "merge,retainKeys". */
  patchStrategy?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** For map-valued fields (map[string]T) marked +mapType. */
  mapType?: 'atomic' | 'granular';
}

const core = (t: string) => `io.k8s.api.core.v1.${t}`;
const meta = (t: string) => `io.k8s.apimachinery.pkg.apis.meta.v1.${t}`;
const api = (gv: string, t: string) => `io.k8s.api.${gv}.${t}`;
const apiext = (t: string) => `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.${t}`;

const ATOMIC: FieldSemantics = { listType: 'atomic' };
const SET: FieldSemantics = { listType: 'set' };
const byName = (strategy = 'merge'): FieldSemantics => ({
  patchMergeKey: 'name',
  patchStrategy: strategy,
  listType: 'map',
  listMapKeys: ['name'],
});
/** Conditions keyed by type (the common status shape). */
const CONDITIONS: FieldSemantics = { patchMergeKey: 'type', patchStrategy: 'merge', listType: 'map', listMapKeys: ['type'] };
const CONTAINER_PORTS: FieldSemantics = {
  patchMergeKey: 'containerPort',
  patchStrategy: 'merge',
  listType: 'map',
  listMapKeys: ['containerPort', 'protocol'],
};
const VOLUME_MOUNTS: FieldSemantics = {
  patchMergeKey: 'mountPath',
  patchStrategy: 'merge',
  listType: 'map',
  listMapKeys: ['mountPath'],
};
const VOLUME_DEVICES: FieldSemantics = {
  patchMergeKey: 'devicePath',
  patchStrategy: 'merge',
  listType: 'map',
  listMapKeys: ['devicePath'],
};

const containerFields: Record<string, FieldSemantics> = {
  command: ATOMIC,
  args: ATOMIC,
  ports: CONTAINER_PORTS,
  envFrom: ATOMIC,
  env: byName(),
  resizePolicy: ATOMIC,
  volumeMounts: VOLUME_MOUNTS,
  volumeDevices: VOLUME_DEVICES,
};

/** Definition name → property name → semantics. */
export const fieldSemantics: Record<string, Record<string, FieldSemantics>> = {
  // meta/v1
  [meta('ObjectMeta')]: {
    finalizers: { patchStrategy: 'merge', listType: 'set' },
    ownerReferences: { patchMergeKey: 'uid', patchStrategy: 'merge', listType: 'map', listMapKeys: ['uid'] },
    managedFields: ATOMIC,
  },
  [meta('LabelSelector')]: { matchExpressions: ATOMIC },
  [meta('LabelSelectorRequirement')]: { values: ATOMIC },

  // core/v1: pods and templates
  [core('PodSpec')]: {
    volumes: byName('merge,retainKeys'),
    initContainers: byName(),
    containers: byName(),
    ephemeralContainers: byName(),
    // 1.32 publishes only the patch tags here (listType=map came later); apply derives the same map.
    imagePullSecrets: { patchMergeKey: 'name', patchStrategy: 'merge' },
    nodeSelector: { mapType: 'atomic' },
    tolerations: ATOMIC,
    hostAliases: { patchMergeKey: 'ip', patchStrategy: 'merge' },
    readinessGates: ATOMIC,
    topologySpreadConstraints: {
      patchMergeKey: 'topologyKey',
      patchStrategy: 'merge',
      listType: 'map',
      listMapKeys: ['topologyKey', 'whenUnsatisfiable'],
    },
    resourceClaims: byName('merge,retainKeys'),
    schedulingGates: byName(),
  },
  [core('PodSecurityContext')]: { supplementalGroups: ATOMIC, sysctls: ATOMIC },
  [core('Container')]: containerFields,
  [core('EphemeralContainer')]: containerFields,
  [core('Capabilities')]: { add: ATOMIC, drop: ATOMIC },
  [core('ResourceRequirements')]: { claims: { listType: 'map', listMapKeys: ['name'] } },
  [core('ExecAction')]: { command: ATOMIC },
  [core('HTTPGetAction')]: { httpHeaders: ATOMIC },
  [core('NodeSelector')]: { nodeSelectorTerms: ATOMIC },
  [core('NodeSelectorTerm')]: { matchExpressions: ATOMIC, matchFields: ATOMIC },
  [core('NodeSelectorRequirement')]: { values: ATOMIC },
  [core('NodeAffinity')]: { preferredDuringSchedulingIgnoredDuringExecution: ATOMIC },
  [core('PodAffinity')]: {
    requiredDuringSchedulingIgnoredDuringExecution: ATOMIC,
    preferredDuringSchedulingIgnoredDuringExecution: ATOMIC,
  },
  [core('PodAntiAffinity')]: {
    requiredDuringSchedulingIgnoredDuringExecution: ATOMIC,
    preferredDuringSchedulingIgnoredDuringExecution: ATOMIC,
  },
  [core('PodAffinityTerm')]: { namespaces: ATOMIC, matchLabelKeys: ATOMIC, mismatchLabelKeys: ATOMIC },
  [core('TopologySpreadConstraint')]: { matchLabelKeys: ATOMIC },
  [core('PodDNSConfig')]: { nameservers: ATOMIC, searches: ATOMIC, options: ATOMIC },
  [core('HostAlias')]: { hostnames: ATOMIC },
  [core('PodStatus')]: {
    conditions: CONDITIONS,
    podIPs: { patchMergeKey: 'ip', patchStrategy: 'merge', listType: 'map', listMapKeys: ['ip'] },
    hostIPs: { patchMergeKey: 'ip', patchStrategy: 'merge', listType: 'atomic' },
    initContainerStatuses: ATOMIC,
    containerStatuses: ATOMIC,
    ephemeralContainerStatuses: ATOMIC,
    resourceClaimStatuses: byName('merge,retainKeys'),
  },
  [core('ConfigMapVolumeSource')]: { items: ATOMIC },
  [core('SecretVolumeSource')]: { items: ATOMIC },
  [core('DownwardAPIVolumeSource')]: { items: ATOMIC },
  [core('ProjectedVolumeSource')]: { sources: ATOMIC },
  [core('ConfigMapProjection')]: { items: ATOMIC },
  [core('SecretProjection')]: { items: ATOMIC },
  [core('DownwardAPIProjection')]: { items: ATOMIC },
  [core('CephFSVolumeSource')]: { monitors: ATOMIC },
  [core('CephFSPersistentVolumeSource')]: { monitors: ATOMIC },
  [core('RBDVolumeSource')]: { monitors: ATOMIC },
  [core('RBDPersistentVolumeSource')]: { monitors: ATOMIC },
  [core('ISCSIVolumeSource')]: { portals: ATOMIC },
  [core('ISCSIPersistentVolumeSource')]: { portals: ATOMIC },
  [core('FCVolumeSource')]: { targetWWNs: ATOMIC, wwids: ATOMIC },

  // core/v1: services, endpoints, nodes, namespaces, storage
  [core('ServiceSpec')]: {
    ports: { patchMergeKey: 'port', patchStrategy: 'merge', listType: 'map', listMapKeys: ['port', 'protocol'] },
    selector: { mapType: 'atomic' },
    clusterIPs: ATOMIC,
    externalIPs: ATOMIC,
    loadBalancerSourceRanges: ATOMIC,
    ipFamilies: ATOMIC,
  },
  [core('ServiceStatus')]: { conditions: CONDITIONS },
  [core('LoadBalancerStatus')]: { ingress: ATOMIC },
  [core('LoadBalancerIngress')]: { ports: ATOMIC },
  [core('ServiceAccount')]: { secrets: { patchMergeKey: 'name', patchStrategy: 'merge' }, imagePullSecrets: ATOMIC },
  [core('Endpoints')]: { subsets: ATOMIC },
  [core('EndpointSubset')]: { addresses: ATOMIC, notReadyAddresses: ATOMIC, ports: ATOMIC },
  [core('NodeSpec')]: { podCIDRs: { patchStrategy: 'merge', listType: 'set' }, taints: ATOMIC },
  [core('NodeStatus')]: {
    conditions: CONDITIONS,
    addresses: CONDITIONS,
    images: ATOMIC,
    volumesInUse: ATOMIC,
    volumesAttached: ATOMIC,
    runtimeHandlers: ATOMIC,
  },
  [core('ContainerImage')]: { names: ATOMIC },
  [core('NamespaceSpec')]: { finalizers: ATOMIC },
  [core('NamespaceStatus')]: { conditions: CONDITIONS },
  [core('PersistentVolumeClaimSpec')]: { accessModes: ATOMIC },
  [core('PersistentVolumeClaimStatus')]: {
    accessModes: ATOMIC,
    conditions: CONDITIONS,
    allocatedResourceStatuses: { mapType: 'granular' },
  },
  [core('PersistentVolumeSpec')]: { accessModes: ATOMIC, mountOptions: ATOMIC },
  [core('ReplicationControllerSpec')]: { selector: { mapType: 'atomic' } },
  [core('ReplicationControllerStatus')]: { conditions: CONDITIONS },
  [core('LimitRangeSpec')]: { limits: ATOMIC },
  [core('ResourceQuotaSpec')]: { scopes: ATOMIC },
  [core('ScopeSelector')]: { matchExpressions: ATOMIC },
  [core('ScopedResourceSelectorRequirement')]: { values: ATOMIC },
  [core('TopologySelectorTerm')]: { matchLabelExpressions: ATOMIC },
  [core('TopologySelectorLabelRequirement')]: { values: ATOMIC },
  [core('ComponentStatus')]: { conditions: CONDITIONS },

  // apps/v1
  [api('apps.v1', 'DeploymentStatus')]: { conditions: CONDITIONS },
  [api('apps.v1', 'ReplicaSetStatus')]: { conditions: CONDITIONS },
  [api('apps.v1', 'DaemonSetStatus')]: { conditions: CONDITIONS },
  [api('apps.v1', 'StatefulSetStatus')]: { conditions: CONDITIONS },
  [api('apps.v1', 'StatefulSetSpec')]: { volumeClaimTemplates: ATOMIC },

  // batch/v1
  [api('batch.v1', 'JobStatus')]: { conditions: { patchMergeKey: 'type', patchStrategy: 'merge', listType: 'atomic' } },
  [api('batch.v1', 'CronJobStatus')]: { active: ATOMIC },
  [api('batch.v1', 'PodFailurePolicy')]: { rules: ATOMIC },
  [api('batch.v1', 'PodFailurePolicyRule')]: { onPodConditions: ATOMIC },
  [api('batch.v1', 'PodFailurePolicyOnExitCodesRequirement')]: { values: SET },
  [api('batch.v1', 'SuccessPolicy')]: { rules: ATOMIC },

  // autoscaling/v2
  [api('autoscaling.v2', 'HorizontalPodAutoscalerSpec')]: { metrics: ATOMIC },
  [api('autoscaling.v2', 'HorizontalPodAutoscalerStatus')]: { currentMetrics: ATOMIC, conditions: CONDITIONS },
  [api('autoscaling.v2', 'HPAScalingRules')]: { policies: ATOMIC },

  // policy/v1
  [api('policy.v1', 'PodDisruptionBudgetStatus')]: { conditions: CONDITIONS },

  // networking.k8s.io/v1
  [api('networking.v1', 'NetworkPolicySpec')]: { ingress: ATOMIC, egress: ATOMIC, policyTypes: ATOMIC },
  [api('networking.v1', 'NetworkPolicyIngressRule')]: { ports: ATOMIC, from: ATOMIC },
  [api('networking.v1', 'NetworkPolicyEgressRule')]: { ports: ATOMIC, to: ATOMIC },
  [api('networking.v1', 'IPBlock')]: { except: ATOMIC },
  [api('networking.v1', 'IngressSpec')]: { tls: ATOMIC, rules: ATOMIC },
  [api('networking.v1', 'IngressTLS')]: { hosts: ATOMIC },
  [api('networking.v1', 'HTTPIngressRuleValue')]: { paths: ATOMIC },
  [api('networking.v1', 'IngressLoadBalancerStatus')]: { ingress: ATOMIC },
  [api('networking.v1', 'IngressLoadBalancerIngress')]: { ports: ATOMIC },

  // rbac.authorization.k8s.io/v1
  [api('rbac.v1', 'Role')]: { rules: ATOMIC },
  [api('rbac.v1', 'ClusterRole')]: { rules: ATOMIC },
  [api('rbac.v1', 'AggregationRule')]: { clusterRoleSelectors: ATOMIC },
  [api('rbac.v1', 'PolicyRule')]: {
    verbs: ATOMIC,
    apiGroups: ATOMIC,
    resources: ATOMIC,
    resourceNames: ATOMIC,
    nonResourceURLs: ATOMIC,
  },
  [api('rbac.v1', 'RoleBinding')]: { subjects: ATOMIC },
  [api('rbac.v1', 'ClusterRoleBinding')]: { subjects: ATOMIC },

  // discovery.k8s.io/v1
  [api('discovery.v1', 'EndpointSlice')]: { endpoints: ATOMIC, ports: ATOMIC },
  [api('discovery.v1', 'Endpoint')]: { addresses: SET },
  [api('discovery.v1', 'EndpointHints')]: { forZones: ATOMIC },

  // storage.k8s.io/v1
  [api('storage.v1', 'StorageClass')]: { mountOptions: ATOMIC, allowedTopologies: ATOMIC },
  [api('storage.v1', 'CSIDriverSpec')]: { volumeLifecycleModes: SET, tokenRequests: ATOMIC },
  [api('storage.v1', 'CSINodeSpec')]: { drivers: byName() },
  [api('storage.v1', 'CSINodeDriver')]: { topologyKeys: ATOMIC },

  // apiextensions.k8s.io/v1
  [apiext('CustomResourceDefinitionSpec')]: { versions: ATOMIC },
  [apiext('CustomResourceDefinitionNames')]: { shortNames: ATOMIC, categories: ATOMIC },
  [apiext('CustomResourceDefinitionStatus')]: { conditions: { listType: 'map', listMapKeys: ['type'] }, storedVersions: ATOMIC },
  [apiext('CustomResourceDefinitionVersion')]: { additionalPrinterColumns: ATOMIC, selectableFields: ATOMIC },
  [apiext('JSONSchemaProps')]: {
    required: ATOMIC,
    enum: ATOMIC,
    allOf: ATOMIC,
    anyOf: ATOMIC,
    oneOf: ATOMIC,
    'x-kubernetes-list-map-keys': ATOMIC,
    'x-kubernetes-validations': { patchMergeKey: 'rule', patchStrategy: 'merge', listType: 'map', listMapKeys: ['rule'] },
  },
};

/** Structs marked +structType=atomic (or +mapType=atomic): replaced as a whole by apply. */
export const atomicStructs: string[] = [
  meta('LabelSelector'),
  meta('OwnerReference'),
  core('ObjectReference'),
  core('LocalObjectReference'),
  core('TypedLocalObjectReference'),
  core('SecretKeySelector'),
  core('ConfigMapKeySelector'),
  core('ObjectFieldSelector'),
  core('ResourceFieldSelector'),
  core('SecretReference'),
  core('NodeSelector'),
  core('NodeSelectorTerm'),
  core('TopologySelectorTerm'),
  api('discovery.v1', 'EndpointPort'),
];
