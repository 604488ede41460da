// Profiles as data: which plugins run (in order) with which weights and arguments, per schedulerName, and
// the registry that turns a plugin name into an instance. The default profile matches upstream's
// default plugin set and score weights; `binPackingProfile` swaps the resource scoring to MostAllocated.
import type { ApiClient } from '../client/index.js';
import type { Framework } from './framework/framework.js';
import { Framework as FrameworkImpl } from './framework/framework.js';
import type { Handle, Plugin } from './framework/types.js';
import { balancedAllocation } from './plugins/balanced-allocation/index.js';
import { defaultBinder } from './plugins/default-binder/index.js';
import { defaultPreemption, type PreemptionDeps } from './plugins/default-preemption/index.js';
import { interPodAffinity } from './plugins/inter-pod-affinity/index.js';
import { nodeAffinity } from './plugins/node-affinity/index.js';
import { nodeName } from './plugins/node-name/index.js';
import { nodePorts } from './plugins/node-ports/index.js';
import { nodeResourcesFit, type FitArgs } from './plugins/node-resources-fit/index.js';
import { nodeUnschedulable } from './plugins/node-unschedulable/index.js';
import { podTopologySpread, type DefaultSelectorFunc, type SpreadArgs } from './plugins/pod-topology-spread/index.js';
import { prioritySort } from './plugins/queue-sort/index.js';
import { taintToleration } from './plugins/taint-toleration/index.js';
import { volumeBinding, type VolumeLookup } from './plugins/volume-binding/index.js';

export interface PluginConfig {
  name: string;
  /** Score weight (score plugins only). Default 1. */
  weight?: number;
  args?: Record<string, unknown>;
}

export interface Profile {
  schedulerName: string;
  /** In order: filters run in this order. */
  plugins: PluginConfig[];
  /** 0 / absent = adaptive (upstream's default). */
  percentageOfNodesToScore?: number;
}

export const defaultSchedulerName = 'default-scheduler';

export const defaultPlugins: PluginConfig[] = [
  { name: 'PrioritySort' },
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'VolumeBinding' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'DefaultBinder' },
];

export function defaultProfile(schedulerName = defaultSchedulerName): Profile {
  return { schedulerName, plugins: defaultPlugins.map((p) => ({ ...p })) };
}

/** Packs pods onto the fewest nodes: MostAllocated scoring, no balancing. */
export function binPackingProfile(schedulerName = 'bin-packing-scheduler'): Profile {
  return {
    schedulerName,
    plugins: defaultPlugins
      .filter((p) => p.name !== 'NodeResourcesBalancedAllocation')
      .map((p) => (p.name === 'NodeResourcesFit' ? { ...p, weight: 5, args: { scoringStrategy: { type: 'MostAllocated' } } } : { ...p })),
  };
}

export interface RegistryDeps {
  client: ApiClient;
  handle: Handle;
  defaultSpreadSelector?: DefaultSelectorFunc;
  preemption: Omit<PreemptionDeps, 'framework' | 'handle'>;
  /** Claims and volumes for VolumeBinding; absent = no claim is known (the plugin never rejects). */
  volumes?: VolumeLookup;
}

export function buildFramework(profile: Profile, deps: RegistryDeps): Framework {
  let fwk: Framework | undefined;
  const make = (c: PluginConfig): Plugin => {
    const a = c.args ?? {};
    switch (c.name) {
      case 'PrioritySort':
        return prioritySort();
      case 'NodeUnschedulable':
        return nodeUnschedulable();
      case 'NodeName':
        return nodeName();
      case 'TaintToleration':
        return taintToleration();
      case 'NodeAffinity':
        return nodeAffinity();
      case 'NodePorts':
        return nodePorts();
      case 'VolumeBinding':
        return volumeBinding(deps.volumes ?? { claim: () => undefined, volume: () => undefined });
      case 'NodeResourcesFit':
        return nodeResourcesFit(a as FitArgs);
      case 'NodeResourcesBalancedAllocation':
        return balancedAllocation(a as { resources?: string[] });
      case 'PodTopologySpread':
        return podTopologySpread(a as SpreadArgs, deps.handle, deps.defaultSpreadSelector);
      case 'InterPodAffinity':
        return interPodAffinity(a, deps.handle);
      case 'DefaultPreemption':
        return defaultPreemption(a, { ...deps.preemption, handle: deps.handle, framework: () => fwk! });
      case 'DefaultBinder':
        return defaultBinder(deps.client);
      default:
        throw new Error(`scheduler profile ${profile.schedulerName}: unknown plugin ${c.name}`);
    }
  };
  fwk = new FrameworkImpl(
    profile.schedulerName,
    profile.plugins.map((c) => ({ plugin: make(c), weight: c.weight ?? 1 })),
    profile.percentageOfNodesToScore,
  );
  return fwk;
}
