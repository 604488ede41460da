// The writes a scheduled pod costs the API server — create, pods/binding, and two pods/status strategic-merge
// PATCHes as a kubelet sends them — through the REST path in process (no HTTP), for benchmarks of what those
// writes set off (watch fan-out). The pod is `bench-<i>` in namespace `ns`, bound to sim-node-<i % 100>.
// It takes the REST functions, so a benchmark can drive another tree's code (watch-path --code); this file
// imports types only.
import type { RestDeps } from '../src/apiserver/rest/types.js';
import type { RequestVerb } from '../src/apiserver/request-info.js';
import type { create } from '../src/apiserver/rest/create.js';
import type { bind } from '../src/apiserver/rest/subresources.js';
import type { patch } from '../src/apiserver/rest/patch.js';
import type { systemRequest } from '../src/apiserver/rest/system-request.js';

/** The REST entry points the writes go through (this tree's, or another's loaded by path). */
export interface RestFunctions {
  create: typeof create;
  bind: typeof bind;
  patch: typeof patch;
  systemRequest: typeof systemRequest;
}

export function podWritesWith(fns: RestFunctions): (deps: RestDeps, ns: string, i: number) => Promise<void> {
  return async (deps, ns, i) => {
    const rt = deps.registry.lookup('', 'v1', 'pods')!;
    const name = `bench-${i}`;
    const req = (verb: RequestVerb, o: Record<string, unknown>) => fns.systemRequest(rt, verb, { namespace: ns, ...o });
    await fns.create(deps, req('create', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'bench', shard: String(i % 50) } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } }));
    await fns.bind(deps, req('create', { name, subresource: 'binding', body: { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: `sim-node-${i % 100}` } } }), name);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = (body: unknown) => fns.patch(deps, req('patch', { name, subresource: 'status', contentType: 'application/strategic-merge-patch+json', body: { status: body } }));
    await status({ phase: 'Pending', hostIP: '10.0.0.1', startTime: now, conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now }], containerStatuses: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } }] });
    await status({ phase: 'Running', podIP: `10.244.0.${i % 250}`, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }], containerStatuses: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } }] });
  };
}
