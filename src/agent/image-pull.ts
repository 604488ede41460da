// Image pulls as the kubelet's image manager (pkg/kubelet/images) does them before a container starts:
// imagePullPolicy decides whether to pull (Never + absent = ErrImageNeverPull), a failed pull starts a
// back-off per pod and image (10 s doubling to 5 min) during which the container waits in ImagePullBackOff,
// and the pod's imagePullSecrets (or, when it names none, its ServiceAccount's, which upstream's admission
// copies into the pod) become registry credentials tried in turn (src/runtime/registry-auth.ts). The events
// and messages are upstream's: Pulling, Pulled (with durations and size), Failed, BackOff, Error: <reason>.
// Decisions (shouldPull, pullStep, goDurationMs) are pure; ImagePuller does the I/O.
import type { Container, Pod, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ImageAuth, Runtime } from '../runtime/runtime.js';
import { credentialsForImage, pullWithCredentials, type PullSecretData } from '../runtime/registry-auth.js';
import { isNotFound, resources, type ApiClient } from '../client/index.js';
import { defaultImagePullPolicy } from '../api/kinds/pod-spec.js';
import { RestartBackoff } from './restart-backoff.js';
import type { EventFn } from './pod-workers.js';

/** The kubelet's pod worker back-off after a failed sync (backOffPeriod): how long a pull error shows. */
export const pullErrorResyncMs = 10_000;

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** Upstream's shouldPullImage. */
export function shouldPull(policy: PullPolicy, present: boolean): boolean {
  return policy === 'Always' || (policy === 'IfNotPresent' && !present);
}

export type PullStep =
  | { kind: 'present' }
  | { kind: 'neverPull' }
  | { kind: 'backOff' }
  /** A pull failed less than the worker back-off ago: the container keeps showing ErrImagePull. */
  | { kind: 'recentError'; waitMs: number }
  | { kind: 'pull' };

/** What to do for one image of one container (pure). */
export function pullStep(i: { policy: PullPolicy; present: boolean; inBackOff: boolean; lastErrorMs?: number; nowMs: number }): PullStep {
  if (!shouldPull(i.policy, i.present)) return i.present ? { kind: 'present' } : { kind: 'neverPull' };
  if (i.lastErrorMs !== undefined && i.nowMs - i.lastErrorMs < pullErrorResyncMs) return { kind: 'recentError', waitMs: pullErrorResyncMs - (i.nowMs - i.lastErrorMs) };
  if (i.inBackOff) return { kind: 'backOff' };
  return { kind: 'pull' };
}

