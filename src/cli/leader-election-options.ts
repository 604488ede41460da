// Leader-election timings of the control plane's singletons (controller manager, scheduler), with upstream's
// flag names and defaults (kube-controller-manager --leader-elect-lease-duration 15s, --leader-elect-renew-
// deadline 10s, --leader-elect-retry-period 2s). It only parses options; components.ts runs the elections.
import { UsageError, type OptionSpec, type ParsedOptions } from './args.js';
import { parseDuration } from './datastore.js';

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const leaderElectionOptions: readonly OptionSpec[] = [
  {
    name: 'leader-elect-lease-duration',
    type: 'string',
    valueName: 'DURATION',
    description: 'how long a non-leader server waits before taking over an unrenewed singleton lease',
    default: '15s',
  },
  {
    name: 'leader-elect-renew-deadline',
    type: 'string',
    valueName: 'DURATION',
    description: 'how long the leader keeps trying to renew before it stops its singletons',
    default: '10s',
  },
  {
    name: 'leader-elect-retry-period',
    type: 'string',
    valueName: 'DURATION',
    description: 'time between attempts to acquire or renew a lease',
    default: '2s',
  },
];

export function leaderElectionTimings(opts: ParsedOptions): LeaderElectionTimings {
  const get = (name: string, def: string) => parseDuration(opts.optionalString(name) ?? def, `--${name}`);
  const t = {
    leaseDurationMs: get('leader-elect-lease-duration', '15s'),
    renewDeadlineMs: get('leader-elect-renew-deadline', '10s'),
    retryPeriodMs: get('leader-elect-retry-period', '2s'),
  };
  const problem = timingProblem(t);
  if (problem) throw new UsageError(problem);
  return t;
}

/** Upstream's validation of the three timings (pure). */
export function timingProblem(t: LeaderElectionTimings): string | undefined {
  if (t.retryPeriodMs <= 0) return '--leader-elect-retry-period must be positive';
  if (t.leaseDurationMs <= t.renewDeadlineMs) {
    return '--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline';
  }
  if (t.renewDeadlineMs <= 1.2 * t.retryPeriodMs) {
    return '--leader-elect-renew-deadline must be greater than 1.2 × --leader-elect-retry-period';
  }
  return undefined;
}
