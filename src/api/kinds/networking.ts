// networking.k8s.io/v1 kinds: Ingresses, IngressClasses, NetworkPolicies. Defaults as upstream's
// pkg/apis/networking/v1/defaults.go, common validation with upstream paths. Pure declarations.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType } from '../resource.js';
import { isDns1123Label, isDns1123Subdomain } from '../../util/names.js';
import { defineResource, statusSub } from './define.js';
import { type Loose, ensure, isInt, loose, oneOf, validateLabelSelector } from './validation.js';

const G = 'networking.k8s.io';
const V = 'v1';

function validateBackend(b: Loose | undefined, f: string): StatusCause[] {
  if (!b) return [];
  const out: StatusCause[] = [];
  const svc = b['service'] as Loose | undefined;
  const res = b['resource'] as Loose | undefined;
  if (svc && res) out.push(cause.invalid(f, '', 'cannot set both resource and service backends'));
  if (!svc && !res) out.push(cause.invalid(f, '', 'resource or service backend is required'));
  if (svc) {
    if (!svc['name']) out.push(cause.required(`${f}.service.name`));
    else for (const m of isDns1123Label(String(svc['name']))) out.push(cause.invalid(`${f}.service.name`, svc['name'], m));
    const port = (svc['port'] ?? {}) as Loose;
    const hasName = port['name'] !== undefined && port['name'] !== '';
    const hasNum = port['number'] !== undefined && port['number'] !== 0;
    if (hasName && hasNum) out.push(cause.invalid(`${f}.service.port`, '', 'cannot set both port name & port number'));
    else if (!hasName && !hasNum) out.push(cause.invalid(`${f}.service.port`, '', 'port name or number is required'));
    if (hasNum && (!isInt(port['number']) || port['number'] < 1 || port['number'] > 65535)) {
      out.push(cause.invalid(`${f}.service.port.number`, port['number'], 'must be between 1 and 65535, inclusive'));
    }
  }
  return out;
}

export const ingressStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  prepareForCreate(obj) {
    delete loose(obj)['status'];
  },
  validate(obj) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    if (!spec['defaultBackend'] && (!Array.isArray(spec['rules']) || spec['rules'].length === 0)) {
      out.push(cause.invalid('spec', spec, 'either `defaultBackend` or `rules` must be specified'));
    }
    out.push(...validateBackend(spec['defaultBackend'], 'spec.defaultBackend'));
    ((spec['rules'] as Loose[] | undefined) ?? []).forEach((r, i) => {
      const f = `spec.rules[${i}]`;
      const host = r?.['host'];
      if (host) {
        const h = String(host).startsWith('*.') ? String(host).slice(2) : String(host);
        for (const m of isDns1123Subdomain(h)) out.push(cause.invalid(`${f}.host`, host, m));
      }
      ((r?.['http']?.['paths'] as Loose[] | undefined) ?? []).forEach((p, j) => {
        const pf = `${f}.http.paths[${j}]`;
        if (!p?.['pathType']) out.push(cause.required(`${pf}.pathType`, 'pathType must be specified'));
        else out.push(...oneOf(p['pathType'], `${pf}.pathType`, ['Exact', 'ImplementationSpecific', 'Prefix']));
        if ((p?.['pathType'] === 'Exact' || p?.['pathType'] === 'Prefix') && !String(p?.['path'] ?? '').startsWith('/')) {
          out.push(cause.invalid(`${pf}.path`, p?.['path'] ?? '', 'must be an absolute path'));
        }
        out.push(...validateBackend(p?.['backend'], `${pf}.backend`));
      });
      if (r?.['http'] && (!Array.isArray(r['http']['paths']) || r['http']['paths'].length === 0)) out.push(cause.required(`${f}.http.paths`));
    });
    return out;
  },
};

export const ingressClassStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: true,
  defaults(obj) {
    const p = loose(obj)['spec']?.['parameters'] as Loose | undefined;
    if (p && typeof p === 'object' && !p['scope']) p['scope'] = 'Cluster';
  },
  validate(obj, ctx) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    const c = spec['controller'];
    if (c !== undefined && c !== '') {
      if (String(c).length > 250) out.push(cause.tooLong('spec.controller', 250));
    }
    if (ctx.old && (loose(ctx.old)['spec']?.['controller'] ?? '') !== (c ?? '')) {
      out.push(cause.invalid('spec.controller', c ?? '', 'field is immutable'));
    }
    return out;
  },
};

export const networkPolicyStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: false,
  generation: true,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    for (const dir of ['ingress', 'egress']) {
      for (const rule of (spec[dir] as Loose[] | undefined) ?? []) {
        for (const p of (rule?.['ports'] as Loose[] | undefined) ?? []) if (p && !p['protocol']) p['protocol'] = 'TCP';
      }
    }
    if (!Array.isArray(spec['policyTypes']) || spec['policyTypes'].length === 0) {
      spec['policyTypes'] = ['Ingress'];
      if (Array.isArray(spec['egress']) && spec['egress'].length > 0) spec['policyTypes'].push('Egress');
    }
  },
  validate(obj) {
    const spec = (loose(obj)['spec'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    out.push(...validateLabelSelector(spec['podSelector'], 'spec.podSelector'));
    ((spec['policyTypes'] as unknown[] | undefined) ?? []).forEach((t, i) => out.push(...oneOf(t, `spec.policyTypes[${i}]`, ['Ingress', 'Egress'])));
    for (const [dir, peers] of [['ingress', 'from'], ['egress', 'to']] as const) {
      ((spec[dir] as Loose[] | undefined) ?? []).forEach((rule, i) => {
        ((rule?.['ports'] as Loose[] | undefined) ?? []).forEach((p, j) => {
          out.push(...oneOf(p?.['protocol'], `spec.${dir}[${i}].ports[${j}].protocol`, ['TCP', 'UDP', 'SCTP']));
        });
        ((rule?.[peers] as Loose[] | undefined) ?? []).forEach((peer, j) => {
          const f = `spec.${dir}[${i}].${peers}[${j}]`;
          const n = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => peer?.[k] !== undefined && peer?.[k] !== null).length;
          if (n === 0) out.push(cause.required(f, 'must specify a peer'));
          if (peer?.['ipBlock'] && n > 1) out.push(cause.forbidden(f, 'may not specify more than 1 peer'));
          out.push(...validateLabelSelector(peer?.['podSelector'], `${f}.podSelector`));
          out.push(...validateLabelSelector(peer?.['namespaceSelector'], `${f}.namespaceSelector`));
          if (peer?.['ipBlock'] && !peer['ipBlock']['cidr']) out.push(cause.required(`${f}.ipBlock.cidr`));
        });
      });
    }
    return out;
  },
};

export function networkingResources(): ResourceType[] {
  return [
    defineResource({ group: G, version: V, resource: 'ingressclasses', kind: 'IngressClass', namespaced: false, strategy: ingressClassStrategy }),
    defineResource({
      group: G,
      version: V,
      resource: 'ingresses',
      kind: 'Ingress',
      namespaced: true,
      shortNames: ['ing'],
      subresources: [statusSub(G, V, 'Ingress')],
      storagePrefix: '/registry/ingress',
      strategy: ingressStrategy,
    }),
    defineResource({ group: G, version: V, resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'], strategy: networkPolicyStrategy }),
  ];
}
