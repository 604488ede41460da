// Where the API server (log/exec/attach/port-forward proxy, node proxy) and the metrics collector reach a
// node's agent: its HTTPS node server (the kubelet's port 10250 in upstream). An agent that is reachable only
// at a particular URL (the agent embedded in `skiff up` listens on loopback; a simulated fleet serves all its
// nodes from one server) says so in an annotation; otherwise the node's address and
// status.daemonEndpoints.kubeletEndpoint.Port are used, preferring InternalIP as upstream's
// --kubelet-preferred-address-types puts it first among IPs. Pure.
import type { Node } from 'kubernetes-types/core/v1.js';

/** Annotation on a Node naming its agent's base URL, e.g. "https://127.0.0.1:10250". */
export const nodeEndpointAnnotation = 'skiff.dev/agent-endpoint';

export const defaultKubeletPort = 10250;

/** Base URL (no trailing slash) of the node's agent server, or undefined when the node has none. */
export function nodeAgentUrl(node: Node): string | undefined {
  const annotated = node.metadata?.annotations?.[nodeEndpointAnnotation];
  if (annotated) return annotated.replace(/\/+$/, '');
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) return undefined;
  const addresses = node.status?.addresses ?? [];
  const pick = (type: string) => addresses.find((a) => a.type === type)?.address;
  const host = pick('InternalIP') ?? pick('ExternalIP') ?? pick('Hostname');
  if (!host) return undefined;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
