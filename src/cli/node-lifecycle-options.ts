// kube-controller-manager's node lifecycle flags, same names and defaults: how often nodes are checked
// (--node-monitor-period 5s), how long a node may go without a heartbeat before it is NotReady/Unknown
// (--node-monitor-grace-period 50s) and how long a new node gets (--node-startup-grace-period 1m).
import { UsageError, type OptionSpec, type ParsedOptions } from './args.js';
import { parseDuration } from './datastore.js';

export interface NodeLifecycleTimings {
  monitorPeriodMs: number;
  monitorGraceMs: number;
  startupGraceMs: number;
}

export const nodeLifecycleOptions: readonly OptionSpec[] = [
  { name: 'node-monitor-period', type: 'string', valueName: 'DURATION', description: 'how often node health is checked [5s]' },
  { name: 'node-monitor-grace-period', type: 'string', valueName: 'DURATION', description: 'a node without a heartbeat for this long is marked not ready [50s]' },
  { name: 'node-startup-grace-period', type: 'string', valueName: 'DURATION', description: 'time a new node has to report ready [1m]' },
];

export function nodeLifecycleTimings(opts: ParsedOptions): NodeLifecycleTimings {
  const get = (name: string, def: string) => parseDuration(opts.optionalString(name) ?? def, `--${name}`);
  const t = {
    monitorPeriodMs: get('node-monitor-period', '5s'),
    monitorGraceMs: get('node-monitor-grace-period', '50s'),
    startupGraceMs: get('node-startup-grace-period', '1m'),
  };
  if (t.monitorPeriodMs <= 0) throw new UsageError('--node-monitor-period must be positive');
  if (t.monitorGraceMs <= t.monitorPeriodMs) throw new UsageError('--node-monitor-grace-period must be longer than --node-monitor-period');
  return t;
}