/** Go's time.Duration.String of a millisecond-truncated duration ("523ms", "1.5s", "1m2.345s"). */
export function goDurationMs(ms: number): string {
  const t = Math.max(0, Math.trunc(ms));
  if (t === 0) return '0s';
  if (t < 1000) return `${t}ms`;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const sMs = t % 60_000;
  const secs = `${Math.floor(sMs / 1000)}${sMs % 1000 ? `.${String(sMs % 1000).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
  if (h) return `${h}h${m}m${secs}`;
  if (m) return `${m}m${secs}`;
  return secs;
}

/** The names of the pull secrets a pod uses: its own, else its ServiceAccount's (upstream's admission). */
export function pullSecretNames(pod: Pod, sa: ServiceAccount | undefined): string[] {
  const own = (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? '').filter(Boolean);
  if (own.length) return own;
  return (sa?.imagePullSecrets ?? []).map((r) => r.name ?? '').filter(Boolean);
}

/** ok, or the waiting reason and message to show (keep: leave the container's current waiting state as it is). */
export type EnsureResult = { ok: true } | { ok: false; reason: string; message: string; retryMs: number; keep?: boolean };

export interface ImagePullerOptions {
  client: ApiClient;
  runtime: Runtime;
  event: EventFn;
  /** Whether the runtime has images (containerd). Without (process runtime) pulls resolve silently. */
  hasImages: boolean;
}

export class ImagePuller {
  private readonly backoff = new RestartBackoff();
  /** When a pull of "<uid>_<image>" last failed. */
  private readonly lastError = new Map<string, number>();

  constructor(private readonly o: ImagePullerOptions) {}

  /** EnsureImageExists for one container of a pod: present, pulled, or why not (waiting reason and message). */
  async ensure(pod: Pod, c: Container): Promise<EnsureResult> {
    const image = c.image ?? '';
    const rt = this.o.runtime;
    if (!this.o.hasImages) {
      await rt.pullImage(image);
      return { ok: true };
    }
    const ev = (type: 'Normal' | 'Warning', reason: string, message: string) => this.o.event(pod, c.name, type, reason, message);
    const fail = (reason: string, message: string, retryMs = pullErrorResyncMs): EnsureResult => {
      ev('Warning', 'Failed', `Error: ${reason}`);
      return { ok: false, reason, message, retryMs };
    };
    let present: boolean;
    try {
      present = !!(await rt.imageStatus(image));
    } catch (e) {
      const message = `Failed to inspect image "${image}": ${(e as Error).message}`;
      ev('Warning', 'InspectFailed', message);
      return fail('ImageInspectError', message);
    }
    const key = `${pod.metadata?.uid}_${image}`;
    const now = Date.now();
    const policy = (c.imagePullPolicy as PullPolicy | undefined) ?? defaultImagePullPolicy(image);
    const step = pullStep({ policy, present, inBackOff: this.backoff.inBackOffSinceUpdate(key, now), lastErrorMs: this.lastError.get(key), nowMs: now });
    switch (step.kind) {
      case 'present':
        ev('Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return { ok: true };
      case 'neverPull': {
        const message = `Container image "${image}" is not present with pull policy of Never`;
        ev('Warning', 'ErrImageNeverPull', message);
        return fail('ErrImageNeverPull', message);
      }
      case 'recentError':
        return { ok: false, reason: 'ErrImagePull', message: '', retryMs: step.waitMs, keep: true };
      case 'backOff': {
        const message = `Back-off pulling image "${image}"`;
        ev('Normal', 'BackOff', message);
        return fail('ImagePullBackOff', message);
      }
      case 'pull':
        break;
    }
    ev('Normal', 'Pulling', `Pulling image "${image}"`);
    const t0 = Date.now();
    try {
      const creds = await this.credentials(pod, image);
      const t1 = Date.now();
      await pullWithCredentials((img, auth) => rt.pullImage(img, auth), image, creds);
      const done = Date.now();
      const size = (await rt.imageStatus(image).catch(() => undefined))?.sizeBytes ?? 0;
      ev('Normal', 'Pulled', `Successfully pulled image "${image}" in ${goDurationMs(done - t1)} (${goDurationMs(done - t0)} including waiting). Image size: ${size} bytes.`);
      this.lastError.delete(key);
      this.backoff.gc(done);
      return { ok: true };
    } catch (e) {
      const msg = (e as Error).message;
      ev('Warning', 'Failed', `Failed to pull image "${image}": ${msg}`);
      const at = Date.now();
      this.backoff.next(key, at);
      this.lastError.set(key, at);
      return fail('ErrImagePull', msg);
    }
  }

  /** Forgets a pod's back-offs (the pod is gone). */
  forget(uid: string): void {
    this.backoff.gc(Date.now(), `${uid}_`);
    for (const k of this.lastError.keys()) if (k.startsWith(`${uid}_`)) this.lastError.delete(k);
  }

  private async credentials(pod: Pod, image: string): Promise<ImageAuth[]> {
    const ns = pod.metadata?.namespace ?? 'default';
    let sa: ServiceAccount | undefined;
    if (!pod.spec?.imagePullSecrets?.length) {
      sa = await this.o.client.get<ServiceAccount>(resources.serviceAccounts, pod.spec?.serviceAccountName || 'default', { namespace: ns }).catch(() => undefined);
    }
    const names = pullSecretNames(pod, sa);
    if (!names.length) return [];
    const secrets: PullSecretData[] = [];
    const missing: string[] = [];
    for (const name of names) {
      try {
        const s = await this.o.client.get<Secret>(resources.secrets, name, { namespace: ns });
        secrets.push({ ...(s.type ? { type: s.type } : {}), ...(s.data ? { data: s.data } : {}) });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        missing.push(`"${name}"`);
      }
    }
    if (missing.length) {
      this.o.event(pod, undefined, 'Warning', 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`);
    }
    return credentialsForImage(image, secrets);
  }
}
