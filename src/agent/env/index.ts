// A container's environment, command and args as the kubelet builds them (makeEnvironmentVariables and
// ExpandContainerCommandAndArgs): envFrom first (later sources win, invalid names skipped with a warning),
// then env in order (value with $(VAR) expansion over what is defined so far and the service variables, or
// valueFrom: configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef), then the service environment
// variables not already set. Missing required inputs throw ContainerConfigError with upstream's message.
// The agent calls this before every container start; it knows nothing about runtimes.
import type { Container, ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../client/client.js';
import type { KeyValue } from '../../runtime/runtime.js';
import { isEnvVarName } from '../../util/names.js';
import { ContainerConfigError } from './errors.js';
import { expand, mappingFuncFor } from './expansion.js';
import { fieldRefValue, resourceFieldValue } from './downward-api.js';
import { serviceEnvVars, servicesForPod } from './service-env.js';
import { apiSources, nodeIPs, notFoundMessage, podIPsOf, secretBytes, type PodInputSources } from './sources.js';

export { ContainerConfigError } from './errors.js';

export interface EnvContext {
  client: ApiClient;
  nodeName: string;
  dataDir: string;
  /** Where ConfigMaps, Secrets, Services and the Node are read; default: through `client`. */
  sources?: PodInputSources;
}

/** Something worth an Event on the pod (type Warning). */
export interface EnvWarning {
  reason: string;
  message: string;
}

export interface ResolvedEnv {
  env: KeyValue[];
  command: string[];
  args: string[];
  /** e.g. InvalidEnvironmentVariableNames for envFrom keys that were skipped; the agent records them as events. */
  warnings: EnvWarning[];
}

/**
 * Resolves env, envFrom and $(VAR) references. Pod IPs come from `pod.status.podIP(s)`: the agent sets them
 * from the sandbox before calling, as the kubelet passes the sandbox's IPs.
 */
export async function resolveContainerEnv(ctx: EnvContext, pod: Pod, container: Container): Promise<ResolvedEnv> {
  const sources = ctx.sources ?? apiSources(ctx.client);
  const ns = pod.metadata?.namespace ?? 'default';
  const warnings: EnvWarning[] = [];
  const services = await sources.services(ns);
  const serviceEnv = new Map(serviceEnvVars(servicesForPod(services, ns, pod.spec?.enableServiceLinks !== false)).map((e) => [e.name, e.value]));

  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const getConfigMap = async (name: string) => {
    if (!configMaps.has(name)) configMaps.set(name, await sources.configMap(ns, name));
    return configMaps.get(name);
  };
  const getSecret = async (name: string) => {
    if (!secrets.has(name)) secrets.set(name, await sources.secret(ns, name));
    return secrets.get(name);
  };
  let nodeInfo: { hostIPs: string[]; allocatable: Record<string, string> } | undefined;
  const node = async () => {
    if (!nodeInfo) {
      const n = await sources.node(ctx.nodeName);
      nodeInfo = { hostIPs: nodeIPs(n), allocatable: (n?.status?.allocatable ?? {}) as Record<string, string> };
    }
    return nodeInfo;
  };

  const tmpEnv = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let entries: [string, string][];
    let what: string;
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = await getConfigMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(notFoundMessage('configmap', name));
      }
      entries = Object.entries(cm.data ?? {});
      what = `configMap ${ns}/${name}`;
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const sec = await getSecret(name);
      if (!sec) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(notFoundMessage('secret', name));
      }
      entries = Object.keys(sec.data ?? {}).map((k) => [k, secretBytes(sec, k)!.toString('utf8')]);
      what = `secret ${ns}/${name}`;
    } else continue;
    const invalid: string[] = [];
    for (const [k, v] of entries) {
      const key = prefix + k;
      if (isEnvVarName(key).length) invalid.push(key);
      else tmpEnv.set(key, v);
    }
    if (invalid.length) {
      warnings.push({
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const mapping = mappingFuncFor(tmpEnv, serviceEnv);
  for (const e of container.env ?? []) {
    let value = e.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.fieldRef) {
        value = fieldRefValue(vf.fieldRef, pod, { hostIPs: (await node()).hostIPs, podIPs: podIPsOf(pod) });
      } else if (vf.resourceFieldRef) {
        value = resourceFieldValue(vf.resourceFieldRef, pod, container, (await node()).allocatable);
      } else if (vf.configMapKeyRef) {
        const { name = '', key, optional } = vf.configMapKeyRef;
        const cm = await getConfigMap(name);
        if (!cm) {
          if (optional) continue;
          throw new ContainerConfigError(notFoundMessage('configmap', name));
        }
        const v = cm.data?.[key];
        if (v === undefined) {
          if (optional) continue;
          throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
        }
        value = v;
      } else if (vf.secretKeyRef) {
        const { name = '', key, optional } = vf.secretKeyRef;
        const sec = await getSecret(name);
        if (!sec) {
          if (optional) continue;
          throw new ContainerConfigError(notFoundMessage('secret', name));
        }
        const v = secretBytes(sec, key);
        if (v === undefined) {
          if (optional) continue;
          throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
        }
        value = v.toString('utf8');
      }
    }
    tmpEnv.set(e.name, value);
  }

  const env: KeyValue[] = [...tmpEnv].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!tmpEnv.has(name)) env.push({ name, value });
  const { command, args } = expandCommandAndArgs(container, env);
  return { env, command, args, warnings };
}

/** $(VAR) in command and args over the final environment (upstream ExpandContainerCommandAndArgs). */
export function expandCommandAndArgs(container: Pick<Container, 'command' | 'args'>, env: KeyValue[]): { command: string[]; args: string[] } {
  const mapping = mappingFuncFor(new Map(env.map((e) => [e.name, e.value])));
  return {
    command: (container.command ?? []).map((c) => expand(c, mapping)),
    args: (container.args ?? []).map((a) => expand(a, mapping)),
  };
}
