// Runs the liveness, readiness and startup probes of every running container on the node: one timer per
// probe (first run at once, or after initialDelaySeconds, then every periodSeconds), verdicts kept per
// container instance, and callbacks when a verdict changes (the pod's status must be written) or a
// liveness/startup probe failed (the container must be restarted). Unhealthy events are recorded here.
// It never touches containers itself: the pod worker acts on the callbacks.
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Runtime } from '../../runtime/runtime.js';
import { runProbe } from './handlers.js';
import { initialTracker, probeTimings, recordResult, shouldProbe, unhealthyMessage, type ProbeKind, type ProbeTracker } from './probe-state.js';

export interface RunningContainer {
  id: string;
  startedAtMs: number;
  container: Container;
}

export interface ProbeManagerOptions {
  runtime: Runtime;
  /** A verdict changed: the pod's status needs writing. */
  onChange(podKey: string): void;
  /** Liveness or startup failed its threshold: restart the container. */
  onFailure(podKey: string, container: string, containerId: string, kind: ProbeKind): void;
  event(pod: Pod, container: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

interface Worker {
  kind: ProbeKind;
  probe: Probe;
  containerId: string;
  startedAtMs: number;
  container: Container;
  tracker: ProbeTracker;
  timer?: NodeJS.Timeout;
  busy: boolean;
  pod: Pod;
  host: string;
}

const kinds: { kind: ProbeKind; field: 'livenessProbe' | 'readinessProbe' | 'startupProbe' }[] = [
  { kind: 'startup', field: 'startupProbe' },
  { kind: 'liveness', field: 'livenessProbe' },
  { kind: 'readiness', field: 'readinessProbe' },
];

export class ProbeManager {
  private readonly workers = new Map<string, Map<string, Worker>>();
  private stopped = false;

  constructor(private readonly opts: ProbeManagerOptions) {}

  /** Aligns the probes of a pod with its running containers (new instance = fresh verdicts). */
  sync(podKey: string, pod: Pod, host: string, running: Map<string, RunningContainer>): void {
    if (this.stopped) return;
    let byKey = this.workers.get(podKey);
    if (!byKey) this.workers.set(podKey, (byKey = new Map()));
    const wanted = new Set<string>();
    for (const [name, rc] of running) {
      for (const { kind, field } of kinds) {
        const probe = rc.container[field];
        if (!probe) continue;
        const key = `${name}/${kind}`;
        wanted.add(key);
        const w = byKey.get(key);
        if (w && w.containerId === rc.id) {
          w.pod = pod;
          w.host = host;
          continue;
        }
        if (w) this.stopWorker(w);
        const nw: Worker = { kind, probe, containerId: rc.id, startedAtMs: rc.startedAtMs, container: rc.container, tracker: initialTracker(kind), busy: false, pod, host };
        byKey.set(key, nw);
        this.schedule(podKey, nw, Math.max(0, rc.startedAtMs + probeTimings(probe).initialDelayMs - Date.now()));
      }
    }
    for (const [key, w] of byKey) {
      if (!wanted.has(key)) {
        this.stopWorker(w);
        byKey.delete(key);
      }
    }
  }

  private verdict(podKey: string, container: string, kind: ProbeKind, id: string): ProbeTracker | undefined {
    const w = this.workers.get(podKey)?.get(`${container}/${kind}`);
    return w && w.containerId === id ? w.tracker : undefined;
  }

  /** Readiness of a running container instance (true without a readiness probe). */
  ready(podKey: string, c: Container, id: string): boolean {
    if (!c.readinessProbe) return this.started(podKey, c, id);
    if (!this.started(podKey, c, id)) return false;
    return this.verdict(podKey, c.name, 'readiness', id)?.verdict === 'success';
  }

  /** Startup verdict of a running container instance (true without a startup probe). */
  started(podKey: string, c: Container, id: string): boolean {
    if (!c.startupProbe) return true;
    return this.verdict(podKey, c.name, 'startup', id)?.verdict === 'success';
  }

  remove(podKey: string): void {
    const byKey = this.workers.get(podKey);
    if (!byKey) return;
    for (const w of byKey.values()) this.stopWorker(w);
    this.workers.delete(podKey);
  }

  stop(): void {
    this.stopped = true;
    for (const key of [...this.workers.keys()]) this.remove(key);
  }

  private stopWorker(w: Worker): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
    w.tracker = { ...w.tracker, onHold: true };
  }

  private schedule(podKey: string, w: Worker, delayMs: number): void {
    if (this.stopped) return;
    w.timer = setTimeout(() => void this.tick(podKey, w), delayMs);
    w.timer.unref?.();
  }

  private async tick(podKey: string, w: Worker): Promise<void> {
    const current = this.workers.get(podKey)?.get(`${w.container.name}/${w.kind}`);
    if (current !== w || this.stopped) return;
    const t = probeTimings(w.probe);
    const started = w.kind === 'startup' ? false : this.started(podKey, w.container, w.containerId);
    if (!w.busy && shouldProbe(w.kind, w.tracker, w.kind === 'startup' ? this.started(podKey, w.container, w.containerId) : started, w.startedAtMs, Date.now(), w.probe)) {
      w.busy = true;
      try {
        const out = await runProbe(w.probe, { host: w.host, containerId: w.containerId, container: w.container, runtime: this.opts.runtime }, t.timeoutMs);
        if (this.workers.get(podKey)?.get(`${w.container.name}/${w.kind}`) !== w) return;
        const { tracker, changed } = recordResult(w.kind, w.tracker, out.ok, w.probe);
        w.tracker = tracker;
        // Upstream records Unhealthy for every failed probe, not only threshold crossings.
        if (!out.ok) this.opts.event(w.pod, w.container.name, 'Warning', 'Unhealthy', unhealthyMessage(w.kind, out.output));
        if (changed) {
          if (tracker.verdict === 'failure' && (w.kind === 'liveness' || w.kind === 'startup')) {
            this.opts.onFailure(podKey, w.container.name, w.containerId, w.kind);
          }
          this.opts.onChange(podKey);
        }
      } finally {
        w.busy = false;
      }
    }
    if (!w.tracker.onHold) this.schedule(podKey, w, t.periodMs);
  }
}
