// Upstream's ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount), mutating half: a new pod
// runs as "default" unless it names a service account, and unless automounting is off (on the pod, else on
// its ServiceAccount) every container, init container and ephemeral container mounts the projected
// `kube-api-access-<random>` volume (bound token, kube-root-ca.crt, namespace) read-only at
// /var/run/secrets/kubernetes.io/serviceaccount, unless it already mounts something there. Mirror pods are
// left alone. Difference (docs/compatibility.md): upstream refuses a pod whose service account does not exist;
// Skiff admits it without the token volume (a bare API server without the controller manager has no
// "default" accounts, and its pods must still run).
import type { Container, Pod, ProjectedVolumeSource, ServiceAccount, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import { randomInt } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import type { ObjectStorage } from '../object-storage.js';
import type { ResourceRegistry } from '../resource-registry.js';
import { withCache, type AdmissionPlugin } from './admission.js';

export const defaultServiceAccountName = 'default';
export const serviceAccountVolumePrefix = 'kube-api-access-';
export const defaultApiTokenMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
export const rootCaConfigMapName = 'kube-root-ca.crt';
/** Upstream's token lifetime for admission-injected volumes (WarnOnlyBoundTokenExpirationSeconds). */
export const injectedTokenExpirationSeconds = 3607;
const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

/** The projected source upstream's TokenVolumeSource() returns. */
export function tokenVolumeSource(): ProjectedVolumeSource {
  return {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: injectedTokenExpirationSeconds } },
      { configMap: { name: rootCaConfigMapName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

const nameChars = 'bcdfghjklmnpqrstvwxz2456789';

/** upstream's SimpleNameGenerator suffix: 5 characters that cannot spell words. */
export function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += nameChars[randomInt(nameChars.length)];
  return s;
}

/**
 * Mutates a pod spec as the plugin does (pure but for the random volume name). `account` is the pod's
 * ServiceAccount (its automountServiceAccountToken counts when the pod says nothing); undefined when it does
 * not exist, and then nothing is mounted.
 */
export function admitPodServiceAccount(pod: Pod, account: ServiceAccount | undefined, suffix: () => string = randomSuffix): void {
  if (pod.metadata?.annotations?.[mirrorPodAnnotation] !== undefined) return;
  const spec = pod.spec;
  if (!spec) return;
  if (!spec.serviceAccountName) {
    spec.serviceAccountName = defaultServiceAccountName;
    (spec as { serviceAccount?: string }).serviceAccount = defaultServiceAccountName;
  }
  const automount = spec.automountServiceAccountToken ?? account?.automountServiceAccountToken ?? true;
  if (!automount || !account) return;

  const existing = (spec.volumes ?? []).find((v) => v.name.startsWith(serviceAccountVolumePrefix));
  const volumeName = existing?.name ?? `${serviceAccountVolumePrefix}${suffix()}`;
  const mount: VolumeMount = { name: volumeName, readOnly: true, mountPath: defaultApiTokenMountPath };
  let needsVolume = false;
  const addTo = (containers: Container[] | undefined) => {
    for (const c of containers ?? []) {
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === defaultApiTokenMountPath)) continue;
      c.volumeMounts = [...(c.volumeMounts ?? []), { ...mount }];
      needsVolume = true;
    }
  };
  addTo(spec.initContainers);
  addTo(spec.containers);
  addTo(spec.ephemeralContainers as Container[] | undefined);
  if (!existing && needsVolume) {
    const volume: Volume = { name: volumeName, projected: tokenVolumeSource() };
    spec.volumes = [...(spec.volumes ?? []), volume];
  }
}

export function serviceAccountPlugin(registry: ResourceRegistry, storage: ObjectStorage): AdmissionPlugin {
  return {
    name: 'ServiceAccount',
    handles: (rt, operation, subresource) => operation === 'CREATE' && !subresource && rt.group === '' && rt.resource === 'pods',
    mutate: (attrs) => {
      if (attrs.operation !== 'CREATE' || attrs.subresource || attrs.rt.group !== '' || attrs.rt.resource !== 'pods' || !attrs.object) return;
      const pod = attrs.object as KubeObject & Pod;
      const saType = registry.lookup('', 'v1', 'serviceaccounts');
      if (!saType) return admitPodServiceAccount(pod, undefined);
      return withCache(storage, saType, (cache) => {
        const name = pod.spec?.serviceAccountName || defaultServiceAccountName;
        admitPodServiceAccount(pod, cache.get(storage.key(saType, attrs.namespace, name)) as (KubeObject & ServiceAccount) | undefined);
      });
    },
  };
}
