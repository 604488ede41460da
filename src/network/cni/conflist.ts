// The CNI network configuration the process runtime hands to the reference plugins: a `bridge` network with
// `host-local` IPAM over the node's pod CIDR (plus `portmap` when the pod asks for host ports), and the
// `loopback` network for `lo`. Pure: builds JSON, and the per-plugin stdin a conflist runtime passes
// (CNI spec "Section 4: Plugin Delegation" — name, cniVersion, prevResult, runtimeConfig injected).

export const cniVersion = '1.0.0';

export interface BridgeNetworkOptions {
  /** Network name; also keys host-local's reservations inside dataDir. */
  name: string;
  bridge: string;
  podCIDR: string;
  /** host-local's data directory (private to the runtime). */
  ipamDataDir: string;
  ipMasq: boolean;
  mtu?: number;
  /** Include portmap for pods with host ports. */
  hostPorts: boolean;
}

export type PluginConf = Record<string, unknown> & { type: string };

export interface NetworkConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
}

export function bridgeConfList(o: BridgeNetworkOptions): NetworkConfList {
  const bridge: PluginConf = {
    type: 'bridge',
    bridge: o.bridge,
    isGateway: true,
    ipMasq: o.ipMasq,
    hairpinMode: true,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: o.podCIDR }]],
      routes: [{ dst: o.podCIDR.includes(':') ? '::/0' : '0.0.0.0/0' }],
      dataDir: o.ipamDataDir,
    },
  };
  if (o.mtu) bridge.mtu = o.mtu;
  const plugins = [bridge];
  if (o.hostPorts) plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true });
  return { cniVersion, name: o.name, plugins };
}

export function loopbackConfList(): NetworkConfList {
  return { cniVersion, name: 'cni-loopback', plugins: [{ type: 'loopback' }] };
}

export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

/** The stdin for one plugin of a conflist: its own config plus name, version, prevResult and runtimeConfig. */
export function pluginInput(list: NetworkConfList, plugin: PluginConf, prevResult: unknown, runtime: { portMappings?: CniPortMapping[] }): Record<string, unknown> {
  const input: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
  delete input.capabilities;
  const runtimeConfig: Record<string, unknown> = {};
  if (caps.portMappings && runtime.portMappings?.length) runtimeConfig.portMappings = runtime.portMappings;
  if (Object.keys(runtimeConfig).length) input.runtimeConfig = runtimeConfig;
  if (prevResult !== undefined) input.prevResult = prevResult;
  return input;
}

/** CNI_ARGS as the kubelet's runtimes set them. */
export function cniArgs(pod: { namespace: string; name: string; uid: string; sandboxId: string }): string {
  return `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${pod.sandboxId};K8S_POD_UID=${pod.uid}`;
}

/** The pod's addresses from an ADD result (CNI 1.0 `ips[].address` in CIDR notation). */
export function resultIPs(result: unknown): string[] {
  const ips = (result as { ips?: { address?: string }[] } | undefined)?.ips ?? [];
  return ips.map((i) => i.address?.split('/')[0]).filter((a): a is string => !!a);
}
