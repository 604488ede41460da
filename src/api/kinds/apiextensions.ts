// apiextensions.k8s.io/v1 CustomResourceDefinitions as a stored kind: defaults, storedVersions bookkeeping
// and the structural checks users hit first (name = plural.group, one storage version, scope). Serving the
// custom resources a CRD defines is built elsewhere (src/api/schema, the CRD registry). Pure declarations.
import { cause, type StatusCause } from '../errors.js';
import type { KindStrategy, ResourceType } from '../resource.js';
import type { KubeObject } from '../types.js';
import { isDns1035Label, isDns1123Subdomain } from '../../util/names.js';
import { defineResource, statusSub } from './define.js';
import { type Loose, ensure, immutable, loose, oneOf } from './validation.js';

const G = 'apiextensions.k8s.io';

function storageVersionOf(spec: Loose): string | undefined {
  const v = ((spec['versions'] as Loose[] | undefined) ?? []).find((x) => x?.['storage'] === true);
  return v?.['name'];
}

function recordStoredVersion(obj: KubeObject): void {
  const o = loose(obj);
  const sv = storageVersionOf((o['spec'] ?? {}) as Loose);
  if (!sv) return;
  const status = ensure(o, 'status');
  const stored: string[] = Array.isArray(status['storedVersions']) ? status['storedVersions'] : [];
  if (!stored.includes(sv)) stored.push(sv);
  status['storedVersions'] = stored;
}

export const customResourceDefinitionStrategy: KindStrategy = {
  nameRule: 'dns1123-subdomain',
  statusSubresource: true,
  generation: true,
  defaults(obj) {
    const spec = ensure(loose(obj), 'spec');
    const names = ensure(spec, 'names');
    if (!names['listKind'] && names['kind']) names['listKind'] = `${names['kind']}List`;
    if (!names['singular'] && names['kind']) names['singular'] = String(names['kind']).toLowerCase();
    if (!spec['conversion']) spec['conversion'] = { strategy: 'None' };
    const svc = spec['conversion']?.['webhook']?.['clientConfig']?.['service'] as Loose | undefined;
    if (svc && typeof svc === 'object' && svc['port'] === undefined) svc['port'] = 443;
  },
  prepareForCreate(obj) {
    loose(obj)['status'] = {};
    recordStoredVersion(obj);
  },
  prepareForUpdate(obj) {
    recordStoredVersion(obj);
  },
  validate(obj, ctx) {
    const o = loose(obj);
    const spec = (o['spec'] ?? {}) as Loose;
    const names = (spec['names'] ?? {}) as Loose;
    const out: StatusCause[] = [];
    const group = spec['group'];
    if (!group) out.push(cause.required('spec.group'));
    else {
      for (const m of isDns1123Subdomain(String(group))) out.push(cause.invalid('spec.group', group, m));
      if (String(group).split('.').length < 2) out.push(cause.invalid('spec.group', group, 'should be a domain with at least one dot'));
    }
    const name = o['metadata']?.['name'];
    if (names['plural'] && group && name !== `${names['plural']}.${group}`) {
      out.push(cause.invalid('metadata.name', name ?? '', 'must be spec.names.plural+"."+spec.group'));
    }
    out.push(...oneOf(spec['scope'], 'spec.scope', ['Cluster', 'Namespaced'], true));
    for (const k of ['plural', 'singular']) {
      if (!names[k]) {
        if (k === 'plural') out.push(cause.required('spec.names.plural'));
        continue;
      }
      for (const m of isDns1035Label(String(names[k]))) out.push(cause.invalid(`spec.names.${k}`, names[k], m));
    }
    if (!names['kind']) out.push(cause.required('spec.names.kind'));
    if (!names['listKind'] && !names['kind']) out.push(cause.required('spec.names.listKind'));
    const versions = (spec['versions'] as Loose[] | undefined) ?? [];
    if (versions.length === 0) out.push(cause.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
    else {
      const storage = versions.filter((v) => v?.['storage'] === true).length;
      if (storage !== 1) out.push(cause.invalid('spec.versions', versions.map((v) => v?.['name']), 'must have exactly one version marked as storage version'));
      if (!versions.some((v) => v?.['served'] === true)) out.push(cause.invalid('spec.versions', versions.map((v) => v?.['name']), 'must have at least one version marked as served'));
      const seen = new Set<string>();
      versions.forEach((v, i) => {
        const vn = v?.['name'];
        if (!vn) out.push(cause.required(`spec.versions[${i}].name`));
        else {
          for (const m of isDns1035Label(String(vn))) out.push(cause.invalid(`spec.versions[${i}].name`, vn, m));
          if (seen.has(vn)) out.push(cause.duplicate(`spec.versions[${i}].name`, vn));
          seen.add(vn);
        }
      });
    }
    out.push(...oneOf(spec['conversion']?.['strategy'], 'spec.conversion.strategy', ['None', 'Webhook']));
    if (ctx.old) {
      const oldSpec = (loose(ctx.old)['spec'] ?? {}) as Loose;
      out.push(...immutable(spec['group'], oldSpec['group'], 'spec.group'));
      out.push(...immutable(spec['names']?.['plural'], oldSpec['names']?.['plural'], 'spec.names.plural'));
      const stored = (loose(ctx.old)['status']?.['storedVersions'] as string[] | undefined) ?? [];
      for (const sv of stored) {
        if (!versions.some((v) => v?.['name'] === sv)) {
          out.push(cause.invalid('status.storedVersions', stored, `must appear in spec.versions`));
          break;
        }
      }
    }
    return out;
  },
};

export function apiextensionsResources(): ResourceType[] {
  return [
    defineResource({
      group: G,
      version: 'v1',
      resource: 'customresourcedefinitions',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: [statusSub(G, 'v1', 'CustomResourceDefinition')],
      storagePrefix: '/registry/apiextensions.k8s.io/customresourcedefinitions',
      strategy: customResourceDefinitionStrategy,
    }),
  ];
}
