// What one probe's results mean over time, as upstream's prober worker decides: the initial verdict
// (readiness starts failed, liveness succeeded, startup unknown), thresholds (a verdict flips only after
// failureThreshold failures or successThreshold successes in a row), initialDelaySeconds, the startup probe
// gating the others, and probing paused after a liveness/startup failure until a new container instance.
// Pure: results and times are passed in.
import type { Probe } from 'kubernetes-types/core/v1.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeVerdict = 'success' | 'failure' | 'unknown';

export interface ProbeTracker {
  verdict: ProbeVerdict;
  /** Consecutive results equal to `last`. */
  run: number;
  last?: boolean;
  /** Liveness/startup failed: no more probing of this container instance. */
  onHold: boolean;
}

export function initialTracker(kind: ProbeKind): ProbeTracker {
  return { verdict: kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown', run: 0, onHold: false };
}

/** Upstream defaults (also applied by the API server): period 10 s, timeout 1 s, thresholds 1 and 3. */
export function probeTimings(p: Probe): { initialDelayMs: number; periodMs: number; timeoutMs: number; successThreshold: number; failureThreshold: number } {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    periodMs: (p.periodSeconds || 10) * 1000,
    timeoutMs: (p.timeoutSeconds || 1) * 1000,
    successThreshold: p.successThreshold || 1,
    failureThreshold: p.failureThreshold || 3,
  };
}

/** Whether a probe of this kind runs now for a container that started at startedMs. */
export function shouldProbe(kind: ProbeKind, t: ProbeTracker, started: boolean, startedMs: number, nowMs: number, p: Probe): boolean {
  if (t.onHold) return false;
  if (kind === 'startup' && started) return false;
  if (kind !== 'startup' && !started) return false;
  return nowMs - startedMs >= probeTimings(p).initialDelayMs;
}

/** Records one result; returns the new tracker and whether the verdict changed. */
export function recordResult(kind: ProbeKind, t: ProbeTracker, ok: boolean, p: Probe): { tracker: ProbeTracker; changed: boolean } {
  const run = t.last === ok ? t.run + 1 : 1;
  const { successThreshold, failureThreshold } = probeTimings(p);
  const next: ProbeTracker = { ...t, run, last: ok };
  if ((!ok && run < failureThreshold) || (ok && run < successThreshold)) return { tracker: next, changed: false };
  const verdict: ProbeVerdict = ok ? 'success' : 'failure';
  const changed = verdict !== t.verdict;
  next.verdict = verdict;
  if (!ok && (kind === 'liveness' || kind === 'startup')) {
    next.onHold = true;
    next.run = 0;
  }
  return { tracker: next, changed };
}

/** Upstream's probe event text, e.g. "Liveness probe failed: HTTP probe failed with statuscode: 500". */
export function unhealthyMessage(kind: ProbeKind, output: string): string {
  const name = kind === 'liveness' ? 'Liveness' : kind === 'readiness' ? 'Readiness' : 'Startup';
  return `${name} probe failed: ${output}`;
}

/** The Killing event text after a failed liveness/startup probe. */
export function killingMessage(kind: ProbeKind, container: string): string {
  return `Container ${container} failed ${kind} probe, will be restarted`;
}
