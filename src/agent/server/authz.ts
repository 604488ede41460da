// Who may use the node server. The TLS layer already requires a certificate the cluster CA signed; this
// decides what its holder may do, as upstream's kubelet authorizer would with the default RBAC: the API
// server (kube-apiserver-kubelet-client) and other system:masters members get everything; anyone else (for
// instance another node's system:node:<name> certificate) only the health check. Pure.
import type { UserInfo } from '../../apiserver/auth/authn.js';
import type { AgentRoute } from './routes.js';

/** The kubelet authorizer's attributes for a route: verb on nodes/<subresource>. */
export function nodeAttributes(route: AgentRoute, method: string): { verb: string; subresource: string } | undefined {
  const verb = method === 'GET' || method === 'HEAD' ? 'get' : method === 'POST' ? 'create' : method.toLowerCase();
  switch (route.kind) {
    case 'healthz':
    case 'notFound':
      return undefined;
    case 'statsSummary':
      return { verb, subresource: 'stats' };
    case 'containerLogs':
    case 'pods':
    case 'exec':
    case 'attach':
    case 'portForward':
      return { verb, subresource: 'proxy' };
  }
}

/** Undefined when allowed; otherwise the kubelet's Forbidden message. */
export function forbiddenFor(user: UserInfo | undefined, route: AgentRoute, method: string): string | undefined {
  const attrs = nodeAttributes(route, method);
  if (!attrs) return undefined;
  if (user?.groups.includes('system:masters')) return undefined;
  return `Forbidden (user=${user?.username ?? 'system:anonymous'}, verb=${attrs.verb}, resource=nodes, subresource=${attrs.subresource})`;
}
