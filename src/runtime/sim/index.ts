// Simulated nodes: the public surface (startSimNodes, node specs, annotations that steer pods).
export { startSimNodes, type SimNodes, type SimNodesOptions, type SimStats, type PodMetricsSample } from './sim-nodes.js';
export { type SimNodeSpec, podCidrFor, hostIpFor, simNodeAnnotation, nodeLeaseNamespace } from './node-object.js';
export { completeAfterAnnotation, exitCodeAnnotation, cpuUsageAnnotation, memoryUsageAnnotation, type PodUsage } from './pod-status.js';
export { simNodeSpecs, type FleetOptions } from './fleet.js';
export { syncFleet, type FleetSync } from './fleet-sync.js';
export { fleetConfigMap, parseFleet, planFleet, entryOf, type SimNodeEntry, type FleetAction } from './fleet-config.js';
