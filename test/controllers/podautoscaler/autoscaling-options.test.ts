// The HPA and metrics flags of `skiff serve/up`: upstream's names and defaults, durations and the tolerance
// parsed, bad values rejected as usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, UsageError } from '../../../src/cli/args.js';
import { autoscalingOptions, autoscalingTimings } from '../../../src/cli/autoscaling-options.js';

const timings = (argv: string[]) => autoscalingTimings(parseOptions(autoscalingOptions, argv));

test('autoscaling flags: upstream defaults', () => {
  assert.deepEqual(timings([]), {
    hpaSyncPeriodMs: 15_000,
    hpaDownscaleStabilizationMs: 300_000,
    hpaCalculator: { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, delayOfInitialReadinessStatusMs: 30_000 },
    metricResolutionMs: 15_000,
  });
});

const cases: { argv: string[]; want?: Partial<ReturnType<typeof timings>['hpaCalculator']>; error?: RegExp }[] = [
  { argv: ['--horizontal-pod-autoscaler-tolerance', '0.05'], want: { tolerance: 0.05 } },
  { argv: ['--horizontal-pod-autoscaler-tolerance=0'], want: { tolerance: 0 } },
  { argv: ['--horizontal-pod-autoscaler-cpu-initialization-period', '1m30s'], want: { cpuInitializationPeriodMs: 90_000 } },
  { argv: ['--horizontal-pod-autoscaler-initial-readiness-delay', '0'], want: { delayOfInitialReadinessStatusMs: 0 } },
  { argv: ['--horizontal-pod-autoscaler-tolerance', 'lots'], error: /--horizontal-pod-autoscaler-tolerance must be a non-negative number, got "lots"/ },
  { argv: ['--horizontal-pod-autoscaler-tolerance=-0.1'], error: /must be a non-negative number/ },
  { argv: ['--horizontal-pod-autoscaler-initial-readiness-delay', '30'], error: /--horizontal-pod-autoscaler-initial-readiness-delay must be a duration/ },
];

for (const c of cases) {
  test(`autoscaling flags: ${c.argv.join(' ')}`, () => {
    if (c.error) {
      assert.throws(() => timings(c.argv), (e: Error) => e instanceof UsageError && c.error!.test(e.message));
      return;
    }
    assert.deepEqual(timings(c.argv).hpaCalculator, { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, delayOfInitialReadinessStatusMs: 30_000, ...c.want });
  });
}
