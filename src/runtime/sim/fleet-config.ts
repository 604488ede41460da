// The desired fleet of simulated nodes, kept in the ConfigMap kube-system/skiff-sim-nodes (one key per node,
// a JSON SimNodeEntry as value), so that `skiff sim-node add|remove|stop|start` can change the fleet of a
// running `skiff up --runtime sim` through the API. This module holds the format and the pure decision of
// what to do; fleet-sync.ts applies it.
import type { SimNodeSpec } from './node-object.js';

export const fleetConfigMap = { namespace: 'kube-system', name: 'skiff-sim-nodes' };

export interface SimNodeEntry {
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: SimNodeSpec['taints'];
  /** "stopped" simulates a node failure: its Lease is no longer renewed. Default "running". */
  state?: 'running' | 'stopped';
}

export function entryOf(spec: SimNodeSpec, state: SimNodeEntry['state'] = 'running'): SimNodeEntry {
  const e: SimNodeEntry = { state };
  if (spec.cpu) e.cpu = spec.cpu;
  if (spec.memory) e.memory = spec.memory;
  if (spec.pods) e.pods = spec.pods;
  if (spec.labels && Object.keys(spec.labels).length) e.labels = spec.labels;
  if (spec.taints?.length) e.taints = spec.taints;
  return e;
}

export function specOf(name: string, e: SimNodeEntry): SimNodeSpec {
  return { name, cpu: e.cpu, memory: e.memory, pods: e.pods, labels: e.labels, taints: e.taints };
}

/** Parses the ConfigMap's data; entries that are not valid JSON objects are reported, not applied. */
export function parseFleet(data: Record<string, string> | undefined): { entries: Map<string, SimNodeEntry>; errors: string[] } {
  const entries = new Map<string, SimNodeEntry>();
  const errors: string[] = [];
  for (const [name, raw] of Object.entries(data ?? {})) {
    try {
      const v = JSON.parse(raw) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
      entries.set(name, v as SimNodeEntry);
    } catch (err) {
      errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { entries, errors };
}

export type FleetAction =
  | { type: 'add'; spec: SimNodeSpec; stopped: boolean }
  | { type: 'remove'; name: string }
  | { type: 'stop'; name: string }
  | { type: 'restart'; name: string };

/** What to do to make the running fleet match the desired one (pure). */
export function planFleet(desired: Map<string, SimNodeEntry>, running: { name: string; stopped: boolean }[]): FleetAction[] {
  const actions: FleetAction[] = [];
  const have = new Map(running.map((n) => [n.name, n.stopped]));
  for (const [name, e] of desired) {
    const wantStopped = e.state === 'stopped';
    if (!have.has(name)) actions.push({ type: 'add', spec: specOf(name, e), stopped: wantStopped });
    else if (wantStopped && !have.get(name)) actions.push({ type: 'stop', name });
    else if (!wantStopped && have.get(name)) actions.push({ type: 'restart', name });
  }
  for (const name of have.keys()) if (!desired.has(name)) actions.push({ type: 'remove', name });
  return actions;
}
