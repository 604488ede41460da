// kube-controller-manager's HPA flags and metrics-server's resolution, same names and defaults:
// --horizontal-pod-autoscaler-sync-period 15s, --horizontal-pod-autoscaler-downscale-stabilization 5m,
// --horizontal-pod-autoscaler-tolerance 0.1, --horizontal-pod-autoscaler-cpu-initialization-period 5m,
// --horizontal-pod-autoscaler-initial-readiness-delay 30s, --metric-resolution 15s (how often node agents'
// /stats/summary is scraped).
import { UsageError, type OptionSpec, type ParsedOptions } from './args.js';
import { parseDuration } from './datastore.js';

export interface AutoscalingTimings {
  hpaSyncPeriodMs: number;
  hpaDownscaleStabilizationMs: number;
  hpaCalculator: { tolerance: number; cpuInitializationPeriodMs: number; delayOfInitialReadinessStatusMs: number };
  metricResolutionMs: number;
}

export const autoscalingOptions: readonly OptionSpec[] = [
  { name: 'horizontal-pod-autoscaler-sync-period', type: 'string', valueName: 'DURATION', description: 'how often each HorizontalPodAutoscaler is synced [15s]' },
  { name: 'horizontal-pod-autoscaler-downscale-stabilization', type: 'string', valueName: 'DURATION', description: 'scale-down window of HPAs without spec.behavior [5m]' },
  { name: 'horizontal-pod-autoscaler-tolerance', type: 'string', valueName: 'FLOAT', description: 'minimum change (from 1.0) of the desired-to-actual metric ratio before an HPA scales [0.1]' },
  { name: 'horizontal-pod-autoscaler-cpu-initialization-period', type: 'string', valueName: 'DURATION', description: 'period after pod start when CPU samples may be skipped [5m]' },
  { name: 'horizontal-pod-autoscaler-initial-readiness-delay', type: 'string', valueName: 'DURATION', description: 'period after pod start when readiness changes count as initial readiness [30s]' },
  { name: 'metric-resolution', type: 'string', valueName: 'DURATION', description: 'how often node resource usage is scraped for metrics.k8s.io [15s]' },
];

export function autoscalingTimings(opts: ParsedOptions): AutoscalingTimings {
  const get = (name: string, def: string) => parseDuration(opts.optionalString(name) ?? def, `--${name}`);
  const toleranceText = opts.optionalString('horizontal-pod-autoscaler-tolerance') ?? '0.1';
  const tolerance = Number(toleranceText);
  if (toleranceText.trim() === '' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new UsageError(`--horizontal-pod-autoscaler-tolerance must be a non-negative number, got "${toleranceText}"`);
  }
  const t = {
    hpaSyncPeriodMs: get('horizontal-pod-autoscaler-sync-period', '15s'),
    hpaDownscaleStabilizationMs: get('horizontal-pod-autoscaler-downscale-stabilization', '5m'),
    hpaCalculator: {
      tolerance,
      cpuInitializationPeriodMs: get('horizontal-pod-autoscaler-cpu-initialization-period', '5m'),
      delayOfInitialReadinessStatusMs: get('horizontal-pod-autoscaler-initial-readiness-delay', '30s'),
    },
    metricResolutionMs: get('metric-resolution', '15s'),
  };
  if (t.hpaSyncPeriodMs <= 0) throw new UsageError('--horizontal-pod-autoscaler-sync-period must be positive');
  if (t.metricResolutionMs <= 0) throw new UsageError('--metric-resolution must be positive');
  return t;
}
