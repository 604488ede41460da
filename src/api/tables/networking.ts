// Tables for networking.k8s.io and discovery.k8s.io: ingresses, ingress classes, network policies, endpoint
// slices, service CIDRs and IP addresses, as upstream printers.go. Pure over object and `now`.
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress, IngressClass, NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { TableConvertor } from '../resource.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, field, formatLabelSelector, listWithMore, nameOf } from './format.js';
import { loadBalancerAddresses } from './core.js';

/** formatHosts: up to three hosts, "+ N more..." (counting all rules), "*" when no rule names a host. */
export function ingressHosts(ing: Ingress): string {
  const rules = ing.spec?.rules ?? [];
  const list: string[] = [];
  const max = 3;
  let more = false;
  for (const rule of rules) {
    if (list.length === max) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  const joined = list.join(',');
  return more ? `${joined} + ${rules.length - max} more...` : joined;
}

export const ingressTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Class', 'string', { text: 'The name of the IngressClass resource that should be used for additional configuration' }),
    column('Hosts', 'string', { text: 'Hosts that incoming requests are matched against before the ingress rule' }),
    column('Address', 'string', { text: 'Address is a list containing ingress points for the load-balancer' }),
    column('Ports', 'string', { text: 'Ports of TLS configurations that open' }),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const ing = obj as unknown as Ingress;
    return [
      nameOf(obj),
      ing.spec?.ingressClassName ?? '<none>',
      ingressHosts(ing),
      loadBalancerAddresses(ing.status?.loadBalancer?.ingress),
      (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
      age(obj, now),
    ];
  },
};

export const ingressClassTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', { text: 'Controller that is responsible for handling this class' }),
    column('Parameters', 'string', { text: 'A reference to a resource with additional parameters' }),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const ic = obj as unknown as IngressClass;
    const p = ic.spec?.parameters;
    let parameters = '<none>';
    if (p) parameters = `${p.kind}${p.apiGroup !== undefined ? `.${p.apiGroup}` : ''}/${p.name}`;
    return [nameOf(obj), ic.spec?.controller ?? '', parameters, age(obj, now)];
  },
};

export const networkPolicyTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Pod-Selector', 'string', 'networking.v1.NetworkPolicySpec.podSelector'), AGE_COLUMN],
  row(obj, now) {
    const np = obj as unknown as NetworkPolicy;
    return [nameOf(obj), formatLabelSelector(np.spec?.podSelector ?? {}), age(obj, now)];
  },
};

export const endpointSliceTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', 'discovery.v1.EndpointSlice.addressType'),
    column('Ports', 'string', 'discovery.v1.EndpointSlice.ports'),
    column('Endpoints', 'string', 'discovery.v1.EndpointSlice.endpoints'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const es = obj as unknown as EndpointSlice;
    const ports = (es.ports ?? []).map((p) =>
      p.port !== undefined && p.port !== null ? String(p.port) : p.name !== undefined && p.name !== null ? p.name : '*',
    );
    const addresses = (es.endpoints ?? []).flatMap((e) => e.addresses ?? []);
    return [nameOf(obj), es.addressType ?? '', listWithMore(ports), listWithMore(addresses), age(obj, now)];
  },
};

export const serviceCIDRTable: TableConvertor = {
  columns: [NAME_COLUMN, column('CIDRs', 'string', 'networking.v1alpha1.ServiceCIDRSpec.cidrs'), AGE_COLUMN],
  row(obj, now) {
    const cidrs = field(obj, 'spec', 'cidrs');
    return [nameOf(obj), Array.isArray(cidrs) ? cidrs.join(',') : '', age(obj, now)];
  },
};

export const ipAddressTable: TableConvertor = {
  columns: [NAME_COLUMN, column('ParentRef', 'string', 'networking.v1alpha1.IPAddressSpec.parentRef')],
  row(obj) {
    const ref = field(obj, 'spec', 'parentRef');
    let parent = '<none>';
    if (ref && typeof ref === 'object') {
      const group = String(field(ref, 'group') ?? '');
      const resource = String(field(ref, 'resource') ?? '');
      const ns = String(field(ref, 'namespace') ?? '');
      parent = (group ? `${resource}.${group}` : resource).toLowerCase();
      if (ns) parent += `/${ns}`;
      parent += `/${String(field(ref, 'name') ?? '')}`;
    }
    // Upstream also appends an age cell the table declares no column for; cells here match the columns.
    return [nameOf(obj), parent];
  },
};
