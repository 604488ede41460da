// Keeps a running SimNodes fleet equal to the desired fleet in the ConfigMap kube-system/skiff-sim-nodes:
// seeds the ConfigMap with the start-up fleet when it does not exist, then follows it with an informer and
// applies planFleet's actions one change at a time (level-triggered: every change re-plans from scratch).
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { configMaps } from '../../client/resources.js';
import { ApiError } from '../../client/errors.js';
import type { SimNodes } from './sim-nodes.js';
import type { SimNodeSpec } from './node-object.js';
import { entryOf, fleetConfigMap, parseFleet, planFleet, type FleetAction } from './fleet-config.js';

const addConcurrency = 32;

export interface FleetSync {
  stop(): Promise<void>;
}

export async function syncFleet(client: ApiClient, sim: SimNodes, initial: SimNodeSpec[], log: (line: string) => void): Promise<FleetSync> {
  await seed(client, initial);
  const informer = new Informer<ConfigMap>(client, configMaps, {
    namespace: fleetConfigMap.namespace,
    fieldSelector: `metadata.name=${fleetConfigMap.name}`,
    log,
  });
  let chain = Promise.resolve();
  let reported = '';
  const reconcile = (cm: ConfigMap | undefined) => {
    chain = chain.then(async () => {
      if (!cm) return; // deleted: keep the fleet as it is rather than tear every node down
      const { entries, errors } = parseFleet(cm.data);
      const problems = errors.join('; ');
      if (problems && problems !== reported) log(`sim fleet: ignoring invalid entries in ${fleetConfigMap.namespace}/${fleetConfigMap.name}: ${problems}`);
      reported = problems;
      const running = sim.nodeNames().map((name) => ({ name, stopped: sim.isStopped(name) }));
      const actions = planFleet(entries, running);
      // A fleet of thousands registers with bounded concurrency, as the simulator's own start-up does: a
      // pool of workers, so one slow registration does not hold back the next batch.
      let next = 0;
      const worker = async () => {
        while (next < actions.length) await apply(actions[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(addConcurrency, actions.length) }, worker));
    });
  };
  const apply = async (a: FleetAction): Promise<void> => {
    try {
      if (a.type === 'add') {
        await sim.addNode(a.spec);
        if (a.stopped) sim.stopNode(a.spec.name);
      } else if (a.type === 'remove') await sim.removeNode(a.name);
      else if (a.type === 'stop') sim.stopNode(a.name);
      else await sim.restartNode(a.name);
    } catch (err) {
      log(`sim fleet: ${a.type} ${'spec' in a ? a.spec.name : a.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  informer.addEventHandler({
    onAdd: (cm) => reconcile(cm),
    onUpdate: (_old, cm) => reconcile(cm),
  });
  informer.start();
  return {
    stop: async () => {
      await informer.stop();
      await chain;
    },
  };
}

/** Creates the ConfigMap with the start-up fleet unless it exists (a restart keeps the edited fleet). */
async function seed(client: ApiClient, initial: SimNodeSpec[]): Promise<void> {
  const data: Record<string, string> = {};
  for (const spec of initial) data[spec.name] = JSON.stringify(entryOf(spec));
  try {
    await client.create(configMaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: fleetConfigMap.name, namespace: fleetConfigMap.namespace },
      data,
    } as ConfigMap, { namespace: fleetConfigMap.namespace });
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
  }
}
