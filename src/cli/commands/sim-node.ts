// `skiff sim-node add|remove|stop|start|ls NAME...`: changes the fleet of simulated nodes of a running
// `skiff up --runtime sim` by editing kube-system/skiff-sim-nodes through the API; the cluster's simulator
// follows that ConfigMap. `stop` is a node failure on purpose (its Lease is no longer renewed).
import { join, resolve } from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { Command } from '../command.js';
import { UsageError } from '../args.js';
import { CliError } from '../errors.js';
import { dataDirOption } from '../options.js';

const verbs = ['add', 'remove', 'stop', 'start', 'ls'] as const;
type Verb = (typeof verbs)[number];

export const simNodeCommand: Command = {
  name: 'sim-node',
  args: 'add|remove|stop|start|ls [NAME...]',
  summary: 'add, remove, stop or start simulated nodes of a running `skiff up --runtime sim`',
  details:
    'Examples:\n' +
    '  skiff sim-node add big-1 big-2 --cpu 32 --memory 128Gi --zone zone-d --label disk=ssd\n' +
    '  skiff sim-node add tainted-1 --taint dedicated=gpu:NoSchedule\n' +
    '  skiff sim-node stop big-1        # node failure: Lease no longer renewed\n' +
    '  skiff sim-node start big-1\n' +
    '  skiff sim-node remove big-2\n' +
    '  skiff sim-node ls',
  options: [
    dataDirOption,
    { name: 'kubeconfig', type: 'string', valueName: 'FILE', description: 'kubeconfig to use (default: DATA_DIR/kubeconfig.yaml)' },
    { name: 'cpu', type: 'string', valueName: 'Q', description: 'add: allocatable CPU', default: '4' },
    { name: 'memory', type: 'string', valueName: 'Q', description: 'add: allocatable memory', default: '16Gi' },
    { name: 'pods', type: 'int', valueName: 'N', description: 'add: pod capacity', default: 110, min: 1, max: 100_000 },
    { name: 'zone', type: 'string', valueName: 'ZONE', description: 'add: topology.kubernetes.io/zone label' },
    { name: 'label', type: 'string', valueName: 'K=V,...', description: 'add: extra node labels' },
    { name: 'taint', type: 'string', valueName: 'K=V:EFFECT,...', description: 'add: node taints (effect NoSchedule, PreferNoSchedule or NoExecute)' },
  ],
  async run(opts, ctx) {
    const [verb, ...names] = opts.positionals;
    if (!verb || !(verbs as readonly string[]).includes(verb)) throw new UsageError(`say what to do: ${verbs.join(', ')}`);
    if (verb !== 'ls' && names.length === 0) throw new UsageError(`give the name of at least one node to ${verb}`);
    const [{ ApiClient }, { configMaps }, { ApiError }, sim] = await Promise.all([
      import('../../client/client.js'),
      import('../../client/resources.js'),
      import('../../client/errors.js'),
      import('../../runtime/sim/fleet-config.js'),
    ]);
    const kubeconfig = opts.optionalString('kubeconfig') ?? join(resolve(opts.string('data-dir')), 'kubeconfig.yaml');
    let client;
    try {
      client = ApiClient.fromKubeconfig(kubeconfig);
    } catch (err) {
      throw new CliError(`cannot use ${kubeconfig} (${err instanceof Error ? err.message : String(err)}); start the cluster with \`skiff up --runtime sim\` or pass --kubeconfig`);
    }
    const ns = { namespace: sim.fleetConfigMap.namespace };
    try {
      for (let attempt = 0; ; attempt++) {
        let cm: ConfigMap;
        try {
          cm = await client.get<ConfigMap>(configMaps, sim.fleetConfigMap.name, ns);
        } catch (err) {
          if (err instanceof ApiError && err.code === 404) {
            throw new CliError('this cluster has no simulated nodes; start it with `skiff up --runtime sim`');
          }
          throw err;
        }
        const { entries } = sim.parseFleet(cm.data);
        if (verb === 'ls') {
          for (const [name, e] of [...entries].sort((a, b) => a[0].localeCompare(b[0]))) {
            ctx.stdout.write(`${name}\t${e.state ?? 'running'}\tcpu=${e.cpu ?? '-'}\tmemory=${e.memory ?? '-'}\tpods=${e.pods ?? '-'}\n`);
          }
          return 0;
        }
        const data = { ...(cm.data ?? {}) };
        for (const name of names) applyVerb(verb as Exclude<Verb, 'ls'>, name, data, entries, opts, sim.entryOf);
        try {
          await client.update(configMaps, { ...cm, data }, ns);
          break;
        } catch (err) {
          if (err instanceof ApiError && err.code === 409 && attempt < 5) continue; // someone else edited it
          throw err;
        }
      }
    } finally {
      client.close();
    }
    ctx.stdout.write(`${verb === 'add' ? 'added' : verb === 'remove' ? 'removed' : verb === 'stop' ? 'stopped' : 'started'}: ${names.join(', ')}\n`);
    return 0;
  },
};

function applyVerb(
  verb: Exclude<Verb, 'ls'>,
  name: string,
  data: Record<string, string>,
  entries: Map<string, import('../../runtime/sim/fleet-config.js').SimNodeEntry>,
  opts: import('../args.js').ParsedOptions,
  entryOf: typeof import('../../runtime/sim/fleet-config.js').entryOf,
): void {
  const e = entries.get(name);
  if (verb === 'add') {
    if (e) throw new CliError(`simulated node ${name} already exists`);
    const labels: Record<string, string> = {};
    const zone = opts.optionalString('zone');
    if (zone) labels['topology.kubernetes.io/zone'] = zone;
    for (const kv of (opts.optionalString('label') ?? '').split(',').filter(Boolean)) {
      const [k, v = ''] = kv.split('=');
      if (!k) throw new UsageError(`bad --label ${kv}: use key=value`);
      labels[k] = v;
    }
    const taints = (opts.optionalString('taint') ?? '').split(',').filter(Boolean).map((t) => {
      const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t);
      if (!m) throw new UsageError(`bad --taint ${t}: use key=value:NoSchedule|PreferNoSchedule|NoExecute`);
      return { key: m[1]!, ...(m[2] ? { value: m[2] } : {}), effect: m[3]! };
    });
    data[name] = JSON.stringify(entryOf({ name, cpu: opts.string('cpu'), memory: opts.string('memory'), pods: opts.int('pods'), labels, taints }));
    return;
  }
  if (!e) throw new CliError(`there is no simulated node ${name} (see \`skiff sim-node ls\`)`);
  if (verb === 'remove') delete data[name];
  else data[name] = JSON.stringify({ ...e, state: verb === 'stop' ? 'stopped' : 'running' });
}
