// kube-controller-manager's HPA flags and metrics-server's resolution, same names and defaults:
// --horizontal-pod-autoscaler-sync-period 15s, --horizontal-pod-autoscaler-downscale-stabilization 5m,
// --metric-resolution 15s (how often node agents' /stats/summary is scraped).
import { UsageError, type OptionSpec, type ParsedOptions } from './args.js';
import { parseDuration } from './datastore.js';

export interface AutoscalingTimings {
  hpaSyncPeriodMs: number;
  hpaDownscaleStabilizationMs: number;
  metricResolutionMs: number;
}

export const autoscalingOptions: readonly OptionSpec[] = [
  { name: 'horizontal-pod-autoscaler-sync-period', type: 'string', valueName: 'DURATION', description: 'how often each HorizontalPodAutoscaler is synced [15s]' },
  { name: 'horizontal-pod-autoscaler-downscale-stabilization', type: 'string', valueName: 'DURATION', description: 'scale-down window of HPAs without spec.behavior [5m]' },
  { name: 'metric-resolution', type: 'string', valueName: 'DURATION', description: 'how often node resource usage is scraped for metrics.k8s.io [15s]' },
];

export function autoscalingTimings(opts: ParsedOptions): AutoscalingTimings {
  const get = (name: string, def: string) => parseDuration(opts.optionalString(name) ?? def, `--${name}`);
  const t = {
    hpaSyncPeriodMs: get('horizontal-pod-autoscaler-sync-period', '15s'),
    hpaDownscaleStabilizationMs: get('horizontal-pod-autoscaler-downscale-stabilization', '5m'),
    metricResolutionMs: get('metric-resolution', '15s'),
  };
  if (t.hpaSyncPeriodMs <= 0) throw new UsageError('--horizontal-pod-autoscaler-sync-period must be positive');
  if (t.metricResolutionMs <= 0) throw new UsageError('--metric-resolution must be positive');
  return t;
}
